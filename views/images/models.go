// Package images holds the image page: what the image is, its layers,
// its findings (a table filtered, sorted and paged through the query
// string, swapped by htmx), the latest scan's live state and the rescan
// button.
package images

import (
	"time"

	"github.com/palisadesec/palisade/views/components"
	"github.com/palisadesec/palisade/views/layout"
)

// PageModel is the image page.
type PageModel struct {
	Page   layout.Page
	Header Header
	Layers []Layer
	Scan   ScanStatus
	// CanRescan shows the rescan button (operators and admins).
	CanRescan bool
	Findings  FindingsModel
}

// Header is what the image is.
type Header struct {
	ID           int64
	Registry     string
	Repository   string
	ContainerURL string
	Tags         []string
	Digest       string
	IndexDigest  string
	Platform     string
	OS           string
	Size         string
	ScannedAt    *time.Time
	// FeedVersion says which advisory data the findings come from.
	FeedVersion string
	Healthy     *bool
	Critical    int
	High        int
	Medium      int
	Low         int
	Unknown     int
}

// Layer is one layer of the image.
type Layer struct {
	Index     int
	Digest    string
	Size      string
	CreatedBy string
	Base      bool
	// FilterURL lists the findings of this layer only.
	FilterURL string
}

// Option is one choice of a filter.
type Option struct {
	Value, Label string
}

// Filters are the findings table's current filters and sort, as in the
// query string.
type Filters struct {
	Severity, Fix, Type, Layer, Status, Exempt string
	Sort, Dir                                  string
}

// FindingsModel is the findings table with its filters.
type FindingsModel struct {
	// Action is the image page's path, where the filter form sends.
	Action       string
	Filters      Filters
	TypeOptions  []Option
	LayerOptions []Option
	Sorts        []components.Sort
	Rows         []FindingRow
	Pager        components.Pager
	ExportURL    string
	// Filtered says that a filter is set, for the empty message.
	Filtered bool
	// ClearURL shows the open findings without any filter.
	ClearURL string
}

// FindingRow is one finding.
type FindingRow struct {
	ID        int64
	VulnID    string
	VulnURL   string
	Aliases   []string
	Summary   string
	Severity  string
	Score     string
	Source    string
	Package   string
	Version   string
	Type      string
	Fixed     string
	FixStatus string
	Layer     int
	Base      bool
	Status    string
	Exemption string
}

// ScanStatus is the latest scan of the image.
type ScanStatus struct {
	ImageID int64
	// None is set when no scan of this digest is recorded.
	None       bool
	State      string
	Trigger    string
	QueuedAt   time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
	Reason     string
	// PollURL, set while the scan is queued or running, is polled every
	// two seconds; without it the element stays as it is.
	PollURL string
}

// Severities are the severity filter's choices.
var Severities = []Option{
	{"critical", "Critical"}, {"high", "High"}, {"medium", "Medium"}, {"low", "Low"}, {"unknown", "Unknown or none"},
}

// FixStatuses are the fix status filter's choices.
var FixStatuses = []Option{
	{"fixed", "Fix available"}, {"no_fix", "No fix yet"}, {"will_not_fix", "Will not be fixed"},
}

// Statuses are the finding state filter's choices; "" is open.
var Statuses = []Option{{"", "Open"}, {"resolved", "Resolved"}, {"all", "All"}}

// ExemptChoices are the exemption filter's choices; "" hides exempt
// findings, as the counts do.
var ExemptChoices = []Option{{"", "Hide exempt"}, {"include", "Include exempt"}, {"only", "Only exempt"}}
