package export

import (
	"fmt"
	"io"
	"strconv"
)

// HostResultsCSVHeader is the first row of a host results CSV.
var HostResultsCSVHeader = []string{
	"control_id", "section", "title", "level", "resource_kind", "resource_id", "resource_name",
	"status", "exempt", "justification", "evidence", "remediation",
}

// HostResult is one CIS Docker Benchmark result of a host, as exported.
type HostResult struct {
	ControlID     string
	Section       string
	Title         string
	Level         int
	ResourceKind  string
	ResourceID    string
	ResourceName  string
	Status        string
	Exempt        bool
	Justification string
	Evidence      string
	Remediation   string
}

// HostResultsCSV writes a host's results one row at a time, like
// FindingsCSV, neutralising formula injection in every cell: container
// names, evidence and justifications come from the host and from people.
type HostResultsCSV struct {
	rows *RowsCSV
}

// NewHostResultsCSV returns a writer that writes HostResultsCSVHeader
// before the first row.
func NewHostResultsCSV(w io.Writer) *HostResultsCSV {
	return &HostResultsCSV{rows: NewRowsCSV(w, HostResultsCSVHeader)}
}

// Write writes one result.
func (c *HostResultsCSV) Write(r HostResult) error {
	row := []string{
		r.ControlID, r.Section, r.Title, strconv.Itoa(r.Level), r.ResourceKind, r.ResourceID,
		r.ResourceName, r.Status, strconv.FormatBool(r.Exempt), r.Justification, r.Evidence, r.Remediation,
	}
	if err := c.rows.Write(row); err != nil {
		return fmt.Errorf("control %s: %w", r.ControlID, err)
	}
	return nil
}

// Flush writes the header if no row was written, then flushes buffered
// rows and reports any write error.
func (c *HostResultsCSV) Flush() error {
	return c.rows.Flush()
}
