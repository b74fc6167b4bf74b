// Package remediation holds the remediation buttons that several pages
// include: the forms that exempt a finding or a resource, the notice of an
// exemption with its revoke button, and the "copy the fix" block. They
// take plain values; the page decides whether the viewer may act.
//
// After an exemption is recorded or revoked, the server answers with the
// notice and sends the htmx event ChangedEvent once the swap settled.
// Parts of a page that show counts or findings listen for it, for
// example hx-get="…" hx-trigger="exemptions-changed from:body".
package remediation

// ChangedEvent is the htmx event sent when an exemption was recorded or
// revoked.
const ChangedEvent = "exemptions-changed"

// Categories of exemption, as the forms offer them.
var Categories = []Option{
	{Value: "mitigated", Label: "Mitigated"},
	{Value: "risk_accepted", Label: "Risk accepted"},
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
}

// CategoryLabel is how a category reads on a page.
func CategoryLabel(v string) string {
	for _, o := range Categories {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

// FormValues are what the operator entered, shown again after an error.
type FormValues struct {
	Scope         string
	Category      string
	Justification string
	Expires       string
}

// FindingForm is the form that exempts one finding.
type FindingForm struct {
	FindingID int64
	VulnID    string
	// Package is the package and version, such as "urllib3 1.26.12".
	Package string
	// Repository names the repository for the repository-wide choice.
	Repository string
	// ReturnTo is where a browser without JavaScript goes afterwards.
	ReturnTo string
	Values   FormValues
	// Errors are by field (scope, category, justification, expires), ""
	// for the whole form. Open shows the form unfolded.
	Errors map[string]string
	Open   bool
	// MaxJustification is the longest justification accepted.
	MaxJustification int
}

// ResourceForm is the form that exempts one resource from one
// recommendation.
type ResourceForm struct {
	RecommendationID string
	ResourceID       int64
	// Resource names the resource, such as "local/debian:bookworm".
	Resource         string
	ReturnTo         string
	Values           FormValues
	Errors           map[string]string
	Open             bool
	MaxJustification int
}

// Notice shows an exemption in force.
type Notice struct {
	ExemptionID int64
	// Scope says what the exemption covers, such as "this finding".
	Scope         string
	Category      string
	Justification string
	By            string
	// Until is the expiry date, "" for none.
	Until string
	// CanRevoke shows the revoke button.
	CanRevoke bool
	ReturnTo  string
}

// Pager links to the pages before and after the one shown; "" means
// there is none.
type Pager struct {
	Prev, Next string
	// Label says what is shown, such as "Rows 51–100".
	Label string
}
