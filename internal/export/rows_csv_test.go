package export

import (
	"bytes"
	"testing"
)

func TestRowsCSVNeutralisesFormulas(t *testing.T) {
	var b bytes.Buffer
	c := NewRowsCSV(&b, []string{"repository", "reason"})
	if err := c.Write([]string{"=HYPERLINK(\"x\")", "pull: unauthorized"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "repository,reason\n\"'=HYPERLINK(\"\"x\"\")\",pull: unauthorized\n"
	if b.String() != want {
		t.Errorf("csv = %q, want %q", b.String(), want)
	}

	var empty bytes.Buffer
	if err := NewRowsCSV(&empty, []string{"a"}).Flush(); err != nil || empty.String() != "a\n" {
		t.Errorf("empty csv = %q (%v), want the header alone", empty.String(), err)
	}
}
