// Package hosts holds the pages of Docker hosts: the hosts section of the
// Containers tab (HostsSection), the hosts list, a host's benchmark results
// grouped by section with their exemptions, and the admin page that makes
// enrolment tokens and revokes host credentials.
package hosts

import "github.com/palisadesec/palisade/views/layout"

// HostRow is one host in a list. Counts the agent could not read are
// empty strings.
type HostRow struct {
	ID              int64
	URL             string
	Name            string
	DockerVersion   string
	OS              string
	Kernel          string
	Images          string
	Containers      string
	FailingControls int
	// LastSnapshot is when the latest snapshot arrived, empty before the
	// first; LastSnapshotISO is the same time for the datetime attribute.
	LastSnapshot    string
	LastSnapshotISO string
	EnrolledAt      string
	Revoked         bool
}

// SectionModel is the Docker hosts section of the Containers tab.
type SectionModel struct {
	Hosts []HostRow
	// CanAdmin shows the link to enrol hosts.
	CanAdmin bool
	// HideHeading keeps the section's heading for screen readers only, on
	// a page whose own title already says "Docker hosts".
	HideHeading bool
}

// ListModel is the hosts page.
type ListModel struct {
	Page    layout.Page
	Section SectionModel
}

// Filter is one choice of the status filter.
type Filter struct {
	Label   string
	Value   string
	Count   int
	URL     string
	Current bool
}

// ExemptOption is a resource an exemption can cover.
type ExemptOption struct {
	Value string
	Label string
}

// ResultRow is one control evaluated for one resource.
type ResultRow struct {
	ControlID     string
	Title         string
	Level         int
	Resource      string
	ResourceKind  string
	Status        string
	StatusLabel   string
	Evidence      string
	Remediation   string
	Exempt        bool
	Justification string
	// ExemptOptions is set on failed results that are not exempt when the
	// viewer may exempt them.
	ExemptOptions []ExemptOption
}

// SectionGroup is one benchmark section's results.
type SectionGroup struct {
	Name    string
	Results []ResultRow
}

// ExemptionRow is one of a host's exemptions.
type ExemptionRow struct {
	ID            int64
	ControlID     string
	Title         string
	AppliesTo     string
	Justification string
	CreatedBy     string
	CreatedAt     string
}

// ShowModel is a host's page.
type ShowModel struct {
	Page layout.Page
	Host HostRow
	// AgentVersion and LastCollected describe the latest snapshot.
	AgentVersion  string
	LastCollected string
	Filters       []Filter
	Sections      []SectionGroup
	// Shown and Matching count results on the page and results the filter
	// matches; the page stops at a limit and points to the CSV.
	Shown      int
	Matching   int
	CSVURL     string
	Exemptions []ExemptionRow
	CanExempt  bool
	CanAdmin   bool
	// Error explains a refused form, shown above the results.
	Error string
}

// TokenRow is an enrolment token nobody used yet.
type TokenRow struct {
	ID        int64
	CreatedBy string
	CreatedAt string
	ExpiresAt string
}

// NewToken is a token just made, shown once.
type NewToken struct {
	Secret       string
	ExpiresAt    string
	AgentCommand string
}

// Choice is an option of a select.
type Choice struct {
	Value    string
	Label    string
	Selected bool
}

// SettingsModel is the admin page for enrolment and credentials.
type SettingsModel struct {
	Page          layout.Page
	NewToken      *NewToken
	Tokens        []TokenRow
	Hosts         []HostRow
	ExpiryChoices []Choice
	Error         string
}
