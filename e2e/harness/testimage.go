package harness

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// DebianTestImage returns the path of the Debian bookworm root filesystem
// tar (debootstrap minbase plus python3-jinja2, python3-urllib3 and
// containerd) that scripts/testimage.sh builds once and caches outside
// git. The first build takes about a minute and needs root and the Debian
// mirror apt uses.
func DebianTestImage(t testing.TB) string {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(filepath.Join(RepoRoot(t), "scripts", "testimage.sh"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/testimage.sh: %v\n%s", err, stderr.String())
	}
	path := strings.TrimSpace(string(out))
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("scripts/testimage.sh printed %q: %v", path, err)
	}
	if stderr.Len() > 0 {
		t.Logf("scripts/testimage.sh (%s):\n%s", time.Since(start).Round(time.Second), stderr.String())
	}
	return path
}

// PushRootFS pushes the root filesystem tar at tarPath to reg as repo:tag,
// as a one-layer linux/amd64 image, and returns the manifest digest.
func PushRootFS(t testing.TB, reg *Registry, repo, tag, tarPath string) string {
	t.Helper()
	// The Debian tar is 275 MB: gzip it fast, and once (the compressed
	// 120 MB stay in memory for the upload after the digest pass). A push
	// takes about 7 s on 2 cores.
	layer, err := tarball.LayerFromFile(tarPath, tarball.WithCompressionLevel(gzip.BestSpeed),
		tarball.WithCompressedCaching)
	if err != nil {
		t.Fatalf("layer from %s: %v", tarPath, err)
	}
	createdBy := "debootstrap --variant=minbase bookworm (" + filepath.Base(tarPath) + ")"
	return pushImage(t, reg, repo, tag, layerWithHistory{layer, createdBy})
}

// DistrolessPackages are the packages PushDistrolessStyle lists under
// var/lib/dpkg/status.d/, name to version.
var DistrolessPackages = map[string]string{
	"base-files":      "12.4+deb12u5",
	"netbase":         "6.4",
	"tzdata":          "2024a-0+deb12u1",
	"libc6":           "2.36-9+deb12u4",
	"libssl3":         "3.0.11-1~deb12u2",
	"ca-certificates": "20230311",
}

// PushDistrolessStyle pushes an image laid out like Google's distroless
// Debian 12 images: no var/lib/dpkg/status, one file per package under
// var/lib/dpkg/status.d/ (with .md5sums beside some, and no Status field,
// as distroless writes them), an os-release, and a few ordinary files.
// It returns the manifest digest.
func PushDistrolessStyle(t testing.TB, reg *Registry, repo, tag string) string {
	t.Helper()
	files := []tarFile{
		{name: "etc/os-release", body: distrolessOSRelease},
		{name: "etc/passwd", body: "root:x:0:0:root:/root:/sbin/nologin\n" +
			"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"},
		{name: "etc/group", body: "root:x:0:\nnonroot:x:65532:\n"},
		{name: "home/nonroot/", mode: 0o700},
	}
	names := make([]string, 0, len(DistrolessPackages))
	for pkg := range DistrolessPackages {
		names = append(names, pkg)
	}
	sort.Strings(names)
	for _, pkg := range names {
		body := statusParagraph(pkg, DistrolessPackages[pkg])
		files = append(files, tarFile{name: "var/lib/dpkg/status.d/" + pkg, body: body})
	}
	// Newer distroless images carry the md5sums too; scanners must skip them.
	const emptyMD5 = "d41d8cd98f00b204e9800998ecf8427e"
	files = append(files,
		tarFile{name: "var/lib/dpkg/status.d/base-files.md5sums",
			body: emptyMD5 + "  etc/debian_version\n"},
		tarFile{name: "var/lib/dpkg/status.d/libssl3.md5sums",
			body: emptyMD5 + "  usr/lib/x86_64-linux-gnu/libssl.so.3\n"},
	)
	return pushImage(t, reg, repo, tag, layerWithHistory{tarLayer(t, files), "distroless-style test layer"})
}

// GoBinaryPath is where PushScratchGoBinary puts the binary in its image.
const GoBinaryPath = "app"

// GoBinaryModules are the dependencies the scratch image's Go binary is
// built with (e2e/harness/testdata/gobin/go.mod), module to version.
// gjson v1.6.0 has Go advisories, among them GO-2021-0059 (fixed in
// 1.6.4).
var GoBinaryModules = map[string]string{
	"github.com/tidwall/gjson":  "v1.6.0",
	"github.com/tidwall/match":  "v1.0.1",
	"github.com/tidwall/pretty": "v1.0.0",
}

// PushScratchGoBinary builds e2e/harness/testdata/gobin for linux/amd64
// with the Go toolchain running the test and pushes an image holding only
// that binary (at GoBinaryPath). It returns the manifest digest. The build
// needs the module's dependencies in the module cache or the Go proxy.
func PushScratchGoBinary(t testing.TB, reg *Registry, repo, tag string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gobin")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", bin, ".")
	cmd.Dir = filepath.Join(RepoRoot(t), "e2e", "harness", "testdata", "gobin")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64",
		"GOWORK=off", "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/gobin: %v\n%s", err, out)
	}
	body, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	files := []tarFile{{name: GoBinaryPath, body: string(body), mode: 0o755}}
	return pushImage(t, reg, repo, tag, layerWithHistory{tarLayer(t, files), "COPY gobin /" + GoBinaryPath})
}

type layerWithHistory struct {
	layer     v1.Layer
	createdBy string
}

// pushImage makes a linux/amd64 image of the layers and pushes it.
func pushImage(t testing.TB, reg *Registry, repo, tag string, layers ...layerWithHistory) string {
	t.Helper()
	created := v1.Time{Time: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
	var adds []mutate.Addendum
	for _, l := range layers {
		adds = append(adds, mutate.Addendum{
			Layer:   l.layer,
			History: v1.History{CreatedBy: l.createdBy, Created: created},
		})
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", "amd64", created
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}

	ref, err := name.ParseReference(reg.Ref(repo, tag), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

type tarFile struct {
	name string // a trailing "/" makes a directory
	body string
	mode int64
}

// tarLayer makes an uncompressed-then-gzipped layer of files, adding the
// parent directories each needs, as image builders do.
func tarLayer(t testing.TB, files []tarFile) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	dirs := map[string]bool{}
	for _, f := range files {
		parts := strings.Split(strings.TrimSuffix(f.name, "/"), "/")
		for i := 1; i < len(parts)+boolInt(strings.HasSuffix(f.name, "/")); i++ {
			dir := strings.Join(parts[:i], "/") + "/"
			if dirs[dir] {
				continue
			}
			dirs[dir] = true
			mode := int64(0o755)
			if dir == f.name && f.mode != 0 {
				mode = f.mode
			}
			hdr := &tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: mode, ModTime: mtime, Format: tar.FormatPAX}
			if err := tw.WriteHeader(hdr); err != nil {
				t.Fatal(err)
			}
		}
		if strings.HasSuffix(f.name, "/") {
			continue
		}
		mode := f.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: mode, Size: int64(len(f.body)),
			ModTime: mtime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return layer
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// distrolessOSRelease is /etc/os-release as distroless Debian 12 images
// ship it.
const distrolessOSRelease = `PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="12"
VERSION="Debian GNU/Linux 12 (bookworm)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"
BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"
`

// statusParagraph is a dpkg status paragraph as distroless writes it into
// status.d: the control fields, without Status.
func statusParagraph(pkg, version string) string {
	source := map[string]string{"libc6": "glibc", "libssl3": "openssl"}[pkg]
	var b strings.Builder
	fmt.Fprintf(&b, "Package: %s\n", pkg)
	if source != "" {
		fmt.Fprintf(&b, "Source: %s\n", source)
	}
	fmt.Fprintf(&b, "Version: %s\n", version)
	b.WriteString("Architecture: amd64\n")
	b.WriteString("Maintainer: Debian Maintainers <debian-devel@lists.debian.org>\n")
	b.WriteString("Installed-Size: 1024\n")
	b.WriteString("Section: misc\nPriority: optional\n")
	fmt.Fprintf(&b, "Description: %s (distroless-style test image)\n", pkg)
	return b.String()
}
