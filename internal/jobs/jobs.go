package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// Client is the River client type used throughout Palisade.
type Client = river.Client[pgx.Tx]

// Options configures a client that runs jobs.
type Options struct {
	// Workers holds every job kind this process can run.
	Workers *river.Workers
	// MaxWorkers is how many jobs run at once in this process.
	MaxWorkers int
	// Periodic jobs are enqueued on a schedule by the elected leader, so
	// several processes do not enqueue the same run twice.
	Periodic []*river.PeriodicJob
	Logger   *slog.Logger
}

// NewRunner returns a client that works the default queue.
func NewRunner(pool *pgxpool.Pool, o Options) (*Client, error) {
	if o.Workers == nil {
		return nil, errors.New("jobs: a runner needs workers")
	}
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(o.MaxWorkers, 1)}},
		Workers:      o.Workers,
		PeriodicJobs: o.Periodic,
		Logger:       o.Logger.With(slog.String("component", "jobs")),
		// Jobs that outlive this are cancelled and retried, so a hung
		// registry cannot hold a worker for ever.
		JobTimeout: 30 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("create job runner: %w", err)
	}
	return c, nil
}

// NewInserter returns a client that only enqueues jobs, for commands and
// handlers in processes that do not run workers.
func NewInserter(pool *pgxpool.Pool, workers *river.Workers, log *slog.Logger) (*Client, error) {
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Workers: workers,
		Logger:  log.With(slog.String("component", "jobs")),
	})
	if err != nil {
		return nil, fmt.Errorf("create job inserter: %w", err)
	}
	return c, nil
}

// Stop lets running jobs finish until ctx ends, then cancels what is left;
// cancelled jobs are retried by the next process to start.
func Stop(ctx context.Context, c *Client, log *slog.Logger) {
	err := c.Stop(ctx)
	if err == nil {
		return
	}
	log.Warn("Jobs did not finish in time; cancelling them", slog.Any("error", err))
	cancelCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.StopAndCancel(cancelCtx); err != nil {
		log.Error("Cancelling jobs failed", slog.Any("error", err))
	}
}

// OneAtATime is the uniqueness for jobs of which one waiting or running
// copy is enough (a sync, a poll): inserting another while one is queued
// or running adds nothing.
func OneAtATime() river.UniqueOpts {
	return river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}
}
