package inventory

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAnalyseTar(t *testing.T) {
	fakeELF := "\x7fELF\x02\x01\x01\x00not really an ELF file"
	tarBytes := layerTar(t,
		dir("etc/"),
		symlink("etc/os-release", "../usr/lib/os-release"),
		file("usr/lib/os-release", "ID=debian\nVERSION_ID=12\n"),
		entry{Name: "usr/bin/tool", Body: fakeELF, Mode: 0o755},
		entry{Name: "usr/bin/script.sh", Body: "#!/bin/sh\necho hi\n", Mode: 0o755},
		file("usr/lib/python3/dist-packages/six.py", "import sys\n"),
		symlink("usr/bin/tool2", "tool"),
		symlink("usr/share/doc/readme.txt", "README"),
		hardlink("usr/bin/tool3", "usr/bin/tool"),
		file("var/lib/dpkg/status.d/libssl3", "Package: libssl3\nSource: openssl\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n"),
		hardlink("var/lib/dpkg/status.d/libssl3-copy", "/var/lib/dpkg/status.d/libssl3"),
		whiteout("opt/old"),
		file("srv/.wh..wh..opq", ""),
		file("srv/.wh..wh.plnk", ""),
		file("tmp/.wh...", ""),
		file("./tmp/../../escape", "x"),
	)

	an, err := newAnalyser(testOptions(t).withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	got, err := an.analyseTar(context.Background(), bytes.NewReader(tarBytes), sha256Hex(tarBytes))
	if err != nil {
		t.Fatalf("analyseTar: %v", err)
	}

	ssl := LayerPackage{Name: "libssl3", Version: "3.0.11-1~deb12u2", Type: TypeDeb, SourceName: "openssl", Arch: "amd64"}
	want := &LayerAnalysis{
		Format: AnalysisFormat,
		DiffID: sha256Hex(tarBytes),
		Files: map[string]FileAnalysis{
			"usr/bin/tool":                       {},
			"usr/bin/tool3":                      {},
			"usr/bin/script.sh":                  {},
			"var/lib/dpkg/status.d/libssl3":      {Packages: []LayerPackage{ssl}},
			"var/lib/dpkg/status.d/libssl3-copy": {Packages: []LayerPackage{ssl}},
		},
		Hidden:     []string{"usr/bin/tool2"},
		OSRelease:  map[string]string{"usr/lib/os-release": "ID=debian\nVERSION_ID=12\n"},
		Symlinks:   map[string]string{"etc/os-release": "../usr/lib/os-release"},
		Whiteouts:  []string{"opt/old"},
		OpaqueDirs: []string{"srv"},
		Warnings: []Warning{
			{Path: "tmp/.wh...", Message: "invalid whiteout; skipped"},
			{Path: "./tmp/../../escape", Message: "entry name leaves the image root; skipped"},
		},
		WarningCount: 2,
		Entries:      16,
		Bytes:        int64(len(tarBytes)),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("analysis (-want +got):\n%s", diff)
	}
}
