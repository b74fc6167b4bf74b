// Package containers holds the Containers page: the connected
// registries, their repositories, every image with its health and
// counts, and what to do about Docker hosts and Kubernetes clusters.
package containers

import (
	"time"

	"github.com/palisadesec/palisade/views/components"
	hostsview "github.com/palisadesec/palisade/views/hosts"
	"github.com/palisadesec/palisade/views/layout"
)

// PageModel is the Containers page.
type PageModel struct {
	Page layout.Page
	// IsAdmin links to the registry settings.
	IsAdmin      bool
	Registries   []Registry
	Repositories []Repository
	RepoPager    components.Pager
	Images       ImagesModel
	// Hosts is the Docker hosts section (views/hosts).
	Hosts hostsview.SectionModel
}

// Registry is one connected registry.
type Registry struct {
	Name         string
	URL          string
	Repositories int
	Images       int
	Unhealthy    int
	LastScanAt   *time.Time
	ScanOnPush   bool
	// Polling is the catalog polling interval, or "off".
	Polling   string
	FilterURL string
}

// Repository is one repository with its images' counts.
type Repository struct {
	Registry      string
	Name          string
	Images        int
	Unhealthy     int
	Tags          int
	LastScannedAt *time.Time
	Critical      int
	High          int
	Medium        int
	Low           int
	Unknown       int
	FilterURL     string
}

// Option is one choice of a filter.
type Option struct {
	Value, Label string
}

// ImageFilters are the image list's filters and sort, as in the query
// string.
type ImageFilters struct {
	Query, Health, Registry, Repository, Sort string
}

// ImagesModel is the image list with its filters.
type ImagesModel struct {
	Action          string
	Filters         ImageFilters
	RegistryOptions []Option
	// RepositoryName names the repository filter, when one is set.
	RepositoryName string
	Sorts          []components.Sort
	Rows           []Image
	Pager          components.Pager
	ExportURL      string
	Filtered       bool
	ClearURL       string
}

// Image is one image of the list.
type Image struct {
	URL        string
	Registry   string
	Repository string
	Tags       []string
	Digest     string
	Platform   string
	ScannedAt  *time.Time
	Healthy    *bool
	Critical   int
	High       int
	Medium     int
	Low        int
	Unknown    int
}

// Healths are the health filter's choices.
var Healths = []Option{{"unhealthy", "Unhealthy"}, {"healthy", "Healthy"}, {"unscanned", "Not scanned yet"}}
