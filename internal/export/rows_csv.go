package export

import (
	"encoding/csv"
	"fmt"
	"io"
)

// RowsCSV writes a table as CSV one row at a time, with the same
// neutralisation of spreadsheet formulas as FindingsCSV, for the
// console's lists that are not findings (images, scans).
type RowsCSV struct {
	w      *csv.Writer
	header []string
	wrote  bool
}

// NewRowsCSV returns a writer that writes header before the first row.
func NewRowsCSV(w io.Writer, header []string) *RowsCSV {
	return &RowsCSV{w: csv.NewWriter(w), header: header}
}

// Write writes one row.
func (c *RowsCSV) Write(row []string) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	if err := c.w.Write(neutralise(row)); err != nil {
		return fmt.Errorf("write csv row: %w", err)
	}
	return nil
}

// Flush writes the header if no row was written, then flushes buffered
// rows and reports any write error.
func (c *RowsCSV) Flush() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func (c *RowsCSV) writeHeader() error {
	if c.wrote {
		return nil
	}
	c.wrote = true
	if err := c.w.Write(c.header); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	return nil
}
