// Package exemptions holds the exemptions page: every exemption with what
// it covers, why, by whom and until when, with filters and revoke buttons.
package exemptions

import (
	"github.com/palisadesec/palisade/views/layout"
	"github.com/palisadesec/palisade/views/remediation"
)

// ListModel is the exemptions page.
type ListModel struct {
	Page     layout.Page
	Status   string
	Category string
	Scope    string
	Search   string
	Rows     []Row
	Pager    remediation.Pager
	CSVURL   string
	// Any is false when no exemption exists at all.
	Any bool
}

// Row is one exemption.
type Row struct {
	ID int64
	// Scope says what kind of thing is exempt; Target names it, linked to
	// TargetURL when there is a page for it.
	Scope         string
	Target        string
	TargetURL     string
	VulnID        string
	Category      string
	Justification string
	By            string
	Created       string
	Expires       string
	// Status is "active" or "expired".
	Status    string
	CanRevoke bool
	ReturnTo  string
}
