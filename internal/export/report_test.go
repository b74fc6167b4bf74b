package export

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisadesec/palisade/internal/store"
)

func TestNewReport(t *testing.T) {
	res := &store.ScanResult{
		Image: store.ImageRecord{Digest: digest, Platform: "linux/arm64", OSID: "debian",
			OSVersion: "12", OSName: "Debian GNU/Linux 12 (bookworm)"},
		Layers:   []store.LayerRecord{{Index: 0, DiffID: layerA}},
		Packages: []store.PackageRecord{libssl(), urllib3()},
		Findings: []store.FindingRecord{
			{PackageIndex: 1, VulnID: "CVE-2026-1000", SeverityLevel: "critical"},
			{PackageIndex: 0, VulnID: "CVE-2026-2000", SeverityLevel: "unknown"},
		},
	}
	r, err := NewReport(res)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{name: "digest", got: r.Digest, want: digest},
		{name: "platform", got: r.Platform, want: "linux/arm64"},
		{name: "os", got: r.OS, want: OS{ID: "debian", Version: "12", Name: "Debian GNU/Linux 12 (bookworm)"}},
		{name: "layers", got: len(r.Layers), want: 1},
		{name: "packages", got: len(r.Packages), want: 2},
		{name: "first finding's package", got: r.Findings[0].Package.Name, want: "urllib3"},
		{name: "second finding's package", got: r.Findings[1].Package.Name, want: "libssl3"},
		{name: "nothing exempt yet", got: r.Findings[0].Exempt || r.Findings[1].Exempt, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveFindingsRejectsBadIndexes(t *testing.T) {
	tests := []struct {
		name  string
		index int
	}{
		{name: "negative", index: -1},
		{name: "past the end", index: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ResolveFindings([]store.PackageRecord{libssl(), urllib3()},
				[]store.FindingRecord{{PackageIndex: tc.index, VulnID: "CVE-1"}})
			if err == nil {
				t.Error("no error for an index outside the packages")
			}
		})
	}
}
