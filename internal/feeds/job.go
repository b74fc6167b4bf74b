package feeds

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/store"
)

// SyncArgs is the job that syncs advisory feeds. An empty list means every
// configured ecosystem.
type SyncArgs struct {
	Ecosystems []string `json:"ecosystems,omitempty"`
}

// Kind names the job in the queue.
func (SyncArgs) Kind() string { return "feed_sync" }

// InsertOpts keeps at most one sync waiting or running: a second request
// while one is queued adds nothing.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 10,
		UniqueOpts:  jobs.OneAtATime(),
	}
}

// SyncWorker runs SyncArgs jobs.
type SyncWorker struct {
	river.WorkerDefaults[SyncArgs]
	Syncer *Syncer
	// AfterImport runs for every feed version a sync wrote, so stored
	// inventories can be matched again against the new data.
	AfterImport func(ctx context.Context, v store.FeedVersion) error
}

// Timeout allows for large feeds on slow links.
func (w *SyncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return 2 * time.Hour }

// Work syncs and returns an error when any ecosystem failed, so River
// retries with backoff; ecosystems that did not change are skipped quickly
// on the retry by their digest.
func (w *SyncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	results, syncErr := w.Syncer.Sync(ctx, job.Args.Ecosystems...)
	for _, r := range results {
		if r.Err != nil || r.Unchanged || w.AfterImport == nil {
			continue
		}
		if err := w.AfterImport(ctx, r.Version); err != nil {
			return err
		}
	}
	return syncErr
}

// PeriodicSync enqueues a sync every interval, and once at start.
func PeriodicSync(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(
		river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return SyncArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true, ID: "feed_sync"},
	)
}
