package export

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisadesec/palisade/internal/store"
)

func TestWriteCycloneDX(t *testing.T) {
	doc := decode(t, write(t, WriteCycloneDX, sampleReport()))
	sslRef := "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
	meta := dig(t, doc, "metadata")
	comps := dig(t, doc, "components")
	vulns := dig(t, doc, "vulnerabilities")

	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "format", got: str(t, doc, "bomFormat"), want: "CycloneDX"},
		{name: "spec version", got: str(t, doc, "specVersion"), want: "1.6"},
		{name: "schema", got: str(t, doc, "$schema"),
			want: "http://cyclonedx.org/schema/bom-1.6.schema.json"},
		{name: "timestamp", got: str(t, meta, "timestamp"), want: "2026-12-03T10:05:00Z"},
		{name: "tool name", got: str(t, meta, "tools", "components", 0, "name"), want: "Palisade"},
		{name: "tool version", got: str(t, meta, "tools", "components", 0, "version"), want: "0.4.0"},
		{name: "image is a container", got: str(t, meta, "component", "type"), want: "container"},
		{name: "image name", got: str(t, meta, "component", "name"),
			want: "registry.local:5000/shop/api:1.4"},
		{name: "image version is the digest", got: str(t, meta, "component", "version"),
			want: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{name: "image hash algorithm", got: str(t, meta, "component", "hashes", 0, "alg"), want: "SHA-256"},
		{name: "image hash", got: str(t, meta, "component", "hashes", 0, "content"),
			want: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},

		{name: "first component is the OS", got: str(t, comps, 0, "type"), want: "operating-system"},
		{name: "OS name", got: str(t, comps, 0, "name"), want: "debian"},
		{name: "OS version", got: str(t, comps, 0, "version"), want: "12"},
		{name: "package type", got: str(t, comps, 1, "type"), want: "library"},
		{name: "package bom-ref is its purl", got: str(t, comps, 1, "bom-ref"), want: sslRef},
		{name: "package purl", got: str(t, comps, 2, "purl"), want: "pkg:pypi/urllib3@1.26.12"},
		{name: "package version", got: str(t, comps, 2, "version"), want: "1.26.12"},
		{name: "package file as evidence", got: str(t, comps, 2, "evidence", "occurrences", 0, "location"),
			want: "/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info"},

		{name: "vulnerabilities worst first", got: str(t, vulns, 0, "id"), want: "CVE-2026-1000"},
		{name: "source is OSV", got: str(t, vulns, 0, "source", "name"), want: "OSV"},
		{name: "source link", got: str(t, vulns, 0, "source", "url"),
			want: "https://osv.dev/vulnerability/CVE-2026-1000"},
		{name: "CVSS score", got: str(t, vulns, 0, "ratings", 0, "score"), want: "9.8"},
		{name: "rating severity", got: str(t, vulns, 0, "ratings", 0, "severity"), want: "critical"},
		{name: "CVSS v3 method", got: str(t, vulns, 0, "ratings", 0, "method"), want: "CVSSv31"},
		{name: "alias as reference", got: str(t, vulns, 0, "references", 1, "id"), want: "PYSEC-2026-17"},
		{name: "affects the package", got: str(t, vulns, 0, "affects", 0, "ref"),
			want: "pkg:pypi/urllib3@1.26.12"},
		{name: "affected version", got: str(t, vulns, 0, "affects", 0, "versions", 0, "version"),
			want: "1.26.12"},
		{name: "affected status", got: str(t, vulns, 0, "affects", 0, "versions", 0, "status"),
			want: "affected"},
		{name: "fixed version as recommendation", got: str(t, vulns, 0, "recommendation"),
			want: "Upgrade urllib3 to 1.26.18 or later."},
		{name: "description is the summary", got: str(t, vulns, 0, "description"),
			want: "urllib3 forwards the Proxy-Authorization header across redirects"},

		{name: "exempt one second", got: str(t, vulns, 1, "id"), want: "CVE-2026-3000"},
		{name: "CVSS v4 method", got: str(t, vulns, 1, "ratings", 0, "method"), want: "CVSSv4"},
		{name: "exempt analysis state", got: str(t, vulns, 1, "analysis", "state"), want: "exploitable"},
		{name: "exempt analysis response", got: str(t, vulns, 1, "analysis", "response", 0),
			want: "will_not_fix"},
		{name: "exempt analysis detail", got: str(t, vulns, 1, "analysis", "detail"),
			want: "Exempt in Palisade: Only used for TLS client connections to internal services"},
		{name: "exempt affects libssl3", got: str(t, vulns, 1, "affects", 0, "ref"), want: sslRef},

		{name: "unknown one last", got: str(t, vulns, 2, "id"), want: "CVE-2026-2000"},
		{name: "unknown rating", got: str(t, vulns, 2, "ratings", 0, "severity"), want: "unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}

	if n := length(t, comps); n != 3 {
		t.Errorf("%d components, want 3 (OS and two packages)", n)
	}
	if n := length(t, vulns); n != 3 {
		t.Errorf("%d vulnerabilities, want 3", n)
	}
	unknown := dig(t, vulns, 2)
	for _, key := range []string{"recommendation", "analysis"} {
		if has(t, unknown, key) {
			t.Errorf("the unknown finding has %q", key)
		}
	}
	for _, key := range []string{"score", "method"} {
		if has(t, dig(t, unknown, "ratings", 0), key) {
			t.Errorf("the unknown finding's rating has %q", key)
		}
	}
	if has(t, dig(t, vulns, 0), "analysis") {
		t.Error("an open finding has an analysis")
	}
	serial := regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	if s := str(t, doc, "serialNumber"); !serial.MatchString(s) {
		t.Errorf("serial number %q is not a UUID URN", s)
	}
}

func TestCycloneDXComponentProperties(t *testing.T) {
	doc := decode(t, write(t, WriteCycloneDX, sampleReport()))
	type prop struct{ Name, Value string }
	var got []prop
	for _, p := range dig(t, doc, "components", 1, "properties").([]any) {
		got = append(got, prop{Name: str(t, p, "name"), Value: str(t, p, "value")})
	}
	want := []prop{
		{"palisade:package_type", "deb"},
		{"palisade:ecosystem", "Debian:12"},
		{"palisade:source_name", "openssl"},
		{"palisade:source_version", "3.0.11-1~deb12u2"},
		{"palisade:layer_index", "0"},
		{"palisade:layer_diff_id", "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		{"palisade:path", "/var/lib/dpkg/status"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("libssl3 properties (-want +got):\n%s", diff)
	}
}

func TestCycloneDXBOMRefs(t *testing.T) {
	dup := store.PackageRecord{Type: "npm", Name: "left-pad", Version: "1.3.0", PURL: "pkg:npm/left-pad@1.3.0",
		Paths: []string{"/app/a/node_modules/left-pad/package.json"}}
	dup2 := dup
	dup2.Paths = []string{"/app/b/node_modules/left-pad/package.json"}
	noPURL := store.PackageRecord{Type: "binary", Name: "tool", Version: "1"}
	stray := store.PackageRecord{Type: "gem", Name: "rack", Version: "2.0.0", PURL: "pkg:gem/rack@2.0.0"}

	tests := []struct {
		name     string
		r        *Report
		refs     []string // components' bom-refs, in order
		affected []string // each vulnerability's affects[0].ref, in order
	}{
		{
			name: "same purl twice gets a numbered second ref",
			r: &Report{Packages: []store.PackageRecord{dup, dup2}, Findings: []Finding{
				{FindingRecord: store.FindingRecord{VulnID: "V-1", SeverityLevel: "high"}, Package: dup2},
				{FindingRecord: store.FindingRecord{VulnID: "V-2", SeverityLevel: "low"}, Package: dup},
			}},
			refs:     []string{"pkg:npm/left-pad@1.3.0", "pkg:npm/left-pad@1.3.0#1"},
			affected: []string{"pkg:npm/left-pad@1.3.0#1", "pkg:npm/left-pad@1.3.0"},
		},
		{
			name:     "package without purl",
			r:        &Report{Packages: []store.PackageRecord{noPURL}},
			refs:     []string{"package"},
			affected: nil,
		},
		{
			name: "finding whose package is not listed gets a component",
			r: &Report{Packages: []store.PackageRecord{dup}, Findings: []Finding{
				{FindingRecord: store.FindingRecord{VulnID: "V-3", SeverityLevel: "medium"}, Package: stray},
			}},
			refs:     []string{"pkg:npm/left-pad@1.3.0", "pkg:gem/rack@2.0.0"},
			affected: []string{"pkg:gem/rack@2.0.0"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := decode(t, write(t, WriteCycloneDX, tc.r))
			var refs, affected []string
			for i := range length(t, doc, "components") {
				refs = append(refs, str(t, doc, "components", i, "bom-ref"))
			}
			if has(t, doc, "vulnerabilities") {
				for i := range length(t, doc, "vulnerabilities") {
					affected = append(affected, str(t, doc, "vulnerabilities", i, "affects", 0, "ref"))
				}
			}
			if diff := cmp.Diff(tc.refs, refs); diff != "" {
				t.Errorf("bom-refs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.affected, affected); diff != "" {
				t.Errorf("affected refs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCycloneDXRatingMethod(t *testing.T) {
	tests := []struct {
		name   string
		source string
		want   string
	}{
		{name: "CVSS v4", source: "cvss_v4", want: "CVSSv4"},
		{name: "CVSS v3", source: "cvss_v3", want: "CVSSv31"},
		{name: "GitHub word", source: "ghsa", want: "other"},
		{name: "ecosystem word", source: "ecosystem", want: "other"},
		{name: "unknown", source: "unknown", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := finding("V", "high", "p", false)
			f.SeveritySource = tc.source
			if got := string(rating(f).Method); got != tc.want {
				t.Errorf("method for %q = %q, want %q", tc.source, got, tc.want)
			}
		})
	}
}
