package export

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var cellGap = regexp.MustCompile(` {2,}`)

func TestWriteTable(t *testing.T) {
	rootfs := sampleReport()
	rootfs.Target, rootfs.Digest, rootfs.Platform, rootfs.OS = "/srv/rootfs", "", "", OS{}
	rootfs.Findings = rootfs.Findings[2:]
	rootfs.Findings[0].Package.LayerDiffID = ""
	rootfs.Findings[0].Exempt = true

	tests := []struct {
		name string
		r    *Report
		head []string   // the lines before the table
		rows [][]string // header and rows, split into cells
	}{
		{
			name: "sample report",
			r:    sampleReport(),
			head: []string{
				"registry.local:5000/shop/api:1.4 (sha256:0123456789ab, linux/amd64, Debian GNU/Linux 12 (bookworm))",
				"Unhealthy: 2 open findings (critical: 1, high: 0, medium: 0, low: 0, unknown: 1), 1 exempt",
				"",
			},
			rows: [][]string{
				{"SEVERITY", "VULNERABILITY", "PACKAGE", "TYPE", "INSTALLED", "FIXED IN", "STATUS", "LAYER"},
				{"CRITICAL 9.8", "CVE-2026-1000", "urllib3", "python", "1.26.12", "1.26.18", "fixed", "1 sha256:bbbbbbbbbbbb"},
				{"MEDIUM 5.3", "CVE-2026-3000", "libssl3", "deb", "3.0.11-1~deb12u2", "3.0.13-1~deb12u1", "fixed, exempt", "0 sha256:aaaaaaaaaaaa"},
				{"UNKNOWN", "CVE-2026-2000", "libssl3", "deb", "3.0.11-1~deb12u2", "-", "no fix yet", "0 sha256:aaaaaaaaaaaa"},
			},
		},
		{
			name: "root filesystem with one exempt finding",
			r:    rootfs,
			head: []string{
				"/srv/rootfs",
				"Healthy: 0 open findings (critical: 0, high: 0, medium: 0, low: 0, unknown: 0), 1 exempt",
				"",
			},
			rows: [][]string{
				{"SEVERITY", "VULNERABILITY", "PACKAGE", "TYPE", "INSTALLED", "FIXED IN", "STATUS", "LAYER"},
				{"CRITICAL 9.8", "CVE-2026-1000", "urllib3", "python", "1.26.12", "1.26.18", "fixed, exempt", "-"},
			},
		},
		{
			name: "no findings",
			r:    &Report{Target: "alpine:3.20", OS: OS{ID: "alpine", Version: "3.20.3"}},
			head: []string{
				"alpine:3.20 (alpine 3.20.3)",
				"Healthy: 0 open findings (critical: 0, high: 0, medium: 0, low: 0, unknown: 0)",
				"",
				"No vulnerabilities found.",
			},
		},
		{
			name: "none-level findings are counted when present",
			r: &Report{Target: "x", Findings: []Finding{
				finding("CVE-1", "none", "p", false), finding("CVE-2", "low", "p", false),
			}},
			head: []string{
				"x",
				"Healthy: 2 open findings (critical: 0, high: 0, medium: 0, low: 1, unknown: 0, none: 1)",
				"",
			},
			rows: [][]string{
				{"SEVERITY", "VULNERABILITY", "PACKAGE", "TYPE", "INSTALLED", "FIXED IN", "STATUS", "LAYER"},
				{"LOW", "CVE-2", "p", "", "1", "-", "-", "-"},
				{"NONE", "CVE-1", "p", "", "1", "-", "-", "-"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := string(write(t, WriteTable, tc.r))
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) < len(tc.head) {
				t.Fatalf("got %d lines, want at least %d:\n%s", len(lines), len(tc.head), out)
			}
			if diff := cmp.Diff(tc.head, lines[:len(tc.head)]); diff != "" {
				t.Errorf("lines before the table (-want +got):\n%s", diff)
			}
			table := lines[len(tc.head):]
			var rows [][]string
			for _, l := range table {
				rows = append(rows, cellGap.Split(l, -1))
			}
			if diff := cmp.Diff(tc.rows, rows, emptyCellsAsSpaces()); diff != "" {
				t.Errorf("table cells (-want +got):\n%s\n%s", diff, out)
			}
			assertAligned(t, table)
		})
	}
}

// emptyCellsAsSpaces lets an expected empty cell match the wider gap that
// tabwriter leaves for it.
func emptyCellsAsSpaces() cmp.Option {
	return cmp.Transformer("dropEmpty", func(cells []string) []string {
		var out []string
		for _, c := range cells {
			if c != "" {
				out = append(out, c)
			}
		}
		return out
	})
}

// assertAligned checks that every column starts at the same offset on every
// line, as tabwriter should make it.
func assertAligned(t *testing.T, lines []string) {
	t.Helper()
	if len(lines) == 0 {
		return
	}
	header := lines[0]
	for _, col := range []string{"VULNERABILITY", "PACKAGE", "TYPE", "INSTALLED", "FIXED IN", "STATUS", "LAYER"} {
		at := strings.Index(header, col)
		for _, l := range lines[1:] {
			if at >= len(l) || l[at-1] != ' ' || l[at] == ' ' && col != "TYPE" {
				t.Errorf("column %s does not start at offset %d in %q", col, at, l)
			}
		}
	}
}

func TestWriteTableNeutralisesTerminalControl(t *testing.T) {
	tests := []struct {
		name  string
		field string
	}{
		{name: "escape sequence", field: "1.0\x1b[2J\x1b]0;pwned\x07"},
		{name: "carriage return", field: "1.0\rCRITICAL"},
		{name: "tab", field: "1.0\tshifted"},
		{name: "right-to-left override", field: "1.0\u202egnp.exe"},
		{name: "invalid UTF-8", field: "1.0\xff\xfe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := finding("CVE-1", "high", "p", false)
			f.Package.Version = tc.field
			out := string(write(t, WriteTable, &Report{Findings: []Finding{f}}))
			for _, bad := range []string{"\x1b", "\r", "\x07", "\u202e", "\xff"} {
				if strings.Contains(out, bad) {
					t.Errorf("output contains %q:\n%q", bad, out)
				}
			}
			if strings.Count(out, "\t") != 0 {
				t.Errorf("output contains a tab: %q", out)
			}
		})
	}
}
