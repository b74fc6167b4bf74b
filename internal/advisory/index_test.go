package advisory

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	unknownSeverity = Severity{Level: LevelUnknown, Source: SourceUnknown}
	// CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N, 7.5 by hand (severity_test.go).
	atlasHigh = Severity{
		Level: LevelHigh, Score: 7.5, Source: SourceCVSSv3,
		Vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
	}
)

// atlasMedium builds the severity of the apache-atlas records scored
// AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N. By hand, scope changed:
// ISS = 1 - 0.78 * 0.78 = 0.3916; impact = 7.52 * (0.3916 - 0.029) -
// 3.25 * (0.3916 - 0.02)^15 = 2.7268; exploitability = 8.22 * 0.85 * 0.77 *
// 0.85 (PR:N) * 0.62 (UI:R) = 2.8353; roundup(1.08 * 5.5620 = 6.0070) = 6.1.
func atlasMedium(version string) Severity {
	return Severity{
		Level: LevelMedium, Score: 6.1, Source: SourceCVSSv3,
		Vector: "CVSS:" + version + "/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
	}
}

func TestIndexLookup(t *testing.T) {
	ix := sharedIndex(t)

	gin := func(id, fix string, aliases ...string) Match {
		return Match{
			AdvisoryID: id, Aliases: aliases, Ecosystem: "Go", Package: "github.com/gin-gonic/gin",
			FixedVersion: fix, FixStatus: FixStatusFixed, Severity: unknownSeverity,
		}
	}
	gin0001 := gin("GO-2020-0001", "1.6.0", "CVE-2020-36567", "GHSA-6vm3-jj99-7229")
	gin0052 := gin("GO-2021-0052", "1.7.7", "CVE-2020-28483", "GHSA-h395-qcrw-5vmq")
	gin1737 := gin("GO-2023-1737", "1.9.1", "CVE-2023-29401", "GHSA-2c4m-59x9-fr2g")

	atlas := func(id, cve string, sev Severity) Match {
		return Match{
			AdvisoryID: id, Aliases: []string{cve}, Ecosystem: "PyPI", Package: "apache-atlas",
			FixStatus: FixStatusNoFix, Severity: sev,
		}
	}

	tests := []struct {
		name      string
		ecosystem string
		pkg       string
		version   string
		want      []Match
	}{
		{
			name:      "go module hit by three records",
			ecosystem: "Go", pkg: "github.com/gin-gonic/gin", version: "1.5.0",
			want: []Match{gin0001, gin0052, gin1737},
		},
		{
			name:      "go module at the first fix",
			ecosystem: "Go", pkg: "github.com/gin-gonic/gin", version: "v1.6.0",
			want: []Match{gin0052, gin1737},
		},
		{
			name:      "go module below a pseudo-version introduced",
			ecosystem: "Go", pkg: "github.com/gin-gonic/gin", version: "1.3.0",
			want: []Match{gin0001, gin0052},
		},
		{
			name:      "go module at the last fix",
			ecosystem: "Go", pkg: "github.com/gin-gonic/gin", version: "1.9.1",
		},
		{
			name:      "two affected entries of one record merge",
			ecosystem: "Go",
			pkg:       "github.com/sylabs/scs-library-client", version: "1.4.1",
			want: []Match{{
				AdvisoryID: "GO-2023-1497", Aliases: []string{"CVE-2022-23538", "GHSA-7p8m-22h4-9pj7"},
				Ecosystem: "Go", Package: "github.com/sylabs/scs-library-client",
				FixedVersion: "1.4.2", FixStatus: FixStatusFixed, Severity: unknownSeverity,
			}},
		},
		{
			name:      "between the two entries of one record",
			ecosystem: "Go",
			pkg:       "github.com/sylabs/scs-library-client", version: "1.3.5",
		},
		{
			name:      "pypi package listed only under versions, name normalized",
			ecosystem: "PyPI", pkg: "Gratient", version: "0.5",
			want: []Match{{
				AdvisoryID: "PYSEC-2024-1", Ecosystem: "PyPI", Package: "gratient",
				FixStatus: FixStatusNoFix, Severity: unknownSeverity,
			}},
		},
		{
			name:      "pypi version not listed",
			ecosystem: "PyPI", pkg: "gratient", version: "0.4",
		},
		{
			name:      "pypi last_affected is inclusive",
			ecosystem: "PyPI", pkg: "py", version: "1.11.0",
			want: []Match{{
				AdvisoryID: "PYSEC-2022-42969", Aliases: []string{"CVE-2022-42969", "GHSA-w596-4wvx-j9j6"},
				Ecosystem: "PyPI", Package: "py", FixStatus: FixStatusNoFix, Severity: unknownSeverity,
			}},
		},
		{
			name:      "pypi fixed and unfixed records together",
			ecosystem: "PyPI", pkg: "py", version: "1.9.0",
			want: []Match{
				{
					AdvisoryID: "PYSEC-2020-92", Aliases: []string{"CVE-2020-29651", "GHSA-hj5v-574p-mj7c"},
					Ecosystem: "PyPI", Package: "py", FixedVersion: "1.10.0", FixStatus: FixStatusFixed,
					Severity: unknownSeverity,
				},
				{
					AdvisoryID: "PYSEC-2022-42969", Aliases: []string{"CVE-2022-42969", "GHSA-w596-4wvx-j9j6"},
					Ecosystem: "PyPI", Package: "py", FixStatus: FixStatusNoFix, Severity: unknownSeverity,
				},
			},
		},
		{
			name:      "pypi name with underscore and capitals, scored records",
			ecosystem: "PyPI", pkg: "Apache_Atlas", version: "0.0.5",
			want: []Match{
				atlas("PYSEC-2017-105", "CVE-2016-8752", atlasHigh),
				atlas("PYSEC-2017-106", "CVE-2017-3150", atlasMedium("3.0")),
				atlas("PYSEC-2017-107", "CVE-2017-3151", atlasMedium("3.1")),
				atlas("PYSEC-2017-108", "CVE-2017-3152", atlasMedium("3.0")),
				atlas("PYSEC-2017-109", "CVE-2017-3153", atlasMedium("3.0")),
				atlas("PYSEC-2017-110", "CVE-2017-3154", atlasHigh),
				atlas("PYSEC-2017-111", "CVE-2017-3155", atlasMedium("3.0")),
			},
		},
		{
			name:      "debian backport, bare Debian entry not matched",
			ecosystem: "Debian:12", pkg: "libwidget", version: "1.2-3",
			want: []Match{
				{
					AdvisoryID: "DEBIAN-CVE-2099-1002", Aliases: []string{"CVE-2099-1002"},
					Ecosystem: "Debian:12", Package: "libwidget",
					FixedVersion: "1.2-3+deb12u1", FixStatus: FixStatusFixed,
					Severity: Severity{
						Level: LevelCritical, Score: 9.8, Source: SourceCVSSv3,
						Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
					},
				},
				{
					AdvisoryID: "DEBIAN-CVE-2099-1004", Aliases: []string{"CVE-2099-1004"},
					Ecosystem: "Debian:12", Package: "libwidget", FixStatus: FixStatusWillNotFix,
					Severity: Severity{Level: LevelLow, Source: SourceEcosystem},
				},
			},
		},
		{
			name:      "debian backport installed",
			ecosystem: "Debian:12", pkg: "libwidget", version: "1.2-3+deb12u1",
			want: []Match{{
				AdvisoryID: "DEBIAN-CVE-2099-1004", Aliases: []string{"CVE-2099-1004"},
				Ecosystem: "Debian:12", Package: "libwidget", FixStatus: FixStatusWillNotFix,
				Severity: Severity{Level: LevelLow, Source: SourceEcosystem},
			}},
		},
		{
			name:      "bare Debian query sees only the bare entry",
			ecosystem: "Debian", pkg: "libwidget", version: "1.0-1",
			want: []Match{{
				AdvisoryID: "DEBIAN-CVE-2099-1005", Aliases: []string{"CVE-2099-1005"},
				Ecosystem: "Debian", Package: "libwidget", FixStatus: FixStatusNoFix,
				Severity: Severity{Level: LevelHigh, Source: SourceEcosystem},
			}},
		},
		{
			name:      "debian severity from the matching release",
			ecosystem: "Debian:12", pkg: "exampled", version: "2.9-1",
			want: []Match{{
				AdvisoryID: "DEBIAN-CVE-2099-1001", Aliases: []string{"CVE-2099-1001"},
				Ecosystem: "Debian:12", Package: "exampled", FixedVersion: "1:2.3-1", FixStatus: FixStatusFixed,
				Severity: Severity{Level: LevelHigh, Source: SourceEcosystem},
			}},
		},
		{
			name:      "debian end-of-life release",
			ecosystem: "Debian:10", pkg: "exampled", version: "1:2.0-1",
			want: []Match{{
				AdvisoryID: "DEBIAN-CVE-2099-1001", Aliases: []string{"CVE-2099-1001"},
				Ecosystem: "Debian:10", Package: "exampled", FixStatus: FixStatusWillNotFix,
				Severity: unknownSeverity,
			}},
		},
		{
			name:      "debian tilde",
			ecosystem: "Debian:12", pkg: "tildepkg", version: "1.0~rc1-1",
			want: []Match{{
				AdvisoryID: "DEBIAN-CVE-2099-1003", Aliases: []string{"CVE-2099-1003"},
				Ecosystem: "Debian:12", Package: "tildepkg", FixedVersion: "1.0-1", FixStatus: FixStatusFixed,
				Severity: Severity{Level: LevelLow, Source: SourceEcosystem},
			}},
		},
		{
			name:      "alpine build number",
			ecosystem: "Alpine:v3.20", pkg: "busyexample", version: "1.2.3-r4",
			want: []Match{{
				AdvisoryID: "ALPINE-CVE-2099-2001", Aliases: []string{"CVE-2099-2001"},
				Ecosystem: "Alpine:v3.20", Package: "busyexample",
				FixedVersion: "1.2.3-r10", FixStatus: FixStatusFixed,
				Severity: unknownSeverity,
			}},
		},
		{
			name:      "alpine release without the record",
			ecosystem: "Alpine:v3.21", pkg: "busyexample", version: "1.2.3-r4",
		},
		{
			name:      "ubuntu negligible, old and new shape",
			ecosystem: "Ubuntu:22.04:LTS", pkg: "gadget", version: "2.0-1ubuntu1",
			want: []Match{
				{
					AdvisoryID: "UBUNTU-CVE-2099-3001", Ecosystem: "Ubuntu:22.04:LTS", Package: "gadget",
					FixStatus: FixStatusWillNotFix, Severity: Severity{Level: LevelLow, Source: SourceEcosystem},
				},
				{
					AdvisoryID: "UBUNTU-CVE-2099-3002", Aliases: []string{"CVE-2099-3002"},
					Ecosystem: "Ubuntu:22.04:LTS", Package: "gadget",
					FixStatus: FixStatusWillNotFix, Severity: Severity{Level: LevelLow, Source: SourceEcosystem},
				},
			},
		},
		{
			name:      "unknown package",
			ecosystem: "Go", pkg: "example.com/nothing", version: "1.0.0",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ix.Lookup(tt.ecosystem, tt.pkg, tt.version)
			if err != nil {
				t.Fatalf("Lookup() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lookup() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIndexLookupIncludes checks single advisories among the many that hit
// busy packages (k8s.io/kubernetes has 50 records, stdlib 167).
func TestIndexLookupIncludes(t *testing.T) {
	ix := sharedIndex(t)

	tests := []struct {
		name      string
		pkg       string
		version   string
		id        string
		wantFound bool
		wantFix   string
		wantState FixStatus
	}{
		{"withdrawn record never matches", "k8s.io/kubernetes", "1.30.0",
			"GO-2022-0617", false, "", ""},
		{"open record without a fix", "k8s.io/kubernetes", "1.30.0",
			"GO-2025-3521", true, "", FixStatusNoFix},
		{"open record from an introduced version", "k8s.io/kubernetes", "1.30.0",
			"GO-2025-3547", true, "", FixStatusNoFix},
		{"open record, below its introduced version", "k8s.io/kubernetes", "1.2.0",
			"GO-2025-3547", false, "", ""},
		{"fix inside the second interval", "k8s.io/kubernetes", "1.30.5",
			"GO-2025-3465", true, "1.30.10", FixStatusFixed},
		{"record with two stdlib entries, second one hit", "stdlib", "1.20.11",
			"GO-2023-2185", true, "1.20.12", FixStatusFixed},
		// The first entry's fix 1.21.4 opens the second entry's [1.21.4, 1.21.5),
		// so the version that leaves the advisory behind is 1.21.5; likewise
		// 1.20.11 is inside [1.20.11, 1.20.12).
		{"record with two stdlib entries, first one hit", "stdlib", "1.21.0",
			"GO-2023-2185", true, "1.21.5", FixStatusFixed},
		{"record with two stdlib entries, older line", "stdlib", "1.20.10",
			"GO-2023-2185", true, "1.20.12", FixStatusFixed},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ix.Lookup("Go", tt.pkg, tt.version)
			if err != nil {
				t.Fatalf("Lookup() error = %v", err)
			}

			i := slices.IndexFunc(got, func(m Match) bool { return m.AdvisoryID == tt.id })
			if found := i >= 0; found != tt.wantFound {
				t.Fatalf("%s in results = %v, want %v", tt.id, found, tt.wantFound)
			}
			if i >= 0 && (got[i].FixedVersion != tt.wantFix || got[i].FixStatus != tt.wantState) {
				t.Errorf("%s: fixed %q status %q, want %q %q",
					tt.id, got[i].FixedVersion, got[i].FixStatus, tt.wantFix, tt.wantState)
			}
		})
	}
}

func TestIndexLookupErrors(t *testing.T) {
	ix := sharedIndex(t)

	tests := []struct {
		name      string
		ecosystem string
		pkg       string
		version   string
		wantErr   error
	}{
		{"unparseable version of a known package", "Debian:12", "libwidget", "x:1.0", ErrInvalidVersion},
		{"empty version of a known package", "PyPI", "py", "", ErrInvalidVersion},
		{"unparseable version of an unknown package", "Debian:12", "nosuchpkg", "x:1.0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ix.Lookup(tt.ecosystem, tt.pkg, tt.version)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Lookup() error = %v, want %v", err, tt.wantErr)
			}
			if got != nil {
				t.Errorf("Lookup() = %v, want nil", got)
			}
		})
	}
}

func TestIndexAddReplaceRemove(t *testing.T) {
	orig := zipRecord(t, "Go.zip", "GO-2020-0001") // gin: introduced 0, fixed 1.6.0

	earlierFix := *orig
	earlierFix.Affected = []Affected{{
		Package: orig.Affected[0].Package,
		Ranges:  []Range{{Type: RangeSemver, Events: []Event{{Introduced: "0"}, {Fixed: "1.5.0"}}}},
	}}
	withdrawn := *orig
	withdrawn.Withdrawn = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	ix := NewIndex()
	steps := []struct {
		name    string
		apply   func()
		version string
		wantFix []string // fixed versions of the matches, one per match
		wantLen int
	}{
		{"add", func() { ix.Add(orig) }, "1.5.0", []string{"1.6.0"}, 1},
		{"same id replaces its entries", func() { ix.Add(&earlierFix) }, "1.5.0", nil, 1},
		{"replacement matches by its own range", func() {}, "1.4.0", []string{"1.5.0"}, 1},
		{"withdrawn version removes the record", func() { ix.Add(&withdrawn) }, "1.4.0", nil, 0},
		{"add again", func() { ix.Add(orig) }, "1.4.0", []string{"1.6.0"}, 1},
		{"remove", func() { ix.Remove(orig.ID) }, "1.4.0", nil, 0},
		{"remove an unknown id", func() { ix.Remove("GO-0000-0000") }, "1.4.0", nil, 0},
	}

	for _, st := range steps {
		st.apply()

		got, err := ix.Lookup("Go", "github.com/gin-gonic/gin", st.version)
		if err != nil {
			t.Fatalf("%s: Lookup() error = %v", st.name, err)
		}
		var fixes []string
		for _, m := range got {
			fixes = append(fixes, m.FixedVersion)
		}
		if diff := cmp.Diff(st.wantFix, fixes); diff != "" {
			t.Errorf("%s: fixed versions mismatch (-want +got):\n%s", st.name, diff)
		}
		if n := ix.Len(); n != st.wantLen {
			t.Errorf("%s: Len() = %d, want %d", st.name, n, st.wantLen)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		name      string
		ecosystem string
		pkg       string
		want      string
	}{
		{"pypi already normal", "PyPI", "requests", "requests"},
		{"pypi capitals", "PyPI", "Django", "django"},
		{"pypi runs of separators", "PyPI", "Foo__Bar.-baz", "foo-bar-baz"},
		{"pypi dots", "PyPI", "zope.interface", "zope-interface"},
		{"pypi double dash", "PyPI", "a--b", "a-b"},
		{"go is exact", "Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"},
		{"npm is exact", "npm", "@Scope/Pkg_x", "@Scope/Pkg_x"},
		{"debian is exact", "Debian:12", "libxml2", "libxml2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeName(tt.ecosystem, tt.pkg); got != tt.want {
				t.Errorf("NormalizeName(%q, %q) = %q, want %q", tt.ecosystem, tt.pkg, got, tt.want)
			}
		})
	}
}

// BenchmarkIndexLookup measures one lookup against an index of the real
// Go database. The queries are the package versions the database itself
// names (every event version of every range), each asked once as written and
// once with the "v" prefix Go build info uses, which takes the parse and
// binary-search path instead of the exact-string shortcut. Nearly every
// lookup finds candidates and many advisories (about 25 on average), so this
// is far heavier than an image inventory, where most packages have none.
func BenchmarkIndexLookup(b *testing.B) {
	ix := NewIndex()
	type q struct{ name, version string }
	var queries []q

	_, err := ReadZip(sharedZip(b, "Go.zip"), Limits{}, func(e Entry) error {
		ix.Add(e.Record)
		for _, a := range e.Record.Affected {
			for _, r := range a.Ranges {
				for _, ev := range r.Events {
					for _, v := range []string{ev.Introduced, ev.Fixed, ev.LastAffected} {
						if v != "" && v != "0" {
							queries = append(queries, q{a.Package.Name, v}, q{a.Package.Name, "v" + v})
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("read Go.zip: %v", err)
	}
	b.Logf("%d records, %d distinct queries", ix.Len(), len(queries))

	lookup := func(i int) error {
		qq := queries[i%len(queries)]
		if _, err := ix.Lookup("Go", qq.name, qq.version); err != nil {
			return fmt.Errorf("lookup %s@%s: %w", qq.name, qq.version, err)
		}
		return nil
	}

	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := lookup(i); err != nil {
				b.Fatal(err)
			}
		}
	})

	// Lookups share a read lock, so scan workers on all cores can match at
	// once; this is the figure to hold against "300,000 lookups on 2 cores".
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := lookup(int(next.Add(1))); err != nil {
					b.Error(err) // Fatal may not be called off the benchmark goroutine
					return
				}
			}
		})
	})
}

// TestIndexConcurrent runs lookups while records are replaced, for the race
// detector: lookups re-rank a changed package under the read lock.
func TestIndexConcurrent(t *testing.T) {
	ix := NewIndex()
	orig := zipRecord(t, "Go.zip", "GO-2020-0001")  // gin: fixed 1.6.0
	other := zipRecord(t, "Go.zip", "GO-2021-0052") // gin: fixed 1.7.7
	ix.Add(other)

	done := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				got, err := ix.Lookup("Go", "github.com/gin-gonic/gin", "1.5.0")
				if err != nil || len(got) == 0 || len(got) > 2 {
					errs <- fmt.Errorf("Lookup() = %d matches, %v", len(got), err)
					return
				}
			}
		}()
	}

	for range 200 {
		ix.Add(orig)
		ix.Remove(orig.ID)
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
