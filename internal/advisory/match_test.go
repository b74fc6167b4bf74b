package advisory

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatchAffected(t *testing.T) {
	// Real records; the expected values come from reading their JSON.
	gin0001 := zipRecord(t, "Go.zip", "GO-2020-0001")      // gin: introduced 0, fixed 1.6.0
	gin1737 := zipRecord(t, "Go.zip", "GO-2023-1737")      // gin: introduced 1.3.1-0.20190301021747-ccb9e902956d, fixed 1.9.1
	stdlib2185 := zipRecord(t, "Go.zip", "GO-2023-2185")   // stdlib: [0,1.20.11) [1.21.0-0,1.21.4); then [1.20.11,1.20.12) [1.21.4,1.21.5)
	gratient := zipRecord(t, "PyPI.zip", "PYSEC-2024-1")   // versions ["0.5"], no ranges
	pyLast := zipRecord(t, "PyPI.zip", "PYSEC-2022-42969") // py: introduced 0, last_affected 1.11.0, plus 65 versions
	pyFixed := zipRecord(t, "PyPI.zip", "PYSEC-2020-92")   // py: introduced 0, fixed 1.10.0
	pyLastRangeOnly := pyLast.Affected[0]                  // the same entry without its versions list,
	pyLastRangeOnly.Versions = nil                         // so only the last_affected range decides

	// Hand-made OS records in the published shapes (testdata/os, see its README).
	debEpoch := osRecord(t, "DEBIAN-CVE-2099-1001")
	debBackport := osRecord(t, "DEBIAN-CVE-2099-1002")
	debTilde := osRecord(t, "DEBIAN-CVE-2099-1003")
	debUnimportant := osRecord(t, "DEBIAN-CVE-2099-1004")
	alpine := osRecord(t, "ALPINE-CVE-2099-2001")
	ubuntu := osRecord(t, "UBUNTU-CVE-2099-3001")

	// Inline entries for range shapes the real data does not show.
	overlapping := &Affected{
		Package: Package{Ecosystem: "Go", Name: "example.com/m"},
		Ranges: []Range{
			{Type: RangeSemver, Events: []Event{{Introduced: "0"}, {Fixed: "1.5.0"}}},
			{Type: RangeSemver, Events: []Event{{Introduced: "1.4.0"}, {Fixed: "2.0.0"}}},
		},
	}
	limited := &Affected{
		Package: Package{Ecosystem: "Go", Name: "example.com/m"},
		Ranges:  []Range{{Type: RangeSemver, Events: []Event{{Introduced: "1.0.0"}, {Limit: "2.0.0"}}}},
	}
	noIntroduced := &Affected{
		Package: Package{Ecosystem: "npm", Name: "left-pad"},
		Ranges:  []Range{{Type: RangeSemver, Events: []Event{{Fixed: "1.3.0"}}}},
	}
	unknownType := &Affected{
		Package: Package{Ecosystem: "npm", Name: "left-pad"},
		Ranges:  []Range{{Type: "FOO", Events: []Event{{Introduced: "0"}}}},
	}
	gitOnly := &Affected{
		Package: Package{Ecosystem: "npm", Name: "left-pad"},
		Ranges:  []Range{{Type: RangeGit, Repo: "https://example.org/r", Events: []Event{{Introduced: "0"}}}},
	}
	sameIntroducedAndLast := &Affected{
		Package: Package{Ecosystem: "PyPI", Name: "p"},
		Ranges:  []Range{{Type: RangeEcosystem, Events: []Event{{Introduced: "2.0"}, {LastAffected: "2.0"}}}},
	}

	fixed := func(v string) Verdict { return Verdict{Affected: true, FixedVersion: v, FixStatus: FixStatusFixed} }
	noFix := Verdict{Affected: true, FixStatus: FixStatusNoFix}
	willNotFix := Verdict{Affected: true, FixStatus: FixStatusWillNotFix}
	clean := Verdict{}

	tests := []struct {
		name      string
		affected  *Affected
		ecosystem string
		version   string
		want      Verdict
		wantErr   error
	}{
		{"go: inside the range", &gin0001.Affected[0], "Go", "1.5.0", fixed("1.6.0"), nil},
		{"go: v prefix from build info", &gin0001.Affected[0], "Go", "v1.5.0", fixed("1.6.0"), nil},
		{"go: at the fixed version", &gin0001.Affected[0], "Go", "1.6.0", clean, nil},
		{"go: above the fixed version", &gin0001.Affected[0], "Go", "1.6.1", clean, nil},
		{"go: ecosystem compared exactly", &gin0001.Affected[0], "go", "1.5.0", clean, nil},
		{"go: before a pseudo-version introduced", &gin1737.Affected[0], "Go", "1.3.0", clean, nil},
		{"go: at a pseudo-version introduced", &gin1737.Affected[0], "Go", "1.3.1-0.20190301021747-ccb9e902956d", fixed("1.9.1"), nil},
		{"go: two intervals, first", &stdlib2185.Affected[0], "Go", "1.20.10", fixed("1.20.11"), nil},
		{"go: two intervals, gap", &stdlib2185.Affected[0], "Go", "1.20.11", clean, nil},
		{"go: two intervals, prerelease introduced", &stdlib2185.Affected[0], "Go", "1.21.0-0", fixed("1.21.4"), nil},
		{"go: two intervals, second", &stdlib2185.Affected[0], "Go", "1.21.3", fixed("1.21.4"), nil},
		{"go: second entry of the same record", &stdlib2185.Affected[1], "Go", "1.20.11", fixed("1.20.12"), nil},
		{"pypi: listed only under versions", &gratient.Affected[0], "PyPI", "0.5", noFix, nil},
		{"pypi: listed version, equal by PEP 440", &gratient.Affected[0], "PyPI", "0.5.0", noFix, nil},
		{"pypi: not listed", &gratient.Affected[0], "PyPI", "0.6", clean, nil},
		{"pypi: last_affected is inclusive", &pyLastRangeOnly, "PyPI", "1.11.0", noFix, nil},
		{"pypi: above last_affected", &pyLastRangeOnly, "PyPI", "1.11.0.post1", clean, nil},
		{"pypi: dev release in the versions list", &pyLast.Affected[0], "PyPI", "1.4.7.dev3", noFix, nil},
		{"pypi: below a fixed event", &pyFixed.Affected[0], "PyPI", "1.9.0", fixed("1.10.0"), nil},
		{"pypi: at a fixed event", &pyFixed.Affected[0], "PyPI", "1.10.0", clean, nil},
		{"debian: no epoch sorts below epoch 1", &debEpoch.Affected[1], "Debian:12", "2.9-1", fixed("1:2.3-1"), nil},
		{"debian: same epoch, older", &debEpoch.Affected[1], "Debian:12", "1:2.2-5", fixed("1:2.3-1"), nil},
		{"debian: at the fixed version", &debEpoch.Affected[1], "Debian:12", "1:2.3-1", clean, nil},
		{"debian: later stable update", &debEpoch.Affected[1], "Debian:12", "1:2.3-1+deb12u1", clean, nil},
		{"debian: bare ecosystem does not match a release", &debEpoch.Affected[1], "Debian", "1:2.2-5", clean, nil},
		{"debian: other release, other fix", &debEpoch.Affected[0], "Debian:11", "1:2.1-4+deb11u1", fixed("1:2.1-4+deb11u2"), nil},
		{"debian: end-of-life release", &debEpoch.Affected[2], "Debian:10", "1:2.0-1", willNotFix, nil},
		{"debian: upstream version of a backport", &debBackport.Affected[0], "Debian:12", "1.2-3", fixed("1.2-3+deb12u1"), nil},
		{"debian: the backport itself is fixed", &debBackport.Affected[0], "Debian:12", "1.2-3+deb12u1", clean, nil},
		{"debian: tilde sorts before the release", &debTilde.Affected[0], "Debian:12", "1.0~rc1-1", fixed("1.0-1"), nil},
		{"debian: tilde without revision", &debTilde.Affected[0], "Debian:12", "1.0~rc1", fixed("1.0-1"), nil},
		{"debian: the release is fixed", &debTilde.Affected[0], "Debian:12", "1.0-1", clean, nil},
		{"debian: unimportant and open", &debUnimportant.Affected[0], "Debian:12", "1.2-3+deb12u1", willNotFix, nil},
		{"alpine: -r4 sorts below -r10", &alpine.Affected[1], "Alpine:v3.20", "1.2.3-r4", fixed("1.2.3-r10"), nil},
		{"alpine: -r9", &alpine.Affected[1], "Alpine:v3.20", "1.2.3-r9", fixed("1.2.3-r10"), nil},
		{"alpine: at -r10", &alpine.Affected[1], "Alpine:v3.20", "1.2.3-r10", clean, nil},
		{"alpine: other release", &alpine.Affected[0], "Alpine:v3.19", "1.2.3-r4", fixed("1.2.3-r5"), nil},
		{"ubuntu: negligible and open", &ubuntu.Affected[0], "Ubuntu:22.04:LTS", "2.0-1ubuntu1", willNotFix, nil},
		{"ubuntu: fixed in an update", &ubuntu.Affected[1], "Ubuntu:24.04:LTS", "2.4-1", fixed("2.4-1ubuntu0.1"), nil},
		{"overlapping ranges: skip a fix that the other range still covers", overlapping, "Go", "1.2.0", fixed("2.0.0"), nil},
		{"overlapping ranges: inside both", overlapping, "Go", "1.4.5", fixed("2.0.0"), nil},
		{"limit: below it", limited, "Go", "1.9.9", noFix, nil},
		{"limit: at it", limited, "Go", "2.0.0", clean, nil},
		{"missing introduced reads as 0", noIntroduced, "npm", "0.9.0", fixed("1.3.0"), nil},
		{"unknown range type is ignored", unknownType, "npm", "1.0.0", clean, nil},
		{"git ranges are ignored", gitOnly, "npm", "1.0.0", clean, nil},
		{"introduced and last_affected at one version", sameIntroducedAndLast, "PyPI", "2.0", noFix, nil},
		{"introduced and last_affected, above", sameIntroducedAndLast, "PyPI", "2.0.1", clean, nil},
		{"unparseable debian version", &debEpoch.Affected[1], "Debian:12", "x:1.0-1", clean, ErrInvalidVersion},
		{"empty version", &debEpoch.Affected[1], "Debian:12", "", clean, ErrInvalidVersion},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MatchAffected(tt.affected, tt.ecosystem, tt.version)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("MatchAffected() error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MatchAffected() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEcosystemBase(t *testing.T) {
	tests := []struct {
		name      string
		ecosystem string
		want      string
	}{
		{"plain", "Go", "Go"},
		{"debian release", "Debian:12", "Debian"},
		{"alpine release", "Alpine:v3.20", "Alpine"},
		{"ubuntu release", "Ubuntu:Pro:18.04:LTS", "Ubuntu"},
		{"red hat stream", "Red Hat:rhel_aus:8.6::appstream", "Red Hat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EcosystemBase(tt.ecosystem); got != tt.want {
				t.Errorf("EcosystemBase(%q) = %q, want %q", tt.ecosystem, got, tt.want)
			}
		})
	}
}
