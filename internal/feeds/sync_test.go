package feeds_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/feeds"
	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/store"
)

// feedServer serves the shared Go snapshot as BASE/Go/all.zip on loopback,
// the layout of the public OSV bucket, and answers 500 while failing is set.
type feedServer struct {
	*httptest.Server
	failing  atomic.Bool
	requests atomic.Int32
}

func newFeedServer(t *testing.T) *feedServer {
	t.Helper()
	body, err := os.ReadFile(goZip)
	if err != nil {
		t.Fatal(err)
	}
	fs := &feedServer{}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.requests.Add(1)
		switch {
		case fs.failing.Load():
			http.Error(w, "bucket unavailable", http.StatusInternalServerError)
		case r.URL.Path == "/Go/all.zip":
			w.Write(body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(fs.Close)
	return fs
}

func newSyncer(t *testing.T, st *store.Store, base string, maxBytes int64) *feeds.Syncer {
	t.Helper()
	im := feeds.NewImporter(st, slog.New(slog.DiscardHandler))
	return feeds.NewSyncer(im, feeds.SyncOptions{BaseURL: base, Ecosystems: []string{"Go"}, MaxBytes: maxBytes})
}

func TestSyncOverHTTP(t *testing.T) {
	ctx := context.Background()
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	srv := newFeedServer(t)
	s := newSyncer(t, st, srv.URL, 1<<30)

	results, err := s.Sync(ctx)
	if err != nil {
		t.Fatalf("first sync: %v", err)
	}
	if len(results) != 1 || results[0].Version.Added != goRecords {
		t.Fatalf("first sync results = %+v, want %d added", results, goRecords)
	}
	if results[0].Source != srv.URL+"/Go/all.zip" {
		t.Errorf("source = %q", results[0].Source)
	}

	results, err = s.Sync(ctx)
	if err != nil || !results[0].Unchanged {
		t.Errorf("second sync = %+v, %v; want unchanged", results, err)
	}

	srv.failing.Store(true)
	results, err = s.Sync(ctx)
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("sync against a failing server = %v, want an error naming the 500", err)
	}
	if results[0].Err == nil {
		t.Error("failing ecosystem has no error in its result")
	}
	if got := statusOf(t, st)["Go"].Advisories; got != goRecords {
		t.Errorf("after a failed sync Go has %d advisories, want the %d from before", got, goRecords)
	}
}

func TestSyncRefusesOversizedDownload(t *testing.T) {
	ctx := context.Background()
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	srv := newFeedServer(t)

	// The snapshot is about 3.4 MB; allow 1 MiB.
	_, err := newSyncer(t, st, srv.URL, 1<<20).Sync(ctx)
	if err == nil || !strings.Contains(err.Error(), "PALISADE_FEED_MAX_DOWNLOAD_BYTES") {
		t.Errorf("oversized download = %v, want a refusal naming the limit", err)
	}
	// Nothing of the refused download is stored; the shipped snapshot
	// stands in for it.
	if v := statusOf(t, st)["Go"].LastVersion; v == nil || !strings.HasPrefix(v.Source, "snapshot:") {
		t.Errorf("Go feed after a refused download = %+v, want only the shipped snapshot", v)
	}
}

// The sync job runs in a real River worker and hands every new feed
// version to the rematch hook.
func TestSyncJob(t *testing.T) {
	ctx := context.Background()
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	srv := newFeedServer(t)

	versions := make(chan store.FeedVersion, 1)
	workers := river.NewWorkers()
	river.AddWorker(workers, &feeds.SyncWorker{
		Syncer: newSyncer(t, st, srv.URL, 1<<30),
		AfterImport: func(_ context.Context, v store.FeedVersion) error {
			versions <- v
			return nil
		},
	})
	log := slog.New(slog.DiscardHandler)
	runner, err := jobs.NewRunner(pool, jobs.Options{Workers: workers, MaxWorkers: 1, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Insert(ctx, feeds.SyncArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop(ctx, runner, log)

	select {
	case v := <-versions:
		if v.Added != goRecords {
			t.Errorf("job's feed version added %d, want %d", v.Added, goRecords)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the sync job did not run within 60s")
	}
}

// With the bucket unreachable and nothing stored, the shipped snapshot is
// imported (once); the Go snapshot holds 4,291 records.
func TestSyncFallsBackToShippedSnapshot(t *testing.T) {
	ctx := context.Background()
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	srv := newFeedServer(t)
	srv.failing.Store(true)
	s := newSyncer(t, st, srv.URL, 1<<30)

	results, err := s.Sync(ctx)
	if err == nil {
		t.Fatal("sync against a failing bucket reported no error")
	}
	if len(results) != 2 || results[1].Version.Added != goRecords || !strings.HasPrefix(results[1].Source, "snapshot:Go@2026-08-21") {
		t.Fatalf("results = %+v, want the failure and a snapshot import of %d records", results, goRecords)
	}
	if got := statusOf(t, st)["Go"]; got.Advisories != goRecords || got.LastVersion == nil || got.LastVersion.Source != "snapshot:Go@2026-08-21" {
		t.Errorf("Go status = %+v", got)
	}

	results, _ = s.Sync(ctx)
	if len(results) != 1 {
		t.Errorf("second failing sync imported the snapshot again: %+v", results)
	}
}
