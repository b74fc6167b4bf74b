package export

import (
	"bytes"
	"encoding/csv"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisadesec/palisade/internal/store"
)

const csvHeaderLine = "vulnerability_id,aliases,advisory_ids,severity,score,severity_source," +
	"package,installed_version,package_type,ecosystem,purl,fixed_version,fix_status," +
	"layer_index,layer_diff_id,paths,exempt,exempt_reason,summary\n"

func TestNeutralise(t *testing.T) {
	tests := []struct {
		name string
		cell string
		want string
	}{
		{name: "equals", cell: "=1+1", want: "'=1+1"},
		{name: "plus", cell: "+cmd", want: "'+cmd"},
		{name: "minus", cell: "-2+3", want: "'-2+3"},
		{name: "at", cell: "@SUM(A1:A2)", want: "'@SUM(A1:A2)"},
		{name: "tab", cell: "\t=1", want: "'\t=1"},
		{name: "carriage return", cell: "\r=1", want: "'\r=1"},
		{name: "dde payload", cell: "=cmd|' /C calc'!A0", want: "'=cmd|' /C calc'!A0"},
		{name: "plain text", cell: "urllib3", want: "urllib3"},
		{name: "formula character later on", cell: "a=b", want: "a=b"},
		{name: "empty", cell: "", want: ""},
		{name: "leading space stays", cell: " =1", want: " =1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := neutralise([]string{tc.cell})[0]; got != tc.want {
				t.Errorf("neutralise(%q) = %q, want %q", tc.cell, got, tc.want)
			}
		})
	}
}

func TestWriteFindingsCSV(t *testing.T) {
	hostile := Finding{
		FindingRecord: store.FindingRecord{
			VulnID: "CVE-2026-4000", Aliases: []string{"GHSA-aaaa-bbbb-cccc"},
			AdvisoryIDs:   []string{"GHSA-aaaa-bbbb-cccc", "PYSEC-2026-1"},
			SeverityLevel: "high", SeverityScore: score(7.5), SeveritySource: "cvss_v3",
			FixedVersion: "1.1", FixStatus: "fixed",
			Summary: "Overflow, in parser\n-then more",
		},
		Package: store.PackageRecord{
			Name: `=HYPERLINK("http://evil.example","x")`, Version: "1.0", Type: "python",
			Ecosystem: "PyPI", LayerIndex: 2, Paths: []string{"/app/a,b.py", "/app/c.py"},
		},
	}
	exempt := Finding{
		FindingRecord: store.FindingRecord{VulnID: "GO-2026-0001", SeverityLevel: "low", FixStatus: "no_fix"},
		Package:       store.PackageRecord{Name: "stdlib", Version: "1.21.0", Type: "go-stdlib", Ecosystem: "Go"},
		Exempt:        true, ExemptReason: "+1 from security",
	}

	tests := []struct {
		name     string
		findings []Finding
		want     string
	}{
		{
			name:     "no findings is just the header",
			findings: nil,
			want:     csvHeaderLine,
		},
		{
			name:     "formula neutralised, commas and newlines quoted",
			findings: []Finding{hostile},
			want: csvHeaderLine +
				`CVE-2026-4000,GHSA-aaaa-bbbb-cccc,GHSA-aaaa-bbbb-cccc; PYSEC-2026-1,high,7.5,cvss_v3,` +
				`"'=HYPERLINK(""http://evil.example"",""x"")",1.0,python,PyPI,,1.1,fixed,2,,` +
				`"/app/a,b.py; /app/c.py",false,,"Overflow, in parser` + "\n" + `-then more"` + "\n",
		},
		{
			name:     "exempt reason is neutralised too",
			findings: []Finding{exempt},
			want: csvHeaderLine +
				"GO-2026-0001,,,low,,,stdlib,1.21.0,go-stdlib,Go,,,no_fix,0,,,true,'+1 from security,\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteFindingsCSV(&buf, tc.findings); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, buf.String()); diff != "" {
				t.Errorf("csv (-want +got):\n%s", diff)
			}
			records, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatalf("output does not parse back: %v", err)
			}
			if len(records) != len(tc.findings)+1 {
				t.Errorf("%d records, want %d", len(records), len(tc.findings)+1)
			}
		})
	}
}

func TestWriteCSVSortsWorstFirst(t *testing.T) {
	records, err := csv.NewReader(bytes.NewReader(write(t, WriteCSV, sampleReport()))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, rec := range records[1:] {
		ids = append(ids, rec[0])
	}
	if diff := cmp.Diff([]string{"CVE-2026-1000", "CVE-2026-3000", "CVE-2026-2000"}, ids); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestFindingsCSVReportsWriteErrors(t *testing.T) {
	errDisk := errors.New("disk full")
	tests := []struct {
		name     string
		findings []Finding
	}{
		{name: "header only", findings: nil},
		{name: "with rows", findings: sampleReport().Findings},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteFindingsCSV(failingWriter{err: errDisk}, tc.findings)
			if !errors.Is(err, errDisk) {
				t.Errorf("got %v, want an error wrapping %v", err, errDisk)
			}
		})
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
