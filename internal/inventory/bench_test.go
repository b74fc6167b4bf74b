package inventory

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// largeImage is the ~1 GiB synthetic image the benchmarks share. It is
// built once per test binary run into a temporary OCI layout, removed by
// TestMain.
var largeImage struct {
	once  sync.Once
	root  string // temporary directory holding everything
	oci   string // the OCI layout inside it
	bytes int64  // uncompressed size of the layers
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if largeImage.root != "" {
		os.RemoveAll(largeImage.root)
	}
	os.Exit(code)
}

const mib = 1 << 20

// benchLayer describes one layer of the large image.
type benchLayer struct {
	createdBy string
	small     []entry // written first
	bigFiles  int     // random filler files of fillerSize each
	goBinary  bool
}

const fillerSize = 128 * mib

func openLargeImage(b *testing.B) (v1.Image, int64) {
	b.Helper()

	largeImage.once.Do(func() {
		largeImage.root, largeImage.err = os.MkdirTemp("", "palisade-inventory-bench-*")
		if largeImage.err == nil {
			largeImage.oci, largeImage.bytes, largeImage.err = buildLargeImage(largeImage.root)
		}
	})
	if largeImage.err != nil {
		b.Fatalf("build benchmark image: %v", largeImage.err)
	}

	p, err := layout.FromPath(largeImage.oci)
	if err != nil {
		b.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		b.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		b.Fatal(err)
	}
	img, err := p.Image(m.Manifests[0].Digest)
	if err != nil {
		b.Fatal(err)
	}
	return img, largeImage.bytes
}

// buildLargeImage writes four gzip layers (a Debian base with a dpkg
// status of 400 packages, a layer with a Go binary, filler, and a status
// rewrite) holding 7 random, incompressible filler files of 128 MiB, and
// stores the image as an OCI layout. Layers are compressed once, straight
// to disk; nothing large is held in memory.
func buildLargeImage(dir string) (string, int64, error) {
	status := benchStatus(400)
	layers := []benchLayer{
		{"ADD rootfs.tar.xz /", []entry{
			file("usr/lib/os-release", debianOSRelease),
			symlink("etc/os-release", "../usr/lib/os-release"),
			file("var/lib/dpkg/status", status),
		}, 2, false},
		{"COPY app /usr/local/bin/app", nil, 1, true},
		{"COPY data /srv/data", nil, 2, false},
		{"RUN apt-get install -y libcurl4", []entry{file("var/lib/dpkg/status", statusCurl+status)}, 2, false},
	}

	img := empty.Image
	var total int64
	for i, l := range layers {
		path := filepath.Join(dir, "layer"+strconv.Itoa(i)+".tar.gz")
		n, err := writeBenchLayer(path, i, l)
		if err != nil {
			return "", 0, err
		}
		total += n

		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return os.Open(path) })
		if err != nil {
			return "", 0, err
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: l.createdBy}})
		if err != nil {
			return "", 0, err
		}
	}

	lp, err := layout.Write(filepath.Join(dir, "oci"), empty.Index)
	if err != nil {
		return "", 0, err
	}
	if err := lp.AppendImage(img); err != nil {
		return "", 0, err
	}
	for i := range layers {
		os.Remove(filepath.Join(dir, "layer"+strconv.Itoa(i)+".tar.gz"))
	}
	return filepath.Join(dir, "oci"), total, nil
}

// writeBenchLayer writes one gzip layer and returns its uncompressed size.
func writeBenchLayer(path string, seed int, l benchLayer) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()

	bw := bufio.NewWriterSize(f, 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return 0, err
	}
	cw := &countWriter{w: zw}
	tw := tar.NewWriter(cw)

	for _, e := range l.small {
		hdr := &tar.Header{Name: e.Name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(e.Body)), Linkname: e.Linkname}
		if e.Type == tar.TypeSymlink {
			hdr.Typeflag, hdr.Size = tar.TypeSymlink, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return 0, err
		}
		if _, err := io.WriteString(tw, e.Body); err != nil {
			return 0, err
		}
	}
	if l.goBinary {
		if err := addExecutable(tw, "usr/local/bin/app"); err != nil {
			return 0, err
		}
	}

	block := make([]byte, mib)
	rng := rand.New(rand.NewPCG(uint64(seed), 42))
	for i := range l.bigFiles {
		name := fmt.Sprintf("srv/data/layer%d/blob%d.dat", seed, i)
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: fillerSize}); err != nil {
			return 0, err
		}
		for range fillerSize / mib {
			for j := 0; j < len(block); j += 8 {
				v := rng.Uint64()
				for k := range 8 {
					block[j+k] = byte(v >> (8 * k))
				}
			}
			if _, err := tw.Write(block); err != nil {
				return 0, err
			}
		}
	}

	if err := tw.Close(); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	return cw.n, f.Close()
}

// addExecutable copies this test binary, a real Go binary with build info,
// into the layer.
func addExecutable(tw *tar.Writer, name string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	f, err := os.Open(exe)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}

	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o755, Size: info.Size()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// benchStatus returns a dpkg status listing n packages.
func benchStatus(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Package: pkg%d\nStatus: install ok installed\nArchitecture: amd64\nSource: src%d\nVersion: 1.%d-1\nDescription: benchmark package %d\n\n", i, i/4, i, i)
	}
	return b.String()
}

// resetPeakRSS lowers the kernel's peak-RSS mark to the current RSS, so
// VmHWM measures only what follows.
func resetPeakRSS(b *testing.B) {
	b.Helper()

	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("reset peak RSS: %v", err)
	}
}

// peakRSSMiB reads VmHWM from /proc/self/status.
func peakRSSMiB(b *testing.B) float64 {
	b.Helper()

	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range bytes.Lines(st) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(string(rest)), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func BenchmarkFromImageLarge(b *testing.B) {
	img, size := openLargeImage(b)
	opts := Options{ScratchDir: b.TempDir()}
	resetPeakRSS(b)
	b.SetBytes(size)
	b.ResetTimer()

	var res *Result
	for range b.N {
		var err error
		if res, err = FromImage(context.Background(), img, opts); err != nil {
			b.Fatal(err)
		}
	}

	b.StopTimer()
	b.ReportMetric(peakRSSMiB(b), "peak-RSS-MiB")
	types := map[string]int{}
	for _, p := range res.Packages {
		types[p.Type]++
	}
	if types[TypeDeb] != 401 || types[TypeGoStdlib] != 1 {
		b.Fatalf("found %v, want 401 debs and the binary's Go toolchain", types)
	}
}

func BenchmarkFromImageWarmCache(b *testing.B) {
	img, _ := openLargeImage(b)
	opts := Options{ScratchDir: b.TempDir(), Cache: NewMemoryCache()}
	if _, err := FromImage(context.Background(), img, opts); err != nil {
		b.Fatal(err)
	}
	resetPeakRSS(b)
	b.ResetTimer()

	for range b.N {
		if _, err := FromImage(context.Background(), img, opts); err != nil {
			b.Fatal(err)
		}
	}

	b.StopTimer()
	b.ReportMetric(peakRSSMiB(b), "peak-RSS-MiB")
}
