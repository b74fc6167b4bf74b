package export

import (
	"strings"
	"testing"
)

func TestWriteSARIF(t *testing.T) {
	doc := decode(t, write(t, WriteSARIF, sampleReport()))
	run := dig(t, doc, "runs", 0)
	rules := dig(t, run, "tool", "driver", "rules")
	results := dig(t, run, "results")

	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "version", got: str(t, doc, "version"), want: "2.1.0"},
		{name: "driver name", got: str(t, run, "tool", "driver", "name"), want: "Palisade"},
		{name: "driver version", got: str(t, run, "tool", "driver", "version"), want: "0.4.0"},
		{name: "run names the target", got: str(t, run, "properties", "target"),
			want: "registry.local:5000/shop/api:1.4"},

		{name: "first rule is the critical one", got: str(t, rules, 0, "id"), want: "CVE-2026-1000"},
		{name: "second rule", got: str(t, rules, 1, "id"), want: "CVE-2026-3000"},
		{name: "third rule", got: str(t, rules, 2, "id"), want: "CVE-2026-2000"},
		{name: "help links to OSV", got: str(t, rules, 0, "helpUri"),
			want: "https://osv.dev/vulnerability/CVE-2026-1000"},
		{name: "security-severity from CVSS", got: str(t, rules, 0, "properties", "security-severity"),
			want: "9.8"},
		{name: "security-severity of the exempt one", got: str(t, rules, 1, "properties", "security-severity"),
			want: "5.3"},
		{name: "short description is the summary", got: str(t, rules, 0, "shortDescription", "text"),
			want: "urllib3 forwards the Proxy-Authorization header across redirects"},
		{name: "short description without a summary", got: str(t, rules, 2, "shortDescription", "text"),
			want: "CVE-2026-2000 in libssl3"},
		{name: "rule default level", got: str(t, rules, 0, "defaultConfiguration", "level"), want: "error"},

		{name: "critical is an error", got: str(t, results, 0, "level"), want: "error"},
		{name: "medium is a warning", got: str(t, results, 1, "level"), want: "warning"},
		{name: "unknown is a note", got: str(t, results, 2, "level"), want: "note"},
		{name: "result names its rule", got: str(t, results, 0, "ruleId"), want: "CVE-2026-1000"},
		{name: "result points at its rule", got: str(t, results, 2, "ruleIndex"), want: "2"},
		{name: "python package location", got: uri(t, results, 0, 0),
			want: "usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info"},
		{name: "dpkg location", got: uri(t, results, 2, 0),
			want: "var/lib/dpkg/status"},
		{name: "message with a fix", got: str(t, results, 0, "message", "text"),
			want: "urllib3 1.26.12 (python) is affected by CVE-2026-1000: urllib3 forwards the " +
				"Proxy-Authorization header across redirects. Upgrade urllib3 to 1.26.18 or later."},
		{name: "message without a fix", got: str(t, results, 2, "message", "text"),
			want: "libssl3 3.0.11-1~deb12u2 (deb) is affected by CVE-2026-2000. No fixed version is published yet."},
		{name: "exempt finding is suppressed", got: str(t, results, 1, "suppressions", 0, "kind"),
			want: "external"},
		{name: "suppression is accepted", got: str(t, results, 1, "suppressions", 0, "status"),
			want: "accepted"},
		{name: "suppression says why", got: str(t, results, 1, "suppressions", 0, "justification"),
			want: "Only used for TLS client connections to internal services"},
		{name: "fixed version in properties", got: str(t, results, 0, "properties", "fixedVersion"),
			want: "1.26.18"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}

	if n := length(t, rules); n != 3 {
		t.Errorf("%d rules, want 3", n)
	}
	if n := length(t, results); n != 3 {
		t.Errorf("%d results, want 3", n)
	}
	if has(t, dig(t, rules, 2, "properties"), "security-severity") {
		t.Error("the rule of unknown severity has a security-severity")
	}
	for _, i := range []int{0, 2} {
		if has(t, dig(t, results, i), "suppressions") {
			t.Errorf("open result %d has suppressions", i)
		}
	}
	help := str(t, rules, 0, "help", "text")
	for _, want := range []string{"urllib3 1.26.12", "1.26.18", "https://osv.dev/vulnerability/CVE-2026-1000"} {
		if !strings.Contains(help, want) {
			t.Errorf("help text %q lacks %q", help, want)
		}
	}
}

// One vulnerability in two packages is one rule with two results; the rule
// takes the worst level and the highest score.
func TestWriteSARIFGroupsRulesByVulnerability(t *testing.T) {
	a := finding("GO-2026-0042", "medium", "stdlib", false)
	a.SeverityScore = score(6.1)
	a.Package.Paths = []string{"/usr/bin/containerd"}
	b := finding("GO-2026-0042", "high", "stdlib", false)
	b.SeverityScore = score(7.5)
	b.Package.Version = "2"
	b.Package.Paths = []string{"/usr/bin/ctr", "/usr/bin/containerd-shim"}

	doc := decode(t, write(t, WriteSARIF, &Report{Findings: []Finding{a, b}}))
	run := dig(t, doc, "runs", 0)
	if n := length(t, run, "tool", "driver", "rules"); n != 1 {
		t.Fatalf("%d rules, want 1", n)
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "rule level is the worst", got: str(t, run, "tool", "driver", "rules", 0, "defaultConfiguration", "level"),
			want: "error"},
		{name: "rule score is the highest", got: str(t, run, "tool", "driver", "rules", 0, "properties", "security-severity"),
			want: "7.5"},
		{name: "first result is the high one", got: str(t, run, "results", 0, "level"), want: "error"},
		{name: "second result is the medium one", got: str(t, run, "results", 1, "level"), want: "warning"},
		{name: "both point at rule 0", got: str(t, run, "results", 1, "ruleIndex"), want: "0"},
		{name: "every binary is a location", got: uri(t, dig(t, run, "results"), 0, 1),
			want: "usr/bin/containerd-shim"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestSARIFLevel(t *testing.T) {
	tests := []struct {
		name  string
		level string
		want  string
	}{
		{name: "critical", level: "critical", want: "error"},
		{name: "high", level: "high", want: "error"},
		{name: "medium", level: "medium", want: "warning"},
		{name: "low", level: "low", want: "note"},
		{name: "none", level: "none", want: "note"},
		{name: "unknown", level: "unknown", want: "note"},
		{name: "empty", level: "", want: "note"},
		{name: "upper case", level: "HIGH", want: "error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sarifLevel(tc.level); got != tc.want {
				t.Errorf("sarifLevel(%q) = %q, want %q", tc.level, got, tc.want)
			}
		})
	}
}

func TestRelativeURI(t *testing.T) {
	tests := []struct {
		name string
		path string
		want string
	}{
		{name: "dpkg status", path: "/var/lib/dpkg/status", want: "var/lib/dpkg/status"},
		{name: "already relative", path: "usr/bin/app", want: "usr/bin/app"},
		{name: "space is escaped", path: "/app/my dir/x.json", want: "app/my%20dir/x.json"},
		{name: "colon in the first segment is not a scheme", path: "/c:d/x", want: "./c:d/x"},
		{name: "percent is escaped", path: "/a%b", want: "a%25b"},
		{name: "hash is not a fragment", path: "/a#b", want: "a%23b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := relativeURI(tc.path); got != tc.want {
				t.Errorf("relativeURI(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
}

// uri is the artifact URI of a result's location.
func uri(t *testing.T, results any, result, location int) string {
	t.Helper()
	return str(t, results, result, "locations", location, "physicalLocation", "artifactLocation", "uri")
}
