package scan_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/inventory"
	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/registrytest"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/secrets"
	"github.com/palisadesec/palisade/internal/store"
)

// TestPollingAndLayerCache walks a registry's catalog the way the poll job
// does, then moves a tag to an image that shares the first image's layer:
// the new digest is scanned, the tag's history has both digests, and the
// shared layer is not downloaded again (the PostgreSQL layer cache).
func TestPollingAndLayerCache(t *testing.T) {
	ctx := context.Background()
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	log := slog.New(slog.DiscardHandler)
	box, _ := secrets.New(strings.Repeat("p", 32))
	mgr := registries.NewManager(st, box, "http://127.0.0.1:8080")
	srv := registrytest.New(t)
	conn, _, err := mgr.Add(ctx, registries.Settings{
		Name: "polled", URL: srv.URL, InsecureHTTP: true, AuthKind: registries.AuthNone, ScanOnPush: true,
		PollInterval: time.Minute, ExcludePatterns: []string{"ignored/**"},
	})
	if err != nil {
		t.Fatal(err)
	}

	base := registrytest.Image(t, "linux/amd64")
	srv.PushImage(t, "app", "latest", base)
	srv.PushImage(t, "ignored/thing", "1", registrytest.Image(t, "linux/amd64"))

	svc := scan.NewService(scan.Options{
		Store: st, Registries: mgr, Images: scan.RegistrySource{},
		Inventorier: scan.ImageInventorier{Options: inventory.Options{ScratchDir: t.TempDir(), Cache: scan.NewLayerCache(st), Logger: log}},
		Matcher:     scan.NewMatcher(st), Logger: log, UnhealthyLevels: []string{"critical", "high", "unknown"},
	})
	workers := river.NewWorkers()
	river.AddWorker(workers, &scan.Worker{Service: svc})
	river.AddWorker(workers, &scan.PollWorker{Service: svc})
	runner, err := jobs.NewRunner(pool, jobs.Options{Workers: workers, MaxWorkers: 2, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc.UseQueue(runner)
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop(ctx, runner, log)

	pollAndWait := func() {
		t.Helper()
		if _, err := runner.Insert(ctx, scan.PollArgs{}, nil); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			var pending int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&pending); err != nil {
				t.Fatal(err)
			}
			if pending == 0 {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("poll and scans did not finish within 30s")
	}

	pollAndWait()
	repos := scannedRepositories(t, st)
	if strings.Join(repos, ",") != "app" {
		t.Fatalf("scanned repositories = %v, want only app (ignored/** is excluded)", repos)
	}

	// Move the tag to an image built on the first: same first layer, one
	// more of its own. Only the new layer may be downloaded.
	extra := registrytest.Image(t, "linux/amd64")
	extraLayers, _ := extra.Layers()
	moved, err := mutate.AppendLayers(base, extraLayers...)
	if err != nil {
		t.Fatal(err)
	}
	baseLayers, _ := base.Layers()
	sharedDigest, _ := baseLayers[0].Digest()
	newDigest, _ := extraLayers[0].Digest()
	before := blobFetches(srv)
	srv.PushImage(t, "app", "latest", moved)
	if err := st.MarkRegistryPolled(ctx, conn.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE registries SET last_polled_at = now() - interval '2 minutes'`); err != nil {
		t.Fatal(err)
	}
	pollAndWait()

	after := blobFetches(srv)
	if got := after[sharedDigest.String()] - before[sharedDigest.String()]; got != 0 {
		t.Errorf("the shared layer was downloaded %d more times, want 0 (layer cache)", got)
	}
	if got := after[newDigest.String()] - before[newDigest.String()]; got != 1 {
		t.Errorf("the new layer was downloaded %d times, want 1", got)
	}
	var history int
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT digest) FROM tag_history WHERE name = 'latest'`).Scan(&history); err != nil {
		t.Fatal(err)
	}
	if history != 2 {
		t.Errorf("tag history of app:latest has %d digests, want 2", history)
	}
	var images int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM images WHERE scanned_at IS NOT NULL`).Scan(&images); err != nil {
		t.Fatal(err)
	}
	if images != 2 {
		t.Errorf("scanned images = %d, want 2 (the tag's old and new digest)", images)
	}
}

func scannedRepositories(t *testing.T, st *store.Store) []string {
	t.Helper()
	rows, err := st.Pool().Query(context.Background(), `
		SELECT DISTINCT r.name FROM images i JOIN repositories r ON r.id = i.repository_id ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

// blobFetches counts GETs of each blob digest the registry answered.
func blobFetches(srv *registrytest.Server) map[string]int {
	out := map[string]int{}
	for _, r := range srv.Requests() {
		if r.Method == "GET" && strings.Contains(r.Path, "/blobs/sha256:") {
			out[r.Path[strings.LastIndex(r.Path, "/")+1:]]++
		}
	}
	return out
}
