package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// CSVHeader is the first row of every findings CSV. Multi-valued cells
// (aliases, advisory ids, paths) are joined with "; ".
var CSVHeader = []string{
	"vulnerability_id", "aliases", "advisory_ids", "severity", "score", "severity_source",
	"package", "installed_version", "package_type", "ecosystem", "purl",
	"fixed_version", "fix_status", "layer_index", "layer_diff_id", "paths",
	"exempt", "exempt_reason", "summary",
}

// FindingsCSV writes findings as CSV one row at a time, so that a long
// export can go straight from database rows to the response without being
// held in memory. Untrusted text (summaries, package names, paths) is
// neutralised against spreadsheet formula injection: a cell that starts
// with =, +, -, @, a tab or a carriage return gets a leading single quote.
type FindingsCSV struct {
	rows *RowsCSV
}

// NewFindingsCSV returns a writer that writes CSVHeader before the first row.
func NewFindingsCSV(w io.Writer) *FindingsCSV {
	return &FindingsCSV{rows: NewRowsCSV(w, CSVHeader)}
}

// Write writes one finding.
func (c *FindingsCSV) Write(f Finding) error {
	if err := c.rows.Write(csvRow(f)); err != nil {
		return fmt.Errorf("finding %s: %w", f.VulnID, err)
	}
	return nil
}

// Flush writes the header if no row was written, then flushes buffered
// rows and reports any write error.
func (c *FindingsCSV) Flush() error {
	return c.rows.Flush()
}

// WriteFindingsCSV writes a header row and one row per finding, in the
// order given.
func WriteFindingsCSV(w io.Writer, findings []Finding) error {
	c := NewFindingsCSV(w)
	for _, f := range findings {
		if err := c.Write(f); err != nil {
			return err
		}
	}
	return c.Flush()
}

// WriteCSV writes the report's findings as CSV, worst first.
func WriteCSV(w io.Writer, r *Report) error {
	return WriteFindingsCSV(w, r.sortedFindings())
}

func csvRow(f Finding) []string {
	score := ""
	if f.SeverityScore != nil {
		score = formatScore(*f.SeverityScore)
	}
	p := f.Package
	return []string{
		f.VulnID, strings.Join(f.Aliases, "; "), strings.Join(f.AdvisoryIDs, "; "),
		NormalizeLevel(f.SeverityLevel), score, f.SeveritySource,
		p.Name, p.Version, p.Type, p.Ecosystem, p.PURL,
		f.FixedVersion, f.FixStatus, strconv.Itoa(p.LayerIndex), p.LayerDiffID,
		strings.Join(p.Paths, "; "),
		strconv.FormatBool(f.Exempt), f.ExemptReason, f.Summary,
	}
}

// neutralise prefixes, in place, every cell that a spreadsheet would read
// as a formula (OWASP's CSV injection guidance).
func neutralise(row []string) []string {
	for i, cell := range row {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			row[i] = "'" + cell
		}
	}
	return row
}
