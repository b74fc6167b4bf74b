package inventory

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeTree creates files under root: a value starting with "->" makes a
// symlink, a key ending in "/" a directory.
func writeTree(t *testing.T, root string, tree map[string]string, modes map[string]fs.FileMode) {
	t.Helper()

	for name, content := range tree {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(name, "/"):
			err = os.MkdirAll(p, 0o755)
		case strings.HasPrefix(content, "->"):
			err = os.Symlink(strings.TrimPrefix(content, "->"), p)
		default:
			mode := modes[name]
			if mode == 0 {
				mode = 0o644
			}
			err = os.WriteFile(p, []byte(content), mode)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

const rhelOSRelease = `NAME="Red Hat Enterprise Linux"
VERSION="9.4 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.4"
PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"
CPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"
`

func TestFromRootFS(t *testing.T) {
	bin := buildGoBinary(t)
	rpmDB, err := os.ReadFile(filepath.Join("testdata", "rpm", "Packages"))
	if err != nil {
		t.Fatal(err)
	}

	// Things outside the root that symlinks inside it point at.
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{
		"gobin":          string(bin),
		"statusd/leaked": "Package: leaked\nVersion: 1.0\n",
		"os-release":     "ID=alpine\nVERSION_ID=3.20.0\n",
	}, map[string]fs.FileMode{"gobin": 0o755})

	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"usr/lib/os-release":                                rhelOSRelease,
		"etc/os-release":                                    "->../usr/lib/os-release",
		"var/lib/rpm/Packages":                              string(rpmDB),
		"usr/local/bin/app":                                 string(bin),
		"usr/local/bin/outside":                             "->" + filepath.Join(outside, "gobin"),
		"var/lib/dpkg/status.d":                             "->" + filepath.Join(outside, "statusd"),
		"proc/1/root/pkg.json":                              `{"name": "proc", "version": "1.0.0"}`,
		"srv/node_modules/x/package.json":                   `{"name": "x", "version": "0.1.0"}`,
		"usr/lib/python3/dist-packages/six-1.16.0.egg-info": "Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\n",
	}, map[string]fs.FileMode{"usr/local/bin/app": 0o755})

	res, err := FromRootFS(context.Background(), root, testOptions(t))
	if err != nil {
		t.Fatalf("FromRootFS: %v", err)
	}

	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	rh := "Red Hat:enterprise_linux:9::baseos"
	want := []pkgView{
		{"x", "0.1.0", "", "", "npm", "npm", "/srv/node_modules/x/package.json", 0},
		{"six", "1.16.0", "", "", "PyPI", "python", "/usr/lib/python3/dist-packages/six-1.16.0.egg-info", 0},
		{"example.com/gobin", "(devel)", "", "", "Go", "go-module", "/usr/local/bin/app", 0},
		{"golang.org/x/text", "0.43.0", "", "", "Go", "go-module", "/usr/local/bin/app", 0},
		{"stdlib", goVersion, "", "", "Go", "go-stdlib", "/usr/local/bin/app", 0},
		{"hello", "1:0.0.1-rls", "hello", "1:0.0.1-rls", rh, "rpm", "/var/lib/rpm/Packages", 0},
	}
	if diff := cmp.Diff(want, view(res.Packages)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if res.OS == nil || res.OS.ID != "rhel" || res.OS.VersionID != "9.4" {
		t.Errorf("OS = %+v, want rhel 9.4", res.OS)
	}

	hello := findPackage(t, res.Packages, "hello")
	if want := "pkg:rpm/rhel/hello@0.0.1-rls?arch=x86_64&distro=rhel-9.4&epoch=1&sourcerpm=hello-0.0.1-rls.src.rpm"; hello.PURL != want {
		t.Errorf("hello PURL = %s, want %s", hello.PURL, want)
	}
}

func TestRPMInImageLayer(t *testing.T) {
	rpmDB, err := os.ReadFile(filepath.Join("testdata", "rpm", "Packages"))
	if err != nil {
		t.Fatal(err)
	}
	img := buildImage(t,
		step{"ADD ubi9.tar /", []entry{file("etc/os-release", rhelOSRelease)}},
		step{"RUN dnf install -y hello", []entry{file("var/lib/rpm/Packages", string(rpmDB))}},
	)
	res := inventoryOf(t, img, testOptions(t))

	want := []pkgView{
		{"hello", "1:0.0.1-rls", "hello", "1:0.0.1-rls", "Red Hat:enterprise_linux:9::baseos", "rpm", "/var/lib/rpm/Packages", 1},
	}
	if diff := cmp.Diff(want, view(res.Packages)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

func TestFromRootFSErrors(t *testing.T) {
	tests := []struct {
		name    string
		dir     func(t *testing.T) string
		limits  Limits
		wantErr error
	}{
		{
			name:    "missing directory",
			dir:     func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") },
			wantErr: fs.ErrNotExist,
		},
		{
			name: "too many files",
			dir: func(t *testing.T) string {
				d := t.TempDir()
				writeTree(t, d, map[string]string{"a": "", "b": "", "c/d": ""}, nil)
				return d
			},
			limits:  Limits{MaxEntries: 3},
			wantErr: ErrTooManyEntries,
		},
		{
			name: "dpkg status over the database limit",
			dir: func(t *testing.T) string {
				d := t.TempDir()
				writeTree(t, d, map[string]string{"var/lib/dpkg/status": statusSSL}, nil)
				return d
			},
			limits:  Limits{MaxDatabaseBytes: 10},
			wantErr: ErrFileTooLarge,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(t)
			opts.Limits = tt.limits
			_, err := FromRootFS(context.Background(), tt.dir(t), opts)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("FromRootFS() error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
