package advisory

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatchAffected(t *testing.T) {
	// Real records; the expected values come from reading their JSON.
	// GO-2020-0001, gin: introduced 0, fixed 1.6.0.
	gin := &zipRecord(t, "Go.zip", "GO-2020-0001").Affected[0]
	// GO-2023-1737, gin: introduced 1.3.1-0.20190301021747-ccb9e902956d,
	// fixed 1.9.1.
	ginPseudo := &zipRecord(t, "Go.zip", "GO-2023-1737").Affected[0]
	// GO-2023-2185, stdlib: entry 0 is [0, 1.20.11) and [1.21.0-0, 1.21.4);
	// entry 1 is [1.20.11, 1.20.12) and [1.21.4, 1.21.5).
	stdlib := zipRecord(t, "Go.zip", "GO-2023-2185").Affected
	// PYSEC-2024-1, gratient: versions ["0.5"] and no ranges.
	gratient := &zipRecord(t, "PyPI.zip", "PYSEC-2024-1").Affected[0]
	// PYSEC-2022-42969, py: introduced 0, last_affected 1.11.0, 65 versions;
	// pyRange is the same entry without its list, so only the range decides.
	pyLast := &zipRecord(t, "PyPI.zip", "PYSEC-2022-42969").Affected[0]
	pyRange := *pyLast
	pyRange.Versions = nil
	// PYSEC-2020-92, py: introduced 0, fixed 1.10.0.
	pyFixed := &zipRecord(t, "PyPI.zip", "PYSEC-2020-92").Affected[0]

	// Hand-made OS records in the published shapes (testdata/os, see its README).
	deb := osRecord(t, "DEBIAN-CVE-2099-1001").Affected // Debian:11, Debian:12, Debian:10
	backport := &osRecord(t, "DEBIAN-CVE-2099-1002").Affected[0]
	tilde := &osRecord(t, "DEBIAN-CVE-2099-1003").Affected[0]
	unimportant := &osRecord(t, "DEBIAN-CVE-2099-1004").Affected[0]
	alpine := osRecord(t, "ALPINE-CVE-2099-2001").Affected // v3.19, v3.20
	ubuntu := osRecord(t, "UBUNTU-CVE-2099-3001").Affected // 22.04, 24.04

	// Inline entries for range shapes the real data does not show.
	semver := func(eco string, ranges ...[]Event) *Affected {
		a := &Affected{Package: Package{Ecosystem: eco, Name: "example.com/m"}}
		for _, events := range ranges {
			a.Ranges = append(a.Ranges, Range{Type: RangeSemver, Events: events})
		}
		return a
	}
	overlapping := semver("Go",
		[]Event{{Introduced: "0"}, {Fixed: "1.5.0"}},
		[]Event{{Introduced: "1.4.0"}, {Fixed: "2.0.0"}})
	limited := semver("Go", []Event{{Introduced: "1.0.0"}, {Limit: "2.0.0"}})
	noIntroduced := semver("npm", []Event{{Fixed: "1.3.0"}})
	unknownType := semver("npm", []Event{{Introduced: "0"}})
	unknownType.Ranges[0].Type = "FOO"
	gitOnly := semver("npm", []Event{{Introduced: "0"}})
	gitOnly.Ranges[0].Type = RangeGit
	lastAtIntroduced := &Affected{
		Package: Package{Ecosystem: "PyPI", Name: "p"},
		Ranges: []Range{{
			Type:   RangeEcosystem,
			Events: []Event{{Introduced: "2.0"}, {LastAffected: "2.0"}},
		}},
	}

	fixed := func(v string) Verdict {
		return Verdict{Affected: true, FixedVersion: v, FixStatus: FixStatusFixed}
	}
	noFix := Verdict{Affected: true, FixStatus: FixStatusNoFix}
	wontFix := Verdict{Affected: true, FixStatus: FixStatusWillNotFix}
	clean := Verdict{}

	tests := []struct {
		name    string
		a       *Affected
		eco     string // the query's ecosystem; empty means the entry's own
		version string
		want    Verdict
		wantErr error
	}{
		{"go: inside the range", gin, "", "1.5.0", fixed("1.6.0"), nil},
		{"go: v prefix from build info", gin, "", "v1.5.0", fixed("1.6.0"), nil},
		{"go: at the fixed version", gin, "", "1.6.0", clean, nil},
		{"go: above the fixed version", gin, "", "1.6.1", clean, nil},
		{"go: ecosystem compared exactly", gin, "go", "1.5.0", clean, nil},
		{"go: before a pseudo-version introduced", ginPseudo, "", "1.3.0", clean, nil},
		{"go: at a pseudo-version introduced", ginPseudo, "",
			"1.3.1-0.20190301021747-ccb9e902956d", fixed("1.9.1"), nil},
		{"go: two intervals, first", &stdlib[0], "", "1.20.10", fixed("1.20.11"), nil},
		{"go: two intervals, gap", &stdlib[0], "", "1.20.11", clean, nil},
		{"go: two intervals, prerelease introduced", &stdlib[0], "", "1.21.0-0", fixed("1.21.4"), nil},
		{"go: two intervals, second", &stdlib[0], "", "1.21.3", fixed("1.21.4"), nil},
		{"go: second entry of the same record", &stdlib[1], "", "1.20.11", fixed("1.20.12"), nil},
		{"pypi: listed only under versions", gratient, "", "0.5", noFix, nil},
		{"pypi: listed version, equal by PEP 440", gratient, "", "0.5.0", noFix, nil},
		{"pypi: not listed", gratient, "", "0.6", clean, nil},
		{"pypi: last_affected is inclusive", &pyRange, "", "1.11.0", noFix, nil},
		{"pypi: above last_affected", &pyRange, "", "1.11.0.post1", clean, nil},
		{"pypi: dev release in the versions list", pyLast, "", "1.4.7.dev3", noFix, nil},
		{"pypi: below a fixed event", pyFixed, "", "1.9.0", fixed("1.10.0"), nil},
		{"pypi: at a fixed event", pyFixed, "", "1.10.0", clean, nil},
		{"debian: no epoch sorts below epoch 1", &deb[1], "", "2.9-1", fixed("1:2.3-1"), nil},
		{"debian: same epoch, older", &deb[1], "", "1:2.2-5", fixed("1:2.3-1"), nil},
		{"debian: at the fixed version", &deb[1], "", "1:2.3-1", clean, nil},
		{"debian: later stable update", &deb[1], "", "1:2.3-1+deb12u1", clean, nil},
		{"debian: bare ecosystem does not match a release", &deb[1], "Debian", "1:2.2-5", clean, nil},
		{"debian: other release, other fix", &deb[0], "", "1:2.1-4+deb11u1", fixed("1:2.1-4+deb11u2"), nil},
		{"debian: end-of-life release", &deb[2], "", "1:2.0-1", wontFix, nil},
		{"debian: upstream version of a backport", backport, "", "1.2-3", fixed("1.2-3+deb12u1"), nil},
		{"debian: the backport itself is fixed", backport, "", "1.2-3+deb12u1", clean, nil},
		{"debian: tilde sorts before the release", tilde, "", "1.0~rc1-1", fixed("1.0-1"), nil},
		{"debian: tilde without revision", tilde, "", "1.0~rc1", fixed("1.0-1"), nil},
		{"debian: the release is fixed", tilde, "", "1.0-1", clean, nil},
		{"debian: unimportant and open", unimportant, "", "1.2-3+deb12u1", wontFix, nil},
		{"alpine: -r4 sorts below -r10", &alpine[1], "", "1.2.3-r4", fixed("1.2.3-r10"), nil},
		{"alpine: -r9", &alpine[1], "", "1.2.3-r9", fixed("1.2.3-r10"), nil},
		{"alpine: at -r10", &alpine[1], "", "1.2.3-r10", clean, nil},
		{"alpine: other release", &alpine[0], "", "1.2.3-r4", fixed("1.2.3-r5"), nil},
		{"ubuntu: negligible and open", &ubuntu[0], "", "2.0-1ubuntu1", wontFix, nil},
		{"ubuntu: fixed in an update", &ubuntu[1], "", "2.4-1", fixed("2.4-1ubuntu0.1"), nil},
		{"overlap: skip a fix the other range still covers", overlapping, "", "1.2.0", fixed("2.0.0"), nil},
		{"overlap: inside both", overlapping, "", "1.4.5", fixed("2.0.0"), nil},
		{"limit: below it", limited, "", "1.9.9", noFix, nil},
		{"limit: at it", limited, "", "2.0.0", clean, nil},
		{"missing introduced reads as 0", noIntroduced, "", "0.9.0", fixed("1.3.0"), nil},
		{"unknown range type is ignored", unknownType, "", "1.0.0", clean, nil},
		{"git ranges are ignored", gitOnly, "", "1.0.0", clean, nil},
		{"introduced and last_affected at one version", lastAtIntroduced, "", "2.0", noFix, nil},
		{"introduced and last_affected, above", lastAtIntroduced, "", "2.0.1", clean, nil},
		{"unparseable debian version", &deb[1], "", "x:1.0-1", clean, ErrInvalidVersion},
		{"empty version", &deb[1], "", "", clean, ErrInvalidVersion},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eco := tt.eco
			if eco == "" {
				eco = tt.a.Package.Ecosystem
			}

			got, err := MatchAffected(tt.a, eco, tt.version)
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
