package export

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/palisadesec/palisade/internal/store"
)

// The sample report: two packages and three findings, one critical with a
// CVSS score of 9.8, one of unknown severity with no fix, and one exempt.
// The findings are listed out of order on purpose.

var (
	layerA = "sha256:" + strings.Repeat("a", 64)
	layerB = "sha256:" + strings.Repeat("b", 64)
	digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	genAt  = time.Date(2026, 12, 3, 10, 5, 0, 0, time.UTC)
)

func libssl() store.PackageRecord {
	return store.PackageRecord{
		Type: "deb", Ecosystem: "Debian:12", Name: "libssl3", Version: "3.0.11-1~deb12u2",
		SourceName: "openssl", SourceVersion: "3.0.11-1~deb12u2",
		PURL:  "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
		Paths: []string{"/var/lib/dpkg/status"}, LayerIndex: 0, LayerDiffID: layerA,
	}
}

func urllib3() store.PackageRecord {
	return store.PackageRecord{
		Type: "python", Ecosystem: "PyPI", Name: "urllib3", Version: "1.26.12",
		PURL:  "pkg:pypi/urllib3@1.26.12",
		Paths: []string{"/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info"}, LayerIndex: 1, LayerDiffID: layerB,
	}
}

func score(f float64) *float64 { return &f }

func unknownFinding() Finding {
	return Finding{
		FindingRecord: store.FindingRecord{
			VulnID: "CVE-2026-2000", AdvisoryIDs: []string{"DEBIAN-CVE-2026-2000"},
			SeverityLevel: "unknown", SeveritySource: "unknown", FixStatus: "no_fix",
		},
		Package: libssl(),
	}
}

func exemptFinding() Finding {
	return Finding{
		FindingRecord: store.FindingRecord{
			VulnID: "CVE-2026-3000", AdvisoryIDs: []string{"DSA-5999-1"},
			Summary:       "Timing side channel in RSA decryption",
			SeverityLevel: "medium", SeverityScore: score(5.3), SeveritySource: "cvss_v4",
			FixedVersion: "3.0.13-1~deb12u1", FixStatus: "fixed",
		},
		Package:      libssl(),
		Exempt:       true,
		ExemptReason: "Only used for TLS client connections to internal services",
	}
}

func criticalFinding() Finding {
	return Finding{
		FindingRecord: store.FindingRecord{
			VulnID:        "CVE-2026-1000",
			AdvisoryIDs:   []string{"GHSA-9x4q-3gxw-849f", "PYSEC-2026-17"},
			Aliases:       []string{"GHSA-9x4q-3gxw-849f", "PYSEC-2026-17"},
			Summary:       "urllib3 forwards the Proxy-Authorization header across redirects",
			SeverityLevel: "critical", SeverityScore: score(9.8), SeveritySource: "cvss_v3",
			FixedVersion: "1.26.18", FixStatus: "fixed",
		},
		Package: urllib3(),
	}
}

func sampleReport() *Report {
	return &Report{
		Target:      "registry.local:5000/shop/api:1.4",
		Digest:      digest,
		Platform:    "linux/amd64",
		OS:          OS{ID: "debian", Version: "12", Name: "Debian GNU/Linux 12 (bookworm)"},
		FeedVersion: "12 (sha256:abc123, 2026-12-03T10:00:00Z)",
		GeneratedAt: genAt,
		ToolVersion: "0.4.0",
		Layers: []store.LayerRecord{
			{Index: 0, Digest: "sha256:" + strings.Repeat("1", 64), DiffID: layerA, SizeBytes: 29000000,
				CreatedBy: "debootstrap", BaseLayer: true},
			{Index: 1, Digest: "sha256:" + strings.Repeat("2", 64), DiffID: layerB, SizeBytes: 4100000,
				CreatedBy: "RUN apt-get install -y python3-urllib3"},
		},
		Packages: []store.PackageRecord{libssl(), urllib3()},
		Findings: []Finding{unknownFinding(), exemptFinding(), criticalFinding()},
	}
}

// hostileReport carries untrusted text that must not break any format:
// markup, quotes, newlines, escape sequences, a bidi override, paths with
// spaces and colons, a package without files or purl, two packages with
// the same purl, and a finding whose package the report does not list.
func hostileReport() *Report {
	odd := store.PackageRecord{
		Type: "npm", Ecosystem: "npm", Name: "=cmd|' /C calc'!A0", Version: "1.0.0\x1b[2J",
		PURL: "pkg:npm/evil@1.0.0", Paths: []string{"/app/node_modules/a b/c:d/package.json"},
		LayerIndex: 2, LayerDiffID: "sha256:" + strings.Repeat("c", 64),
	}
	twin := odd
	twin.Paths = []string{"/srv/node_modules/evil/package.json"}
	bare := store.PackageRecord{Type: "go-module", Ecosystem: "Go", Name: "example.com/m", Version: "v0.1.0"}
	stray := store.PackageRecord{Type: "gem", Ecosystem: "RubyGems", Name: "rack", Version: "2.0.0",
		Paths: []string{"/usr/lib/ruby/gems/rack.gemspec"}}
	return &Report{
		Target:   "./image archive.tar",
		Packages: []store.PackageRecord{odd, twin, bare},
		Findings: []Finding{
			{FindingRecord: store.FindingRecord{VulnID: "GHSA-xxxx-yyyy-zzzz",
				Summary:       "<script>alert(1)</script> \"quoted\", [link](http://x) \u202e\nnext line",
				SeverityLevel: "HIGH", SeveritySource: "ghsa"}, Package: odd},
			{FindingRecord: store.FindingRecord{VulnID: "GHSA-xxxx-yyyy-zzzz", SeverityLevel: "high"}, Package: twin},
			{FindingRecord: store.FindingRecord{VulnID: "GO-2026-0001", SeverityLevel: ""}, Package: bare,
				Exempt: true},
			{FindingRecord: store.FindingRecord{VulnID: "CVE-2026-5000", SeverityLevel: "none",
				SeverityScore: score(0), SeveritySource: "cvss_v3"}, Package: stray},
		},
	}
}

// decode parses JSON output into plain maps and slices for assertions.
func decode(t *testing.T, out []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return doc
}

// dig walks decoded JSON by object keys (string) and array indexes (int).
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, step := range path {
		switch s := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: want an object, got %T", step, v)
			}
			v, ok = m[s]
			if !ok {
				t.Fatalf("no key %q (path %v)", s, path)
			}
		case int:
			a, ok := v.([]any)
			if !ok || s >= len(a) {
				t.Fatalf("at %v: want an array longer than %d, got %T %v", step, s, v, v)
			}
			v = a[s]
		}
	}
	return v
}

// has reports whether an object has key.
func has(t *testing.T, v any, key string) bool {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("want an object, got %T", v)
	}
	_, ok = m[key]
	return ok
}

func str(t *testing.T, v any, path ...any) string {
	t.Helper()
	got := dig(t, v, path...)
	switch g := got.(type) {
	case string:
		return g
	case json.Number:
		return g.String()
	case bool:
		if g {
			return "true"
		}
		return "false"
	case nil:
		return "null"
	}
	t.Fatalf("%v: want a scalar, got %T", path, got)
	return ""
}

func length(t *testing.T, v any, path ...any) int {
	t.Helper()
	a, ok := dig(t, v, path...).([]any)
	if !ok {
		t.Fatalf("%v: want an array", path)
	}
	return len(a)
}

func write(t *testing.T, fn func(io.Writer, *Report) error, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf, r); err != nil {
		t.Fatalf("write: %v", err)
	}
	return buf.Bytes()
}
