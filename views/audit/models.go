// Package audit holds the audit log page: who did what to which resource,
// when and from where, with filters and CSV export. Admins only.
package audit

import (
	"github.com/palisadesec/palisade/views/layout"
	"github.com/palisadesec/palisade/views/remediation"
)

// ListModel is the audit log page.
type ListModel struct {
	Page    layout.Page
	Actor   string
	Action  string
	From    string
	To      string
	Actions []remediation.Option
	Rows    []Row
	Pager   remediation.Pager
	CSVURL  string
	// Error explains a filter that could not be read.
	Error string
}

// Row is one audit entry.
type Row struct {
	ID       int64
	When     string
	WhenISO  string
	Actor    string
	Kind     string
	Action   string
	Resource string
	Details  string
	SourceIP string
}
