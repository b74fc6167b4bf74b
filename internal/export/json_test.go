package export

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWriteJSON(t *testing.T) {
	aaa := "sha256:" + strings.Repeat("a", 64)
	bbb := "sha256:" + strings.Repeat("b", 64)
	sslPURL := "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
	ssl := jsonPackage{
		Name: "libssl3", Version: "3.0.11-1~deb12u2", Type: "deb", Ecosystem: "Debian:12",
		PURL: sslPURL, SourceName: "openssl", SourceVersion: "3.0.11-1~deb12u2",
		Paths: []string{"/var/lib/dpkg/status"}, LayerIndex: 0, LayerDiffID: aaa,
	}
	urllib := jsonPackage{
		Name: "urllib3", Version: "1.26.12", Type: "python", Ecosystem: "PyPI",
		PURL: "pkg:pypi/urllib3@1.26.12", SourceName: "", SourceVersion: "",
		Paths:      []string{"/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info"},
		LayerIndex: 1, LayerDiffID: bbb,
	}
	nine8, five3 := 9.8, 5.3

	tests := []struct {
		name string
		r    *Report
		want jsonReport
	}{
		{
			name: "sample report",
			r:    sampleReport(),
			want: jsonReport{
				SchemaVersion: 1,
				Target:        "registry.local:5000/shop/api:1.4",
				Digest:        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				Platform:      "linux/amd64",
				OS:            jsonOS{ID: "debian", Version: "12", Name: "Debian GNU/Linux 12 (bookworm)"},
				FeedVersion:   "12 (sha256:abc123, 2026-12-03T10:00:00Z)",
				GeneratedAt:   time.Date(2026, 12, 3, 10, 5, 0, 0, time.UTC),
				Tool:          jsonTool{Name: "Palisade", Version: "0.4.0"},
				Summary: jsonSummary{Critical: 1, Unknown: 1, Exempt: 1, Total: 3, Healthy: false,
					UnhealthyLevels: []string{"critical", "high", "unknown"}},
				Layers: []jsonLayer{
					{Index: 0, Digest: "sha256:" + strings.Repeat("1", 64), DiffID: aaa, SizeBytes: 29000000,
						CreatedBy: "debootstrap", BaseLayer: true},
					{Index: 1, Digest: "sha256:" + strings.Repeat("2", 64), DiffID: bbb, SizeBytes: 4100000,
						CreatedBy: "RUN apt-get install -y python3-urllib3"},
				},
				Packages: []jsonPackage{ssl, urllib},
				Findings: []jsonFinding{
					{
						VulnerabilityID: "CVE-2026-1000",
						Aliases:         []string{"GHSA-9x4q-3gxw-849f", "PYSEC-2026-17"},
						AdvisoryIDs:     []string{"GHSA-9x4q-3gxw-849f", "PYSEC-2026-17"},
						Summary:         "urllib3 forwards the Proxy-Authorization header across redirects",
						Severity:        jsonSeverity{Level: "critical", Score: &nine8, Source: "cvss_v3"},
						Package:         urllib,
						FixedVersion:    "1.26.18", FixStatus: "fixed",
					},
					{
						VulnerabilityID: "CVE-2026-3000",
						Aliases:         []string{},
						AdvisoryIDs:     []string{"DSA-5999-1"},
						Summary:         "Timing side channel in RSA decryption",
						Severity:        jsonSeverity{Level: "medium", Score: &five3, Source: "cvss_v4"},
						Package:         ssl,
						FixedVersion:    "3.0.13-1~deb12u1", FixStatus: "fixed",
						Exempt: true, ExemptReason: "Only used for TLS client connections to internal services",
					},
					{
						VulnerabilityID: "CVE-2026-2000",
						Aliases:         []string{},
						AdvisoryIDs:     []string{"DEBIAN-CVE-2026-2000"},
						Severity:        jsonSeverity{Level: "unknown", Source: "unknown"},
						Package:         ssl,
						FixStatus:       "no_fix",
					},
				},
			},
		},
		{
			name: "empty report keeps every list",
			r:    &Report{Target: "scratch-app", GeneratedAt: genAt, UnhealthyLevels: []string{"critical"}},
			want: jsonReport{
				SchemaVersion: 1, Target: "scratch-app", GeneratedAt: genAt,
				Tool:     jsonTool{Name: "Palisade"},
				Summary:  jsonSummary{Healthy: true, UnhealthyLevels: []string{"critical"}},
				Layers:   []jsonLayer{},
				Packages: []jsonPackage{},
				Findings: []jsonFinding{},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := write(t, WriteJSON, tc.r)
			var got jsonReport
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("document (-want +got):\n%s", diff)
			}
		})
	}
}

// The documented shape promises that fields are always present: null for
// a missing score, [] for an empty list, "" for an empty string.
func TestWriteJSONKeepsEveryField(t *testing.T) {
	doc := decode(t, write(t, WriteJSON, sampleReport()))
	unknown := dig(t, doc, "findings", 2)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "missing score is null", got: str(t, unknown, "severity", "score"), want: "null"},
		{name: "summary is empty string", got: str(t, unknown, "summary"), want: ""},
		{name: "fixed version is empty string", got: str(t, unknown, "fixed_version"), want: ""},
		{name: "exempt is false", got: str(t, unknown, "exempt"), want: "false"},
		{name: "score keeps one decimal", got: str(t, doc, "findings", 0, "severity", "score"), want: "9.8"},
		{name: "time is RFC 3339 UTC", got: str(t, doc, "generated_at"), want: "2026-12-03T10:05:00Z"},
		{name: "purl keeps its ampersand", got: str(t, doc, "packages", 0, "purl"),
			want: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	if n := length(t, unknown, "aliases"); n != 0 {
		t.Errorf("aliases has %d items, want an empty list", n)
	}
	for _, key := range []string{"schema_version", "target", "digest", "platform", "os", "feed_version",
		"generated_at", "tool", "summary", "layers", "packages", "findings"} {
		if !has(t, doc, key) {
			t.Errorf("document has no %q", key)
		}
	}
}
