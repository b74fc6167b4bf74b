package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/feeds/snapshot"
	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/store"
)

// SnapshotSource names a shipped snapshot in feed versions, with its date,
// so the console can say how old the data is.
func SnapshotSource(f snapshot.Feed) string {
	return "snapshot:" + f.Ecosystem + "@" + f.Taken.Format(time.DateOnly)
}

// ImportSnapshot imports the shipped snapshot of one ecosystem.
func (im *Importer) ImportSnapshot(ctx context.Context, f snapshot.Feed) (store.FeedVersion, error) {
	b, err := snapshot.Open(f)
	if err != nil {
		return store.FeedVersion{}, fmt.Errorf("open shipped snapshot %s: %w", f.File, err)
	}
	return im.ImportZip(ctx, SnapshotSource(f), bytes.NewReader(b), int64(len(b)))
}

// FallBackToSnapshots imports the shipped snapshot of every ecosystem in
// ecosystems that has none stored, and returns the feed versions written.
// Ecosystems with data, or without a snapshot, are left alone.
func (im *Importer) FallBackToSnapshots(ctx context.Context, ecosystems []string) ([]store.FeedVersion, error) {
	stored, err := im.store.FeedStatuses(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, s := range stored {
		have[s.Feed] = s.Advisories > 0
	}
	var out []store.FeedVersion
	for _, eco := range ecosystems {
		f, ok := snapshot.For(eco)
		if !ok || have[eco] {
			continue
		}
		v, err := im.ImportSnapshot(ctx, f)
		if errors.Is(err, ErrUnchanged) {
			continue
		}
		if err != nil {
			return out, err
		}
		im.log.Warn("Using the shipped advisory snapshot; it is old", slog.String("ecosystem", eco),
			slog.String("taken", f.Taken.Format(time.DateOnly)))
		out = append(out, v)
	}
	return out, nil
}

// SnapshotArgs is the job that loads shipped snapshots for ecosystems with
// no data, queued at start when scheduled syncs are off.
type SnapshotArgs struct {
	Ecosystems []string `json:"ecosystems"`
}

// Kind names the job in the queue.
func (SnapshotArgs) Kind() string { return "feed_snapshot" }

// InsertOpts keeps one such job at a time.
func (SnapshotArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: jobs.OneAtATime()}
}

// SnapshotWorker runs SnapshotArgs jobs.
type SnapshotWorker struct {
	river.WorkerDefaults[SnapshotArgs]
	Importer    *Importer
	AfterImport func(ctx context.Context, v store.FeedVersion) error
}

// Work imports what is missing.
func (w *SnapshotWorker) Work(ctx context.Context, job *river.Job[SnapshotArgs]) error {
	versions, err := w.Importer.FallBackToSnapshots(ctx, job.Args.Ecosystems)
	for _, v := range versions {
		if w.AfterImport != nil {
			if hookErr := w.AfterImport(ctx, v); hookErr != nil {
				return errors.Join(err, hookErr)
			}
		}
	}
	return err
}
