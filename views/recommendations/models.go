// Package recommendations holds the recommendation pages: the list, one
// recommendation with its remediation steps and affected resources, and
// one affected resource with the commands that fix it and its findings.
package recommendations

import (
	"github.com/palisadesec/palisade/views/layout"
	"github.com/palisadesec/palisade/views/remediation"
)

// ListModel is the recommendations page.
type ListModel struct {
	Page     layout.Page
	Rows     []ListRow
	Severity string
	Status   string
	// Assessed is false until anything was assessed at all.
	Assessed bool
	CSVURL   string
}

// ListRow is one recommendation of the list.
type ListRow struct {
	ID, Title, Severity, ResourceKind string
	URL                               string
	Unhealthy, Healthy, Exempt        int
	Assessed                          int
	// Status is "unhealthy", "healthy" or "not assessed".
	Status string
}

// Counts are a recommendation's resources by state.
type Counts struct {
	Unhealthy, Healthy, Exempt, NotApplicable, Total int
}

// StepRow is one remediation step summed over the affected resources.
type StepRow struct {
	Text      string
	Worst     string
	Resources int
	Findings  int
}

// StepsModel is the remediation steps summed over a recommendation's
// affected resources. Summing thousands of resources' steps takes a
// while, so the page asks for them after it is shown: until Loaded,
// the section only carries the URL to load them from.
type StepsModel struct {
	URL          string
	Loaded       bool
	ResourceKind string
	Steps        []StepRow
}

// Tab is one of the resource filters shown as tabs.
type Tab struct {
	Label   string
	Count   int
	URL     string
	Current bool
	Value   string
}

// ShowModel is one recommendation's page.
type ShowModel struct {
	Page         layout.Page
	ID           string
	Title        string
	Severity     string
	Description  string
	ResourceKind string
	// ResourceNoun is the plural of the resource kind, such as "images".
	ResourceNoun string
	Status       string
	Counts       Counts
	Steps        StepsModel
	Tabs         []Tab
	Show         string
	SeverityF    string
	Search       string
	Resources    []ResourceRow
	Pager        remediation.Pager
	CSVURL       string
	// Empty explains an empty resource list.
	Empty string
}

// ResourceRow is one assessed resource on a recommendation's page.
type ResourceRow struct {
	ID          int64
	Name        string
	Digest      string
	ResourceURL string
	// RemediateURL opens the resource's remediation page.
	RemediateURL string
	Critical     int
	High         int
	Medium       int
	Low          int
	Unknown      int
	Status       string
	Severity     string
	ScannedAt    string
	// Notice is set for an exempt resource, Form for a resource an
	// operator may exempt.
	Notice *remediation.Notice
	Form   *remediation.ResourceForm
}

// FixBlock is a fix to copy.
type FixBlock struct {
	ID, Text, Note string
}

// Step is one remediation step of one resource.
type Step struct {
	Text  string
	Worst string
	Fix   *FixBlock
}

// ResourceModel is the remediation page of one resource.
type ResourceModel struct {
	Page                layout.Page
	RecommendationID    string
	RecommendationTitle string
	RecommendationURL   string
	Name                string
	Digest              string
	Platform            string
	ImageURL            string
	Summary             SummaryModel
	Steps               []Step
	AllFix              *FixBlock
	Findings            FindingsModel
}

// SummaryModel is the resource's counts and state; it reloads itself
// when an exemption changes.
type SummaryModel struct {
	URL                                  string
	Critical, High, Medium, Low, Unknown int
	Healthy                              bool
	Exempt                               bool
	Notice                               *remediation.Notice
	Form                                 *remediation.ResourceForm
}

// FindingsModel is the resource's findings table; it reloads itself when
// an exemption changes.
type FindingsModel struct {
	// URL reloads the table with the current filters; PageURL is the
	// page the filter form goes to.
	URL        string
	PageURL    string
	ShowExempt bool
	Severity   string
	Rows       []FindingRow
	Pager      remediation.Pager
	// Exempt counts the exempt findings the table leaves out.
	Hidden int
}

// FindingRow is one finding of the resource.
type FindingRow struct {
	ID           int64
	VulnID       string
	VulnURL      string
	Summary      string
	Severity     string
	Score        string
	Package      string
	Version      string
	PackageType  string
	FixedVersion string
	Layer        string
	Fix          *FixBlock
	Notice       *remediation.Notice
	Form         *remediation.FindingForm
}
