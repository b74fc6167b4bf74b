package trend

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/palisadesec/palisade/internal/store"
)

// Interval is how often today's counts are written. A day's row keeps the
// last counts written that day, so the chart of past days is at most this
// much behind their end; today's point is always computed live.
const Interval = 15 * time.Minute

// SnapshotArgs is the job that records today's open findings.
type SnapshotArgs struct{}

// Kind names the job in the queue.
func (SnapshotArgs) Kind() string { return "finding_counts_snapshot" }

// InsertOpts keeps one snapshot waiting at a time.
func (SnapshotArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateScheduled, rivertype.JobStateRetryable,
		}},
	}
}

// Worker runs SnapshotArgs jobs.
type Worker struct {
	river.WorkerDefaults[SnapshotArgs]
	Store *store.Store
}

// Work writes today's row.
func (w *Worker) Work(ctx context.Context, _ *river.Job[SnapshotArgs]) error {
	return w.Store.RecordFindingCounts(ctx)
}

// Periodic schedules a snapshot every Interval, and one when the job
// runner starts, so a restart does not leave the day without a row.
func Periodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(Interval),
		func() (river.JobArgs, *river.InsertOpts) { return SnapshotArgs{}, nil },
		&river.PeriodicJobOpts{ID: "finding_counts_snapshot", RunOnStart: true})
}
