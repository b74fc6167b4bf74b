package export

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisadesec/palisade/internal/store"
)

func finding(id, level string, pkg string, exempt bool) Finding {
	return Finding{
		FindingRecord: store.FindingRecord{VulnID: id, SeverityLevel: level},
		Package:       store.PackageRecord{Name: pkg, Version: "1"},
		Exempt:        exempt,
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name      string
		findings  []Finding
		unhealthy []string
		want      Summary
	}{
		{
			name:     "sample report with the default levels",
			findings: sampleReport().Findings,
			want:     Summary{Critical: 1, Unknown: 1, Exempt: 1, Total: 3, Healthy: false},
		},
		{
			name:     "no findings is healthy",
			findings: nil,
			want:     Summary{Healthy: true},
		},
		{
			name: "only levels outside the unhealthy set",
			findings: []Finding{
				finding("A", "medium", "p", false), finding("B", "low", "p", false),
			},
			want: Summary{Medium: 1, Low: 1, Total: 2, Healthy: true},
		},
		{
			name:      "a configured set replaces the default",
			findings:  []Finding{finding("A", "unknown", "p", false)},
			unhealthy: []string{"critical"},
			want:      Summary{Unknown: 1, Total: 1, Healthy: true},
		},
		{
			name:      "configured levels are compared case-insensitively",
			findings:  []Finding{finding("A", "medium", "p", false)},
			unhealthy: []string{"Medium"},
			want:      Summary{Medium: 1, Total: 1, Healthy: false},
		},
		{
			name: "exempt findings count apart and do not make the target unhealthy",
			findings: []Finding{
				finding("A", "critical", "p", true), finding("B", "high", "p", true),
			},
			want: Summary{Exempt: 2, Total: 2, Healthy: true},
		},
		{
			name: "empty, odd and upper-case levels",
			findings: []Finding{
				finding("A", "", "p", false), finding("B", "severe", "p", false),
				finding("C", "HIGH", "p", false), finding("D", "none", "p", false),
			},
			want: Summary{High: 1, None: 1, Unknown: 2, Total: 4, Healthy: false},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Findings: tc.findings, UnhealthyLevels: tc.unhealthy}
			if diff := cmp.Diff(tc.want, r.Summary()); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummaryCount(t *testing.T) {
	s := Summary{Critical: 1, High: 2, Medium: 3, Low: 4, None: 5, Unknown: 6}
	tests := []struct {
		name  string
		level string
		want  int
	}{
		{name: "critical", level: "critical", want: 1},
		{name: "high in capitals", level: "HIGH", want: 2},
		{name: "medium", level: "medium", want: 3},
		{name: "low", level: "low", want: 4},
		{name: "none", level: "none", want: 5},
		{name: "unknown", level: "unknown", want: 6},
		{name: "not a level counts as unknown", level: "moderate", want: 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Count(tc.level); got != tc.want {
				t.Errorf("Count(%q) = %d, want %d", tc.level, got, tc.want)
			}
		})
	}
}

func TestSeverityRank(t *testing.T) {
	tests := []struct {
		name        string
		worse, less string
	}{
		{name: "critical over high", worse: "critical", less: "high"},
		{name: "high over medium", worse: "high", less: "medium"},
		{name: "medium over low", worse: "medium", less: "low"},
		{name: "low over none", worse: "low", less: "none"},
		{name: "none over unknown", worse: "none", less: "unknown"},
		{name: "case does not matter", worse: "Critical", less: "HIGH"},
		{name: "a real level over garbage", worse: "low", less: "bogus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if SeverityRank(tc.worse) <= SeverityRank(tc.less) {
				t.Errorf("SeverityRank(%q) = %d, not above SeverityRank(%q) = %d",
					tc.worse, SeverityRank(tc.worse), tc.less, SeverityRank(tc.less))
			}
		})
	}
}

func TestSortFindings(t *testing.T) {
	tests := []struct {
		name     string
		findings []Finding
		want     []string
	}{
		{
			name:     "sample report: worst first",
			findings: sampleReport().Findings,
			want:     []string{"CVE-2026-1000", "CVE-2026-3000", "CVE-2026-2000"},
		},
		{
			name: "same level: by package, then by id",
			findings: []Finding{
				finding("CVE-2", "high", "zlib", false), finding("CVE-9", "high", "bash", false),
				finding("CVE-1", "high", "zlib", false), finding("CVE-5", "critical", "zlib", false),
				finding("CVE-3", "", "apt", false),
			},
			want: []string{"CVE-5", "CVE-9", "CVE-1", "CVE-2", "CVE-3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			SortFindings(tc.findings)
			var got []string
			for _, f := range tc.findings {
				got = append(got, f.VulnID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWritersLeaveFindingOrderAlone(t *testing.T) {
	r := sampleReport()
	for _, f := range Formats {
		if err := Write(discard{}, f, r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	want := []string{"CVE-2026-2000", "CVE-2026-3000", "CVE-2026-1000"}
	for i, f := range r.Findings {
		if f.VulnID != want[i] {
			t.Fatalf("report findings were reordered: %d is %s, want %s", i, f.VulnID, want[i])
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
