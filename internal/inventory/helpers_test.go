package inventory

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entry is one tar entry of a test layer. Type defaults to a regular file;
// Mode defaults to 0644 for files.
type entry struct {
	Name     string
	Body     string
	Mode     int64
	Type     byte
	Linkname string
}

func file(name, body string) entry { return entry{Name: name, Body: body} }
func dir(name string) entry        { return entry{Name: name, Type: tar.TypeDir, Mode: 0o755} }
func symlink(name, target string) entry {
	return entry{Name: name, Type: tar.TypeSymlink, Linkname: target}
}
func hardlink(name, target string) entry {
	return entry{Name: name, Type: tar.TypeLink, Linkname: target}
}
func whiteout(name string) entry {
	d, b := filepath.Split(name)
	return file(d+".wh."+b, "")
}

// layerTar writes entries as an uncompressed layer tar.
func layerTar(t testing.TB, entries ...entry) []byte {
	t.Helper()

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:     e.Name,
			Typeflag: e.Type,
			Mode:     e.Mode,
			Linkname: e.Linkname,
			ModTime:  time.Unix(1700000000, 0),
			Format:   tar.FormatPAX,
		}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.Body))
			if hdr.Mode == 0 {
				hdr.Mode = 0o644
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("write tar header %s: %v", e.Name, err)
		}
		if _, err := io.WriteString(tw, e.Body); err != nil {
			t.Fatalf("write tar body %s: %v", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("close tar: %v", err)
	}
	return buf.Bytes()
}

// bytesLayer makes a gzip layer out of an uncompressed tar.
func bytesLayer(t testing.TB, tarBytes []byte) v1.Layer {
	t.Helper()

	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	})
	if err != nil {
		t.Fatalf("layer from bytes: %v", err)
	}
	return l
}

// step is one layer of a test image with its Dockerfile line.
type step struct {
	createdBy string
	entries   []entry
}

// buildImage stacks layers on an empty image, each with a history entry,
// and puts an empty ENV step between the first two to exercise history.
func buildImage(t testing.TB, steps ...step) v1.Image {
	t.Helper()

	img := empty.Image
	for i, s := range steps {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:   bytesLayer(t, layerTar(t, s.entries...)),
			History: v1.History{CreatedBy: s.createdBy},
		})
		if err != nil {
			t.Fatalf("append layer: %v", err)
		}
		if i == 0 && len(steps) > 1 {
			img, err = mutate.Append(img, mutate.Addendum{
				History: v1.History{CreatedBy: "ENV LANG=C.UTF-8", EmptyLayer: true},
			})
			if err != nil {
				t.Fatalf("append empty step: %v", err)
			}
		}
	}
	return img
}

// testOptions returns options with a private scratch parent, checked to be
// left empty when the test ends.
func testOptions(t *testing.T) Options {
	t.Helper()

	scratch := filepath.Join(t.TempDir(), "scratch")
	if err := os.Mkdir(scratch, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		left, err := os.ReadDir(scratch)
		if err != nil {
			t.Errorf("read scratch parent: %v", err)
		}
		if len(left) > 0 {
			t.Errorf("scratch parent not cleaned up: %d entries left", len(left))
		}
	})
	return Options{ScratchDir: scratch, Logger: testLogger(t)}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// inventoryOf runs FromImage and fails the test on error.
func inventoryOf(t *testing.T, img v1.Image, opts Options) *Result {
	t.Helper()

	res, err := FromImage(context.Background(), img, opts)
	if err != nil {
		t.Fatalf("FromImage: %v", err)
	}
	return res
}

// countingImage counts, per layer diffID, how often FromImage opens a
// layer's blob.
type countingImage struct {
	v1.Image
	mu     *sync.Mutex
	opened map[string]int
}

func newCountingImage(img v1.Image) countingImage {
	return countingImage{Image: img, mu: &sync.Mutex{}, opened: map[string]int{}}
}

func (c countingImage) Layers() ([]v1.Layer, error) {
	ls, err := c.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		out[i] = countingLayer{Layer: l, img: c}
	}
	return out, nil
}

func (c countingImage) count(l v1.Layer) {
	d, err := l.DiffID()
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.opened[d.String()]++
	c.mu.Unlock()
}

type countingLayer struct {
	v1.Layer
	img countingImage
}

func (l countingLayer) Compressed() (io.ReadCloser, error) {
	l.img.count(l.Layer)
	return l.Layer.Compressed()
}

func (l countingLayer) Uncompressed() (io.ReadCloser, error) {
	l.img.count(l.Layer)
	return l.Layer.Uncompressed()
}

// fakeImage is an image with a hand-made config and layers that are not
// what they claim, for the hostile tests. Only what FromImage calls is
// implemented.
type fakeImage struct {
	v1.Image
	cfg    *v1.ConfigFile
	man    *v1.Manifest
	layers []v1.Layer
}

func (f fakeImage) ConfigFile() (*v1.ConfigFile, error) { return f.cfg, nil }
func (f fakeImage) Manifest() (*v1.Manifest, error)     { return f.man, nil }
func (f fakeImage) Layers() ([]v1.Layer, error)         { return f.layers, nil }

// streamLayer is a layer whose compressed bytes come from open; its
// Uncompressed gunzips them, as registries' layers do.
type streamLayer struct {
	v1.Layer
	open func() io.ReadCloser
}

func (l streamLayer) Compressed() (io.ReadCloser, error) { return l.open(), nil }

func (l streamLayer) Uncompressed() (io.ReadCloser, error) {
	rc := l.open()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return readCloser{Reader: zr, close: rc.Close}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// newFakeImage describes layers with the given diffIDs in config and
// manifest.
func newFakeImage(diffIDs []string, layers ...v1.Layer) fakeImage {
	cfg := &v1.ConfigFile{RootFS: v1.RootFS{Type: "layers"}}
	man := &v1.Manifest{SchemaVersion: 2}
	for i, d := range diffIDs {
		h, err := v1.NewHash(d)
		if err != nil {
			panic(err)
		}
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, h)
		man.Layers = append(man.Layers, v1.Descriptor{
			MediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
			Digest:    v1.Hash{Algorithm: "sha256", Hex: strings.Repeat(string(rune('a'+i)), 64)},
			Size:      1,
		})
	}
	return fakeImage{cfg: cfg, man: man, layers: layers}
}

// gzipBytes compresses b.
func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildGoBinary builds testdata/gobin, a module that depends on
// golang.org/x/text v0.43.0, offline from the module cache.
func buildGoBinary(t testing.TB) []byte {
	t.Helper()

	out := filepath.Join(t.TempDir(), "gobin")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-o", out, ".")
	cmd.Dir = filepath.Join("testdata", "gobin")
	cmd.Env = append(os.Environ(),
		"GOFLAGS=-mod=mod -buildvcs=false", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/gobin: %v\n%s", err, b)
	}

	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// treeSnapshot lists every path under dir with its size and mode, to prove
// that a scan wrote nothing there.
func treeSnapshot(t testing.TB, dir string) map[string]string {
	t.Helper()

	snap := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		snap[p] = info.Mode().String()
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			snap[p] += " " + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", dir, err)
	}
	return snap
}
