package inventory

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// gzipBombLayer streams gzip(tar(one file of size zeros)), compressing only
// as fast as it is read: the 2 GiB never exist anywhere.
func gzipBombLayer(size int64) v1.Layer {
	return streamLayer{open: func() io.ReadCloser {
		pr, pw := io.Pipe()
		go func() {
			zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
			tw := tar.NewWriter(zw)
			err := tw.WriteHeader(&tar.Header{Name: "var/cache/zeros", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
			if err == nil {
				_, err = io.CopyN(tw, zeroReader{}, size)
			}
			if err == nil {
				err = tw.Close()
			}
			if err == nil {
				err = zw.Close()
			}
			pw.CloseWithError(err)
		}()
		return pr
	}}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func bytesStreamLayer(compressed []byte) v1.Layer {
	return streamLayer{open: func() io.ReadCloser { return io.NopCloser(bytes.NewReader(compressed)) }}
}

func TestFromImageHostileLayers(t *testing.T) {
	good := layerTar(t, debianBase(statusSSL)...)
	goodGz := gzipBytes(t, good)

	tests := []struct {
		name    string
		img     func(t *testing.T) fakeImage
		limits  Limits
		wantErr error
		wantMsg string
	}{
		{
			name: "gzip bomb: 2 GiB of zeros against a 16 MiB limit",
			img: func(t *testing.T) fakeImage {
				return newFakeImage([]string{sha256Hex(nil)}, gzipBombLayer(2<<30))
			},
			limits:  Limits{MaxLayerBytes: 16 << 20},
			wantErr: ErrLayerTooLarge,
			wantMsg: "layer exceeds 16777216 bytes uncompressed",
		},
		{
			name: "truncated gzip stream",
			img: func(t *testing.T) fakeImage {
				return newFakeImage([]string{sha256Hex(good)}, bytesStreamLayer(goodGz[:len(goodGz)/2]))
			},
			wantErr: ErrCorruptLayer,
			wantMsg: "unexpected EOF",
		},
		{
			name: "truncated tar inside a complete gzip stream",
			img: func(t *testing.T) fakeImage {
				cut := good[:len(good)-1500]
				return newFakeImage([]string{sha256Hex(cut)}, bytesStreamLayer(gzipBytes(t, cut)))
			},
			wantErr: ErrCorruptLayer,
		},
		{
			name: "not gzip at all",
			img: func(t *testing.T) fakeImage {
				return newFakeImage([]string{sha256Hex(good)}, bytesStreamLayer([]byte("<html>rate limited</html>")))
			},
			wantErr: ErrCorruptLayer,
		},
		{
			name: "bytes do not match the config's diffID",
			img: func(t *testing.T) fakeImage {
				other := layerTar(t, file("var/lib/dpkg/status", statusCurl))
				return newFakeImage([]string{sha256Hex(other)}, bytesStreamLayer(goodGz))
			},
			wantErr: ErrDiffIDMismatch,
			wantMsg: "content hashes to " + sha256Hex(good),
		},
		{
			name: "more entries than allowed",
			img: func(t *testing.T) fakeImage {
				return newFakeImage([]string{sha256Hex(good)}, bytesStreamLayer(goodGz))
			},
			limits:  Limits{MaxEntries: 3},
			wantErr: ErrTooManyEntries,
		},
		{
			name: "package database over its limit",
			img: func(t *testing.T) fakeImage {
				return newFakeImage([]string{sha256Hex(good)}, bytesStreamLayer(goodGz))
			},
			limits:  Limits{MaxDatabaseBytes: 100},
			wantErr: ErrFileTooLarge,
			wantMsg: "/var/lib/dpkg/status is",
		},
		{
			name: "config lists fewer diffIDs than the manifest has layers",
			img: func(t *testing.T) fakeImage {
				img := newFakeImage([]string{sha256Hex(good)}, bytesStreamLayer(goodGz))
				img.cfg.RootFS.DiffIDs = nil
				return img
			},
			wantErr: ErrInvalidImage,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(t)
			opts.Limits = tt.limits

			res, err := FromImage(context.Background(), tt.img(t), opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("FromImage() = %v, %v; want error %v", res, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			t.Logf("error: %v", err)
		})
	}
}

func TestFromImagePathTricks(t *testing.T) {
	base := t.TempDir()
	canary := filepath.Join(base, "canary")
	if err := os.MkdirAll(filepath.Join(canary, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(canary, "etc", "passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	scratch := filepath.Join(base, "a", "b", "scratch")
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		t.Fatal(err)
	}
	before := treeSnapshot(t, base)
	hostPasswd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}

	// Each entry is a file an extractor wants, so a careless writer would
	// put it somewhere.
	pwn := "Package: pwn\nVersion: 6.6.6\n"
	img := buildImage(t, step{"COPY evil /", []entry{
		{Name: "../../etc/passwd", Body: "pwned\n", Mode: 0o755},
		{Name: "../../../../canary/etc/passwd", Body: "pwned\n", Mode: 0o755},
		{Name: "/abs/path", Body: "not a go binary", Mode: 0o755},
		file("/var/lib/dpkg/status.d/abs", "Package: abs\nVersion: 1.0\n"),
		symlink("var/lib/dpkg/status", "/etc/shadow"),
		hardlink("usr/bin/shadow", "../../../../etc/shadow"),
		hardlink("usr/bin/canary", filepath.Join(canary, "etc", "passwd")),
		symlink("var/lib/dpkg/status.d", filepath.Join(canary, "etc")),
		file("var/lib/dpkg/status.d/passwd", pwn),
		file("var/lib/dpkg/status.d/../../../../../../canary/etc/passwd", pwn),
	}})

	opts := testOptions(t)
	opts.ScratchDir = scratch
	res := inventoryOf(t, img, opts)

	want := []pkgView{
		{"abs", "1.0", "abs", "1.0", "", "deb", "/var/lib/dpkg/status.d/abs", 0},
		{"pwn", "6.6.6", "pwn", "6.6.6", "", "deb", "/var/lib/dpkg/status.d/passwd", 0},
	}
	if diff := cmp.Diff(want, view(res.Packages)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}

	// Three names climb out (skipped), two are absolute (read relative).
	if res.WarningCount != 5 {
		t.Errorf("WarningCount = %d, want 5; warnings: %+v", res.WarningCount, res.Warnings)
	}
	if diff := cmp.Diff(before, treeSnapshot(t, base)); diff != "" {
		t.Errorf("files outside scratch changed (-before +after):\n%s", diff)
	}
	if after, err := os.ReadFile("/etc/passwd"); err != nil || !bytes.Equal(after, hostPasswd) {
		t.Errorf("/etc/passwd changed or unreadable: %v", err)
	}
}
