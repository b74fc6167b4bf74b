package scan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/jackc/pgx/v5"

	"github.com/palisadesec/palisade/internal/advisory"
	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/feeds"
	"github.com/palisadesec/palisade/internal/inventory"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/store"
)

const sharedGoZip = "../feeds/snapshot/Go.zip"

// affectedGoModules returns (module, version) pairs that the Go feed
// affects: for each record, a module and the first version it introduced,
// so the benchmark's images really have findings to rematch.
func affectedGoModules(b *testing.B, n int) [][2]string {
	b.Helper()
	var out [][2]string
	_, err := advisory.ReadZip(sharedGoZip, advisory.Limits{}, func(e advisory.Entry) error {
		for _, a := range e.Record.Affected {
			for _, r := range a.Ranges {
				for _, ev := range r.Events {
					if ev.Introduced != "" && ev.Introduced != "0" && len(out) < n && a.Package.Name != "stdlib" {
						out = append(out, [2]string{a.Package.Name, ev.Introduced})
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkRematchAfterFeedUpdate matches 1,000 stored images of 300
// packages each again after a feed update (the target is 10 s or less).
// Each image has 60 Go modules the feed affects, a Go toolchain and 239
// Debian packages; each iteration changes 100 records and rematches.
func BenchmarkRematchAfterFeedUpdate(b *testing.B) {
	ctx := context.Background()
	pool, _ := dbtest.New(b)
	st := store.New(pool)
	log := slog.New(slog.DiscardHandler)
	im := feeds.NewImporter(st, log)
	if _, err := im.ImportPath(ctx, sharedGoZip); err != nil {
		b.Fatal(err)
	}
	mods := affectedGoModules(b, 600)
	seedImages(b, st, 1000, mods)

	svc := scan.NewService(scan.Options{Store: st, Matcher: scan.NewMatcher(st), Logger: log, UnhealthyLevels: []string{"critical", "high", "unknown"}})
	if _, err := svc.RematchAll(ctx); err != nil { // settle the first pass
		b.Fatal(err)
	}
	updates := feedUpdates(b, 100)

	b.ResetTimer()
	var last scan.RematchTotals
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := im.ImportPath(ctx, updates[i%2]); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t, err := svc.RematchAll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		last = t
	}
	b.ReportMetric(float64(last.Images), "images")
	b.ReportMetric(float64(last.Changed+last.New+last.Fixed+last.Withdrawn+last.Reopened), "findings_changed")
}

// seedImages stores n images of 300 packages: 60 affected Go modules
// (rotating through mods), the Go toolchain 1.19.8 and 239 Debian packages.
func seedImages(b *testing.B, st *store.Store, n int, mods [][2]string) {
	b.Helper()
	ctx := context.Background()
	var regID int64
	if err := st.Pool().QueryRow(ctx, `INSERT INTO registries (name, url, webhook_token, webhook_secret) VALUES ('bench', 'http://127.0.0.1:5000', 'bench', '\x00') RETURNING id`).Scan(&regID); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		pkgs := make([]store.PackageRecord, 0, 300)
		for j := 0; j < 60; j++ {
			m := mods[(i*7+j)%len(mods)]
			pkgs = append(pkgs, store.PackageRecord{Type: "go-module", Ecosystem: "Go", Name: m[0], Version: m[1], Paths: []string{"/app"}})
		}
		pkgs = append(pkgs, store.PackageRecord{Type: "go-stdlib", Ecosystem: "Go", Name: "stdlib", Version: "1.19.8", Paths: []string{"/app"}})
		for j := 0; j < 239; j++ {
			pkgs = append(pkgs, store.PackageRecord{Type: "deb", Ecosystem: "Debian:12", Name: fmt.Sprintf("lib%03d", j), Version: "1.0-1", Paths: []string{"/var/lib/dpkg/status"}})
		}
		err := pgx.BeginFunc(ctx, st.Pool(), func(tx pgx.Tx) error {
			repoID, err := st.UpsertRepositoryTx(ctx, tx, regID, fmt.Sprintf("app%04d", i))
			if err != nil {
				return err
			}
			_, err = st.SaveScanResultTx(ctx, tx, &store.ScanResult{
				Image:    store.ImageRecord{RepositoryID: repoID, Digest: fmt.Sprintf("sha256:%064d", i)},
				Layers:   []store.LayerRecord{{Index: 0, Digest: "sha256:l", DiffID: "sha256:d"}},
				Packages: pkgs,
			})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// feedUpdates writes two directories of the first n Go records: one with
// every record's summary changed, and one with them as published, so
// alternate imports always change n records (and their findings' feed
// version) while keeping the matching data realistic.
func feedUpdates(b *testing.B, n int) [2]string {
	b.Helper()
	var dirs [2]string
	for i := range dirs {
		dirs[i] = b.TempDir()
	}
	count := 0
	_, err := advisory.ReadZip(sharedGoZip, advisory.Limits{}, func(e advisory.Entry) error {
		if count >= n || e.Record.IsWithdrawn() {
			return nil
		}
		count++
		var m map[string]any
		if err := json.Unmarshal(e.Raw, &m); err != nil {
			return err
		}
		// Withdraw the record in one state: its findings close, then open
		// again in the other state.
		m["withdrawn"] = "2026-12-01T00:00:00Z"
		changed, _ := json.Marshal(m)
		name := strings.ReplaceAll(e.Record.ID, "/", "_") + ".json"
		if err := os.WriteFile(filepath.Join(dirs[0], name), changed, 0o644); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dirs[1], name), e.Raw, 0o644)
	})
	if err != nil {
		b.Fatal(err)
	}
	return dirs
}

// debootstrapTar is the test image root filesystem that
// scripts/testimage.sh builds and caches; `make bench` builds it first.
func debootstrapTar(b *testing.B) string {
	b.Helper()
	p := os.Getenv("PALISADE_TEST_ROOTFS_TAR")
	if p == "" {
		p = "/var/cache/palisade-test/bookworm-rootfs.tar"
	}
	if _, err := os.Stat(p); err != nil {
		b.Fatalf("the debootstrap test image is missing (%v): run scripts/testimage.sh (make bench does)", err)
	}
	return p
}

// resetPeakRSS clears the kernel's high-water mark of this process's
// resident memory, so the next reading covers only what follows.
func resetPeakRSS(b *testing.B) {
	b.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("reset peak RSS: %v", err)
	}
}

// peakRSSMiB reads VmHWM from /proc/self/status.
func peakRSSMiB(b *testing.B) float64 {
	b.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// benchmarkScanDebootstrap inventories and matches the debootstrap bookworm
// image (one 275 MiB layer) against the Go and PyPI feeds, cold (every
// layer read) or with the layer cache warm.
func benchmarkScanDebootstrap(b *testing.B, warm bool) {
	ctx := context.Background()
	layer, err := tarball.LayerFromFile(debootstrapTar(b))
	if err != nil {
		b.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		b.Fatal(err)
	}
	ix := advisory.NewIndex()
	for _, z := range []string{sharedGoZip, "../feeds/snapshot/PyPI.zip"} {
		if _, err := advisory.ReadZip(z, advisory.Limits{}, func(e advisory.Entry) error { ix.Add(e.Record); return nil }); err != nil {
			b.Fatal(err)
		}
	}
	cache := inventory.NewMemoryCache()
	opts := inventory.Options{ScratchDir: b.TempDir(), Cache: cache}
	if warm {
		if _, err := inventory.FromImage(ctx, img, opts); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	resetPeakRSS(b)
	b.ResetTimer()
	var findings int
	for i := 0; i < b.N; i++ {
		if !warm {
			opts.Cache = inventory.NewMemoryCache()
		}
		res, err := inventory.FromImage(ctx, img, opts)
		if err != nil {
			b.Fatal(err)
		}
		inv := scan.FromInventory(res)
		f, _ := scan.Match(ix, inv.Packages)
		findings = len(f)
	}
	b.StopTimer()
	b.ReportMetric(peakRSSMiB(b), "peak_rss_MiB")
	b.ReportMetric(float64(findings), "findings")
}

func BenchmarkScanDebootstrapCold(b *testing.B) { benchmarkScanDebootstrap(b, false) }

func BenchmarkScanDebootstrapWarmCache(b *testing.B) { benchmarkScanDebootstrap(b, true) }
