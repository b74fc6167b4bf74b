package inventory

import (
	"testing"

	"github.com/palisadesec/palisade/internal/advisory"
)

// TestMatchKeyFindsAdvisories checks that inventoried packages meet
// advisories of the shape the public feeds publish. The records are
// hand-made (CVE ids of the year 2099), like internal/advisory's testdata.
func TestMatchKeyFindsAdvisories(t *testing.T) {
	rec := func(id, eco, name, fixed string) *advisory.Record {
		return &advisory.Record{ID: id, Affected: []advisory.Affected{{
			Package: advisory.Package{Ecosystem: eco, Name: name},
			Ranges: []advisory.Range{{Type: advisory.RangeEcosystem, Events: []advisory.Event{
				{Introduced: "0"}, {Fixed: fixed},
			}}},
		}}}
	}
	ix := advisory.NewIndex()
	for _, r := range []*advisory.Record{
		// Debian names the source package and its version.
		rec("DEBIAN-CVE-2099-0001", "Debian:12", "openssl", "3.0.13-1~deb12u1"),
		rec("DEBIAN-CVE-2099-0002", "Debian:12", "curl", "7.88.1-10+deb12u6"),
		// Alpine names the origin.
		rec("ALPINE-CVE-2099-0003", "Alpine:v3.20", "openssl", "3.3.2-r1"),
		// PyPI names are normalized.
		rec("PYSEC-2099-0004", "PyPI", "jinja2", "3.1.3"),
		// Go's database calls the toolchain "stdlib".
		{ID: "GO-2099-0005", Affected: []advisory.Affected{{
			Package: advisory.Package{Ecosystem: "Go", Name: "stdlib"},
			Ranges: []advisory.Range{{Type: advisory.RangeSemver, Events: []advisory.Event{
				{Introduced: "0"}, {Fixed: "99.0.0"}}}},
		}}},
	} {
		ix.Add(r)
	}

	debian := inventoryOf(t, buildImage(t,
		step{"ADD rootfs.tar.xz /", debianBase(statusSSL)},
		step{"RUN apt-get install -y libcurl4 python3-jinja2", []entry{
			file("var/lib/dpkg/status", statusCurl+statusSSL),
			file("usr/lib/python3/dist-packages/Jinja2-3.1.2.egg-info/PKG-INFO", "Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\n"),
		}},
	), testOptions(t))
	alpine := inventoryOf(t, buildImage(t, step{"ADD alpine.tar.gz /", []entry{
		file("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"),
		file("lib/apk/db/installed", alpineInstalled),
	}}), testOptions(t))
	gobin := inventoryOf(t, buildImage(t, step{"COPY app /", []entry{
		{Name: "app", Body: string(buildGoBinary(t)), Mode: 0o755},
	}}), testOptions(t))

	tests := []struct {
		name   string
		res    *Result
		pkg    string
		wantID string
	}{
		{"deb binary package matched by its source", debian, "libssl3", "DEBIAN-CVE-2099-0001"},
		{"deb matched by the name in \"Source: curl (version)\"", debian, "libcurl4", "DEBIAN-CVE-2099-0002"},
		{"apk matched by its origin", alpine, "libcrypto3", "ALPINE-CVE-2099-0003"},
		{"python name normalized by the index", debian, "Jinja2", "PYSEC-2099-0004"},
		{"go toolchain as stdlib", gobin, "stdlib", "GO-2099-0005"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := findPackage(t, tt.res.Packages, tt.pkg)
			eco, name, version := p.MatchKey()
			matches, err := ix.Lookup(eco, name, version)
			if err != nil {
				t.Fatalf("Lookup(%q, %q, %q): %v", eco, name, version, err)
			}
			if len(matches) != 1 || matches[0].AdvisoryID != tt.wantID {
				t.Errorf("Lookup(%q, %q, %q) = %+v, want %s", eco, name, version, matches, tt.wantID)
			}
		})
	}
}
