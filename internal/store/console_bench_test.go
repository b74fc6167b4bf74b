package store_test

import (
	"context"
	_ "embed"
	"testing"
	"time"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/store"
)

// consoleSeed is 10,000 images with 1,000,000 findings (see the file);
// it takes about a minute to load on 2 cores.
//
//go:embed testdata/console_seed.sql
var consoleSeed string

// BenchmarkConsoleQueries times every query behind the console's list
// pages, filters and exports at the scale the console must serve within
// 100 ms: 10,000 images and a million findings. Run with scripts/bench.sh
// ./internal/store/ -bench Console.
func BenchmarkConsoleQueries(b *testing.B) {
	ctx := context.Background()
	pool, _ := dbtest.New(b)
	if _, err := pool.Exec(ctx, consoleSeed); err != nil {
		b.Fatalf("seed: %v", err)
	}
	st := store.New(pool)
	var imageID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM images ORDER BY id LIMIT 1 OFFSET 5000`).Scan(&imageID); err != nil {
		b.Fatal(err)
	}
	cve := []string{"CVE-2024-01234"}
	// Exports report the time to their first row (ms/first-row) besides
	// the time to stream everything (ns/op): the download starts then.
	var first firstRowClock
	benchmarks := []struct {
		name string
		fn   func() error
	}{
		{"overview", func() error { _, err := st.Overview(ctx); return err }},
		{"trend", func() error { _, err := st.FindingTrend(ctx, 30); return err }},
		{"registries", func() error { _, err := st.RegistrySummaries(ctx); return err }},
		{"repositories/page-40", func() error { _, _, err := st.Repositories(ctx, store.Paging{Page: 40}); return err }},
		{"images/worst", func() error { _, _, err := st.Images(ctx, store.ImageFilter{}, store.Paging{}); return err }},
		{"images/worst-last-page", func() error {
			_, _, err := st.Images(ctx, store.ImageFilter{}, store.Paging{Page: 200})
			return err
		}},
		{"images/by-repository", func() error {
			_, _, err := st.Images(ctx, store.ImageFilter{Sort: store.ImageSortRepository}, store.Paging{Page: 3})
			return err
		}},
		{"images/name-and-health", func() error {
			_, _, err := st.Images(ctx, store.ImageFilter{Query: "team3/", Health: store.HealthUnhealthy}, store.Paging{})
			return err
		}},
		{"images/export", func() error { return firstRow(&first, st.ForEachImage, ctx, store.ImageFilter{}) }},
		{"image", func() error { _, err := st.ImageByID(ctx, imageID); return err }},
		{"image/latest-scan", func() error { _, err := st.LatestImageScan(ctx, imageID); return err }},
		{"findings", func() error {
			_, _, err := st.ImageFindings(ctx, store.FindingFilter{ImageID: imageID, Desc: true}, store.Paging{})
			return err
		}},
		{"findings/high-application-by-package", func() error {
			f := store.FindingFilter{ImageID: imageID, Severity: "high", Layer: store.LayerApplication, Sort: store.FindingSortPackage}
			_, _, err := st.ImageFindings(ctx, f, store.Paging{})
			return err
		}},
		{"findings/export", func() error {
			return firstRow(&first, st.ForEachImageFinding, ctx, store.FindingFilter{ImageID: imageID})
		}},
		{"vulnerability/keys", func() error { _, err := st.VulnerabilityKeys(ctx, "GHSA-1234"); return err }},
		{"vulnerability/advisories", func() error { _, err := st.VulnerabilityAdvisories(ctx, cve); return err }},
		{"vulnerability/affected", func() error {
			_, _, _, err := st.AffectedImages(ctx, store.AffectedFilter{Keys: cve}, store.Paging{})
			return err
		}},
		{"vulnerability/affected-by-severity-page-3", func() error {
			f := store.AffectedFilter{Keys: cve, Sort: store.AffectedSortSeverity, Desc: true}
			_, _, _, err := st.AffectedImages(ctx, f, store.Paging{Page: 3})
			return err
		}},
		{"vulnerability/export", func() error {
			return firstRow(&first, st.ForEachAffectedImage, ctx, store.AffectedFilter{Keys: cve})
		}},
		{"scans", func() error { _, _, err := st.Scans(ctx, store.ScanFilter{}, store.Paging{}); return err }},
		{"scans/failed", func() error {
			_, _, err := st.Scans(ctx, store.ScanFilter{State: store.ScanFailed}, store.Paging{})
			return err
		}},
		{"scans/activity", func() error { _, err := st.ScanActivity(ctx); return err }},
		{"scans/export", func() error { return firstRow(&first, st.ForEachScan, ctx, store.ScanFilter{}) }},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			first = firstRowClock{}
			for b.Loop() {
				if err := bm.fn(); err != nil {
					b.Fatal(err)
				}
			}
			if first.n > 0 {
				b.ReportMetric(float64(first.total.Microseconds())/1000/float64(first.n), "ms/first-row")
			}
		})
	}
}

// firstRowClock adds up how long exports took to their first row.
type firstRowClock struct {
	total time.Duration
	n     int
}

// firstRow streams every row of an export, timing the first.
func firstRow[F any, R any](c *firstRowClock, each func(context.Context, F, func(R) error) error, ctx context.Context, f F) error {
	start := time.Now()
	seen := false
	return each(ctx, f, func(R) error {
		if !seen {
			seen = true
			c.total += time.Since(start)
			c.n++
		}
		return nil
	})
}
