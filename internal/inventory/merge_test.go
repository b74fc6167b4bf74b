package inventory

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func deb(name, version string) LayerPackage {
	return LayerPackage{Name: name, Version: version, Type: TypeDeb}
}

func files(path string, pkgs ...LayerPackage) map[string]FileAnalysis {
	return map[string]FileAnalysis{path: {Packages: pkgs}}
}

func TestMerge(t *testing.T) {
	const status = "var/lib/dpkg/status"
	type got struct {
		Name  string
		Path  string
		Layer int
	}
	tests := []struct {
		name     string
		analyses []*LayerAnalysis
		want     []got
	}{
		{
			name: "package kept across rewrites keeps its first layer",
			analyses: []*LayerAnalysis{
				{Files: files(status, deb("a", "1"))},
				{Files: files(status, deb("a", "1"), deb("b", "1"))},
				{Files: files(status, deb("a", "1"), deb("b", "1"))},
			},
			want: []got{{"a", "/" + status, 0}, {"b", "/" + status, 1}},
		},
		{
			name: "upgraded package moves to the upgrading layer",
			analyses: []*LayerAnalysis{
				{Files: files(status, deb("a", "1"))},
				{Files: files(status, deb("a", "2"))},
			},
			want: []got{{"a", "/" + status, 1}},
		},
		{
			name: "removed and reinstalled package belongs to the reinstalling layer",
			analyses: []*LayerAnalysis{
				{Files: files(status, deb("a", "1"), deb("b", "1"))},
				{Files: files(status, deb("b", "1"))},
				{Files: files(status, deb("a", "1"), deb("b", "1"))},
			},
			want: []got{{"a", "/" + status, 2}, {"b", "/" + status, 0}},
		},
		{
			name: "whiteout deletes a file",
			analyses: []*LayerAnalysis{
				{Files: map[string]FileAnalysis{
					"var/lib/dpkg/status.d/a": {Packages: []LayerPackage{deb("a", "1")}},
					"var/lib/dpkg/status.d/b": {Packages: []LayerPackage{deb("b", "1")}},
				}},
				{Whiteouts: []string{"var/lib/dpkg/status.d/a"}},
			},
			want: []got{{"b", "/var/lib/dpkg/status.d/b", 0}},
		},
		{
			name: "whiteout of a directory deletes everything below it",
			analyses: []*LayerAnalysis{
				{Files: map[string]FileAnalysis{
					"opt/tool/bin/tool": {Packages: []LayerPackage{{Name: "stdlib", Version: "1.21.0", Type: TypeGoStdlib}}},
					"opt/toolbox":       {Packages: []LayerPackage{{Name: "stdlib", Version: "1.22.0", Type: TypeGoStdlib}}},
				}},
				{Whiteouts: []string{"opt/tool"}},
			},
			want: []got{{"stdlib", "/opt/toolbox", 0}},
		},
		{
			name: "opaque directory hides lower contents but keeps its own layer's",
			analyses: []*LayerAnalysis{
				{Files: map[string]FileAnalysis{
					"var/lib/dpkg/status.d/a": {Packages: []LayerPackage{deb("a", "1")}},
					"var/lib/dpkg/status":     {Packages: []LayerPackage{deb("s", "1")}},
				}},
				{
					OpaqueDirs: []string{"var/lib/dpkg/status.d"},
					Files:      files("var/lib/dpkg/status.d/c", deb("c", "1")),
				},
			},
			want: []got{{"s", "/" + status, 0}, {"c", "/var/lib/dpkg/status.d/c", 1}},
		},
		{
			name: "symlink replacing a binary hides it",
			analyses: []*LayerAnalysis{
				{Files: files("usr/local/bin/tool", LayerPackage{Name: "stdlib", Version: "1.21.0", Type: TypeGoStdlib})},
				{Hidden: []string{"usr/local/bin/tool"}},
			},
			want: []got{},
		},
		{
			name: "file of interest with no packages hides the lower one",
			analyses: []*LayerAnalysis{
				{Files: files("usr/local/bin/tool", LayerPackage{Name: "stdlib", Version: "1.21.0", Type: TypeGoStdlib})},
				{Files: map[string]FileAnalysis{"usr/local/bin/tool": {}}},
			},
			want: []got{},
		},
		{
			name: "file replacing a directory hides its contents",
			analyses: []*LayerAnalysis{
				{Files: files("opt/app/bin", LayerPackage{Name: "stdlib", Version: "1.21.0", Type: TypeGoStdlib})},
				{Files: files("opt", deb("x", "1"))},
			},
			want: []got{{"x", "/opt", 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := make([]string, len(tt.analyses))
			res := merge(tt.analyses, ids)

			out := []got{}
			for _, p := range res.Packages {
				out = append(out, got{p.Name, p.Path, p.LayerIndex})
			}
			less := func(a, b got) bool { return a.Path+a.Name < b.Path+b.Name }
			if diff := cmp.Diff(tt.want, out, cmpopts.SortSlices(less)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeOSRelease(t *testing.T) {
	const deb12 = "ID=debian\nVERSION_ID=12\n"
	const deb11 = "ID=debian\nVERSION_ID=11\n"
	tests := []struct {
		name     string
		analyses []*LayerAnalysis
		want     string // ecosystem
	}{
		{
			name: "relative symlink into usr/lib, in another layer",
			analyses: []*LayerAnalysis{
				{OSRelease: map[string]string{"usr/lib/os-release": deb12}},
				{Symlinks: map[string]string{"etc/os-release": "../usr/lib/os-release"}},
			},
			want: "Debian:12",
		},
		{
			name: "absolute symlink resolves inside the image",
			analyses: []*LayerAnalysis{{
				OSRelease: map[string]string{"usr/lib/os-release": deb12},
				Symlinks:  map[string]string{"etc/os-release": "/usr/lib/os-release"},
			}},
			want: "Debian:12",
		},
		{
			name: "symlink climbing out of the root stays in it",
			analyses: []*LayerAnalysis{{
				OSRelease: map[string]string{"usr/lib/os-release": deb12},
				Symlinks:  map[string]string{"etc/os-release": "../../../../usr/lib/os-release"},
			}},
			want: "Debian:12",
		},
		{
			name: "later layer's file wins",
			analyses: []*LayerAnalysis{
				{OSRelease: map[string]string{"etc/os-release": deb11}},
				{OSRelease: map[string]string{"etc/os-release": deb12}},
			},
			want: "Debian:12",
		},
		{
			name: "etc/os-release deleted: usr/lib/os-release is used",
			analyses: []*LayerAnalysis{
				{OSRelease: map[string]string{"etc/os-release": deb12, "usr/lib/os-release": deb11}},
				{Whiteouts: []string{"etc/os-release"}},
			},
			want: "Debian:11",
		},
		{
			name: "symlink loop gives no OS",
			analyses: []*LayerAnalysis{{
				Symlinks: map[string]string{"etc/os-release": "os-release2", "etc/os-release2": "os-release"},
			}},
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := merge(tt.analyses, make([]string, len(tt.analyses)))
			if got := res.OS.Ecosystem(); got != tt.want {
				t.Errorf("ecosystem = %q, want %q (os %+v)", got, tt.want, res.OS)
			}
		})
	}
}

func TestLayerAnalysisJSON(t *testing.T) {
	a := &LayerAnalysis{
		Format: AnalysisFormat,
		DiffID: "sha256:0123",
		Files: map[string]FileAnalysis{
			"var/lib/dpkg/status": {Packages: []LayerPackage{{Name: "libssl3", Version: "3.0.11-1~deb12u2",
				Type: TypeDeb, SourceName: "openssl", Arch: "amd64"}}},
			"usr/bin/empty": {},
		},
		Hidden:     []string{"usr/bin/tool"},
		OSRelease:  map[string]string{"usr/lib/os-release": "ID=debian\n"},
		Symlinks:   map[string]string{"etc/os-release": "../usr/lib/os-release"},
		Whiteouts:  []string{"tmp/x"},
		OpaqueDirs: []string{"opt"},
		Warnings:   []Warning{{Path: "../x", Message: "entry name leaves the image root; skipped"}},
		Entries:    7,
		Bytes:      10240,
	}

	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back LayerAnalysis
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestOSReleaseEcosystem(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"debian 12", "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n", "Debian:12"},
		{"debian sid has no release", "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\n", "Debian"},
		{"ubuntu LTS from VERSION", "ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\n", "Ubuntu:22.04:LTS"},
		{"ubuntu LTS by the April-of-even-years rule", "ID=ubuntu\nVERSION_ID=\"24.04\"\n", "Ubuntu:24.04:LTS"},
		{"ubuntu interim release", "ID=ubuntu\nVERSION_ID=\"23.10\"\nVERSION=\"23.10 (Mantic Minotaur)\"\n", "Ubuntu:23.10"},
		{"alpine patch release", "ID=alpine\nVERSION_ID=3.20.3\n", "Alpine:v3.20"},
		{"alpine edge", "ID=alpine\nVERSION_ID=3.21.0_alpha20240807\n", "Alpine:v3.21"},
		{"wolfi", "ID=wolfi\nVERSION_ID=20230201\n", "Wolfi"},
		{"rhel from CPE_NAME", "ID=\"rhel\"\nVERSION_ID=\"9.4\"\nCPE_NAME=\"cpe:/o:redhat:enterprise_linux:9::baseos\"\n", "Red Hat:enterprise_linux:9::baseos"},
		{"almalinux major", "ID=\"almalinux\"\nVERSION_ID=\"9.4\"\n", "AlmaLinux:9"},
		{"rocky major", "ID=\"rocky\"\nVERSION_ID=\"8.10\"\n", "Rocky Linux:8"},
		{"fedora has no OSV ecosystem", "ID=fedora\nVERSION_ID=40\n", ""},
		{"no ID", "NAME=Something\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseOSRelease(tt.content).Ecosystem(); got != tt.want {
				t.Errorf("Ecosystem() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseSourceRPM(t *testing.T) {
	tests := []struct {
		name, in, wantName, wantVersion string
	}{
		{"usual", "openssl-3.0.7-24.el9.src.rpm", "openssl", "3.0.7-24.el9"},
		{"dash in name", "python3-urllib3-1.26.5-5.el9.src.rpm", "python3-urllib3", "1.26.5-5.el9"},
		{"not a source rpm", "openssl-3.0.7-24.el9.x86_64.rpm", "", ""},
		{"too few dashes", "openssl.src.rpm", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, v := parseSourceRPM(tt.in)
			if n != tt.wantName || v != tt.wantVersion {
				t.Errorf("parseSourceRPM(%q) = %q, %q; want %q, %q", tt.in, n, v, tt.wantName, tt.wantVersion)
			}
		})
	}
}

func TestMatchKeyRPM(t *testing.T) {
	tests := []struct {
		name string
		pkg  Package
		want [3]string
	}{
		{
			name: "red hat matches the binary rpm",
			pkg: Package{Name: "openssl-libs", Version: "1:3.0.7-24.el9", SourceName: "openssl", SourceVersion: "1:3.0.7-24.el9",
				Ecosystem: "Red Hat:enterprise_linux:9::baseos", Type: TypeRPM},
			want: [3]string{"Red Hat:enterprise_linux:9::baseos", "openssl-libs", "1:3.0.7-24.el9"},
		},
		{
			name: "almalinux matches the source rpm",
			pkg: Package{Name: "openssl-libs", Version: "1:3.0.7-24.el9", SourceName: "openssl", SourceVersion: "1:3.0.7-24.el9",
				Ecosystem: "AlmaLinux:9", Type: TypeRPM},
			want: [3]string{"AlmaLinux:9", "openssl", "1:3.0.7-24.el9"},
		},
		{
			name: "deb without separate source",
			pkg:  Package{Name: "base-files", Version: "12.4", Ecosystem: "Debian:12", Type: TypeDeb},
			want: [3]string{"Debian:12", "base-files", "12.4"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, n, v := tt.pkg.MatchKey()
			if got := [3]string{e, n, v}; got != tt.want {
				t.Errorf("MatchKey() = %q, want %q", got, tt.want)
			}
		})
	}
}
