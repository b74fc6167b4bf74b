package inventory

import (
	"archive/zip"
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pkgView is the part of a Package the tests state by hand.
type pkgView struct {
	Name, Version, SourceName, SourceVersion, Ecosystem, Type, Path string
	Layer                                                           int
}

func view(pkgs []Package) []pkgView {
	out := []pkgView{}
	for _, p := range pkgs {
		out = append(out, pkgView{p.Name, p.Version, p.SourceName, p.SourceVersion, p.Ecosystem, p.Type, p.Path, p.LayerIndex})
	}
	return out
}

const debianOSRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`

const statusGnutls = `Package: libgnutls30
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Source: gnutls28
Version: 3.7.9-2+deb12u2
Description: GNU TLS library - main runtime library

`

const statusGnutlsRemoved = `Package: libgnutls30
Status: deinstall ok config-files
Priority: optional
Section: libs
Architecture: amd64
Source: gnutls28
Version: 3.7.9-2+deb12u2
Description: GNU TLS library - main runtime library

`

const statusSSL = `Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit - shared libraries

`

const statusCurl = `Package: libcurl4
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Source: curl (7.88.1-10+deb12u5)
Version: 7.88.1-10+deb12u5+b1
Description: easy-to-use client-side URL transfer library (OpenSSL flavour)

`

// debianBase is the first layer of a Debian 12 image, with the os-release
// symlink Debian ships.
func debianBase(status string) []entry {
	return []entry{
		dir("etc/"),
		dir("usr/"), dir("usr/lib/"),
		file("usr/lib/os-release", debianOSRelease),
		symlink("etc/os-release", "../usr/lib/os-release"),
		dir("var/"), dir("var/lib/"), dir("var/lib/dpkg/"),
		file("var/lib/dpkg/status", status),
		file("usr/share/doc/libssl3/copyright", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"),
	}
}

func TestFromImageDebianLayers(t *testing.T) {
	img := buildImage(t,
		step{"ADD rootfs.tar.xz /", debianBase(statusGnutls + statusSSL)},
		step{"RUN apt-get install -y libcurl4", []entry{
			file("var/lib/dpkg/status", statusCurl+statusGnutls+statusSSL),
		}},
		step{"RUN apt-get remove -y libgnutls30", []entry{
			file("var/lib/dpkg/status", statusCurl+statusGnutlsRemoved+statusSSL),
		}},
	)
	res := inventoryOf(t, img, testOptions(t))

	want := []pkgView{
		{"libcurl4", "7.88.1-10+deb12u5+b1", "curl", "7.88.1-10+deb12u5", "Debian:12", "deb", "/var/lib/dpkg/status", 1},
		{"libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2", "Debian:12", "deb", "/var/lib/dpkg/status", 0},
	}
	if diff := cmp.Diff(want, view(res.Packages)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}

	wantOS := &OSRelease{ID: "debian", Version: "12 (bookworm)", VersionID: "12", VersionCodename: "bookworm",
		PrettyName: "Debian GNU/Linux 12 (bookworm)"}
	if diff := cmp.Diff(wantOS, res.OS); diff != "" {
		t.Errorf("os (-want +got):\n%s", diff)
	}

	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	ids := cfg.RootFS.DiffIDs
	for _, p := range res.Packages {
		if p.LayerDiffID != ids[p.LayerIndex].String() {
			t.Errorf("%s: layer diffID %s, want %s", p.Name, p.LayerDiffID, ids[p.LayerIndex])
		}
	}

	tests := []struct {
		name                 string
		pkg                  string
		eco, match, matchVer string
		purl                 string
	}{
		{
			name: "source differs from binary", pkg: "libssl3",
			eco: "Debian:12", match: "openssl", matchVer: "3.0.11-1~deb12u2",
			purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=bookworm&source=openssl",
		},
		{
			name: "binNMU: source version differs too", pkg: "libcurl4",
			eco: "Debian:12", match: "curl", matchVer: "7.88.1-10+deb12u5",
			purl: "pkg:deb/debian/libcurl4@7.88.1-10%2Bdeb12u5%2Bb1?arch=amd64&distro=bookworm&source=curl&sourceversion=7.88.1-10%2Bdeb12u5",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := findPackage(t, res.Packages, tt.pkg)
			eco, name, ver := p.MatchKey()
			if eco != tt.eco || name != tt.match || ver != tt.matchVer {
				t.Errorf("MatchKey() = %q, %q, %q; want %q, %q, %q", eco, name, ver, tt.eco, tt.match, tt.matchVer)
			}
			if p.PURL != tt.purl {
				t.Errorf("PURL = %s, want %s", p.PURL, tt.purl)
			}
		})
	}
}

func TestFromImageLayerList(t *testing.T) {
	img := buildImage(t,
		step{"ADD rootfs.tar.xz /", debianBase(statusSSL)},
		step{"RUN apt-get install -y libcurl4", []entry{file("var/lib/dpkg/status", statusCurl+statusSSL)}},
	)
	res := inventoryOf(t, img, testOptions(t))

	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	want := []Layer{
		{Index: 0, Digest: m.Layers[0].Digest.String(), DiffID: cfg.RootFS.DiffIDs[0].String(),
			Size: m.Layers[0].Size, CreatedBy: "ADD rootfs.tar.xz /"},
		{Index: -1, CreatedBy: "ENV LANG=C.UTF-8", Empty: true},
		{Index: 1, Digest: m.Layers[1].Digest.String(), DiffID: cfg.RootFS.DiffIDs[1].String(),
			Size: m.Layers[1].Size, CreatedBy: "RUN apt-get install -y libcurl4"},
	}
	if diff := cmp.Diff(want, res.Layers); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
}

const distrolessOSRelease = `PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="12"
VERSION="Debian GNU/Linux 12 (bookworm)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
`

func TestFromImageDistroless(t *testing.T) {
	// Distroless writes one file per package under status.d, without a
	// Status field, and no status file at all.
	img := buildImage(t,
		step{"bazel build //base:base_debian12", []entry{
			file("etc/os-release", distrolessOSRelease),
			file("var/lib/dpkg/status.d/base-files", "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\nMaintainer: Santiago Vila <sanvila@debian.org>\n"),
			file("var/lib/dpkg/status.d/libssl3", "Package: libssl3\nSource: openssl\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n"),
			file("var/lib/dpkg/status.d/libssl3.md5sums", "d41d8cd98f00b204e9800998ecf8427e  usr/lib/x86_64-linux-gnu/libssl.so.3\n"),
			file("var/lib/dpkg/status.d/tzdata", "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n"),
		}},
		step{"COPY netbase /", []entry{
			whiteout("var/lib/dpkg/status.d/tzdata"),
			file("var/lib/dpkg/status.d/netbase", "Package: netbase\nVersion: 6.4\nArchitecture: all\n"),
		}},
	)
	res := inventoryOf(t, img, testOptions(t))

	want := []pkgView{
		{"base-files", "12.4+deb12u5", "base-files", "12.4+deb12u5", "Debian:12", "deb", "/var/lib/dpkg/status.d/base-files", 0},
		{"libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2", "Debian:12", "deb", "/var/lib/dpkg/status.d/libssl3", 0},
		{"netbase", "6.4", "netbase", "6.4", "Debian:12", "deb", "/var/lib/dpkg/status.d/netbase", 1},
	}
	if diff := cmp.Diff(want, view(res.Packages)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

const alpineInstalled = `C:Q1SBU9sC3ORbfyuPNmpiTqTH3YZSE=
P:musl
V:1.2.5-r0
A:x86_64
S:411308
I:643072
T:the musl c library (libc) implementation
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>

C:Q1IBEn5ggX3Rh1xIRnL2TXe0tI3GY=
P:libcrypto3
V:3.3.2-r0
A:x86_64
T:Crypto library from openssl
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>

C:Q1/Q1lZmg4EALrUM2KfPDDt8RX4Bw=
P:ssl_client
V:1.36.1-r29
A:x86_64
T:EXternal ssl_client for busybox wget
o:busybox

`

func TestFromImageAlpine(t *testing.T) {
	img := buildImage(t, step{"ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /", []entry{
		file("etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n"),
		file("lib/apk/db/installed", alpineInstalled),
	}})
	res := inventoryOf(t, img, testOptions(t))

	want := []pkgView{
		{"libcrypto3", "3.3.2-r0", "openssl", "3.3.2-r0", "Alpine:v3.20", "apk", "/lib/apk/db/installed", 0},
		{"musl", "1.2.5-r0", "musl", "1.2.5-r0", "Alpine:v3.20", "apk", "/lib/apk/db/installed", 0},
		{"ssl_client", "1.36.1-r29", "busybox", "1.36.1-r29", "Alpine:v3.20", "apk", "/lib/apk/db/installed", 0},
	}
	if diff := cmp.Diff(want, view(res.Packages)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}

	p := findPackage(t, res.Packages, "libcrypto3")
	if eco, name, ver := p.MatchKey(); eco != "Alpine:v3.20" || name != "openssl" || ver != "3.3.2-r0" {
		t.Errorf("MatchKey() = %q, %q, %q; want Alpine:v3.20, openssl, 3.3.2-r0", eco, name, ver)
	}
}

func TestFromImageGoBinary(t *testing.T) {
	// A scratch image: one binary, no os-release, no package database.
	bin := buildGoBinary(t)
	img := buildImage(t, step{"COPY gobin /app", []entry{{Name: "app", Body: string(bin), Mode: 0o755}}})
	res := inventoryOf(t, img, testOptions(t))

	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	want := []pkgView{
		{"example.com/gobin", "(devel)", "", "", "Go", "go-module", "/app", 0},
		{"golang.org/x/text", "0.43.0", "", "", "Go", "go-module", "/app", 0},
		{"stdlib", goVersion, "", "", "Go", "go-stdlib", "/app", 0},
	}
	if diff := cmp.Diff(want, view(res.Packages)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if res.OS != nil {
		t.Errorf("OS = %+v, want none for a scratch image", res.OS)
	}

	std := findPackage(t, res.Packages, "stdlib")
	if eco, name, ver := std.MatchKey(); eco != "Go" || name != "stdlib" || ver != goVersion {
		t.Errorf("stdlib MatchKey() = %q, %q, %q", eco, name, ver)
	}
	if want := "pkg:golang/stdlib@" + goVersion; std.PURL != want {
		t.Errorf("stdlib PURL = %s, want %s", std.PURL, want)
	}
}

func TestFromImageLanguages(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		want    []pkgView
	}{
		{
			name: "python: Debian egg-info directory and pip dist-info",
			entries: []entry{
				file("usr/lib/python3/dist-packages/Jinja2-3.1.2.egg-info/PKG-INFO",
					"Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\nSummary: A very fast and expressive template engine.\n"),
				file("usr/lib/python3/dist-packages/Jinja2-3.1.2.egg-info/top_level.txt", "jinja2\n"),
				file("usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
					"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nSummary: Python HTTP for Humans.\n"),
			},
			want: []pkgView{
				{"Jinja2", "3.1.2", "", "", "PyPI", "python", "/usr/lib/python3/dist-packages/Jinja2-3.1.2.egg-info/PKG-INFO", 0},
				{"requests", "2.31.0", "", "", "PyPI", "python", "/usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA", 0},
			},
		},
		{
			name: "npm package.json in node_modules",
			entries: []entry{
				file("usr/lib/node_modules/npm/node_modules/semver/package.json",
					`{"name": "semver", "version": "7.5.4", "description": "The semantic version parser used by npm."}`),
			},
			want: []pkgView{
				{"semver", "7.5.4", "", "", "npm", "npm", "/usr/lib/node_modules/npm/node_modules/semver/package.json", 0},
			},
		},
		{
			name: "ruby gemspec",
			entries: []entry{
				file("usr/local/bundle/specifications/rack-3.0.8.gemspec",
					"# -*- encoding: utf-8 -*-\n# stub: rack 3.0.8 ruby lib\n\nGem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"3.0.8\".freeze\nend\n"),
			},
			want: []pkgView{
				{"rack", "3.0.8", "", "", "RubyGems", "gem", "/usr/local/bundle/specifications/rack-3.0.8.gemspec", 0},
			},
		},
		{
			name: "composer installed.json, Composer 2 and Composer 1 layouts",
			entries: []entry{
				file("srv/app/vendor/composer/installed.json",
					`{"packages": [{"name": "monolog/monolog", "version": "3.5.0", "version_normalized": "3.5.0.0"},
					 {"name": "psr/log", "version": "3.0.0"}], "dev": true, "dev-package-names": []}`),
				file("srv/legacy/vendor/composer/installed.json",
					`[{"name": "symfony/yaml", "version": "v5.4.31", "version_normalized": "5.4.31.0"}]`),
			},
			want: []pkgView{
				{"monolog/monolog", "3.5.0", "", "", "Packagist", "composer", "/srv/app/vendor/composer/installed.json", 0},
				{"psr/log", "3.0.0", "", "", "Packagist", "composer", "/srv/app/vendor/composer/installed.json", 0},
				{"symfony/yaml", "v5.4.31", "", "", "Packagist", "composer", "/srv/legacy/vendor/composer/installed.json", 0},
			},
		},
		{
			name: ".NET deps.json",
			entries: []entry{
				file("app/MyApp.deps.json", `{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0", "signature": ""},
  "targets": {".NETCoreApp,Version=v8.0": {
    "MyApp/1.0.0": {"dependencies": {"Newtonsoft.Json": "13.0.1"}, "runtime": {"MyApp.dll": {}}},
    "Newtonsoft.Json/13.0.1": {"runtime": {"lib/net6.0/Newtonsoft.Json.dll": {}}}
  }},
  "libraries": {
    "MyApp/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": true, "sha512": "sha512-x", "path": "newtonsoft.json/13.0.1"}
  }
}`),
			},
			want: []pkgView{
				{"MyApp", "1.0.0", "", "", "NuGet", "nuget", "/app/MyApp.deps.json", 0},
				{"Newtonsoft.Json", "13.0.1", "", "", "NuGet", "nuget", "/app/MyApp.deps.json", 0},
			},
		},
		{
			name:    "java archive with pom.properties",
			entries: []entry{file("opt/app/lib/demo-1.2.3.jar", string(jarWithPom(t, "org.example", "demo", "1.2.3")))},
			want: []pkgView{
				{"org.example:demo", "1.2.3", "", "", "Maven", "maven", "/opt/app/lib/demo-1.2.3.jar", 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := buildImage(t, step{"COPY . /", tt.entries})
			res := inventoryOf(t, img, testOptions(t))
			if diff := cmp.Diff(tt.want, view(res.Packages)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

// jarWithPom builds a jar holding the pom.properties Maven writes.
func jarWithPom(t testing.TB, group, artifact, version string) []byte {
	t.Helper()

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("META-INF/maven/" + group + "/" + artifact + "/pom.properties")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("artifactId=" + artifact + "\ngroupId=" + group + "\nversion=" + version + "\n")); err != nil {
		t.Fatal(err)
	}
	if w, err = zw.Create("META-INF/MANIFEST.MF"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("Manifest-Version: 1.0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func findPackage(t *testing.T, pkgs []Package, name string) *Package {
	t.Helper()

	for i := range pkgs {
		if pkgs[i].Name == name {
			return &pkgs[i]
		}
	}
	t.Fatalf("package %s not found", name)
	return nil
}

func TestFromImageLaterLayersHideBinaries(t *testing.T) {
	bin := entry{Name: "usr/local/bin/app", Body: string(buildGoBinary(t)), Mode: 0o755}
	tests := []struct {
		name  string
		later []entry
	}{
		{"replaced by a shell script", []entry{{Name: "usr/local/bin/app", Body: "#!/bin/sh\nexec true\n", Mode: 0o755}}},
		{"replaced by a symlink", []entry{symlink("usr/local/bin/app", "/bin/true")}},
		{"deleted by a whiteout", []entry{whiteout("usr/local/bin/app")}},
		{"hidden by an opaque directory", []entry{file("usr/local/bin/.wh..wh..opq", "")}},
		{"directory replaced by a symlink", []entry{whiteout("usr/local/bin"), symlink("usr/local/bin", "/usr/bin")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := buildImage(t, step{"COPY app /usr/local/bin/", []entry{bin}}, step{"RUN change", tt.later})
			res := inventoryOf(t, img, testOptions(t))
			if len(res.Packages) != 0 {
				t.Errorf("packages = %+v, want none", view(res.Packages))
			}
		})
	}
}
