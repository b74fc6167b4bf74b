package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/registry"
)

// PollArgs is the periodic job that walks the catalogs of registries that
// cannot send push notifications.
type PollArgs struct{}

// Kind names the job in the queue.
func (PollArgs) Kind() string { return "registry_poll" }

// InsertOpts keeps one poll waiting at a time.
func (PollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 3,
		UniqueOpts:  jobs.OneAtATime(),
	}
}

// PollWorker runs PollArgs jobs.
type PollWorker struct {
	river.WorkerDefaults[PollArgs]
	Service *Service
}

// Timeout bounds a poll of very large catalogs.
func (w *PollWorker) Timeout(*river.Job[PollArgs]) time.Duration { return 30 * time.Minute }

// Work polls every registry whose interval has passed. One registry
// failing does not keep the others from being polled.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	s := w.Service
	due, err := s.Store.RegistriesDueForPolling(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range due {
		conn, err := s.Registries.Open(ctx, r.ID)
		if err == nil {
			err = s.Poll(ctx, conn)
		}
		if err != nil {
			s.Logger.Warn("Registry poll failed", slog.String("registry", r.Name), slog.Any("error", err))
			errs = append(errs, fmt.Errorf("%s: %w", r.Name, err))
		}
		if markErr := s.Store.MarkRegistryPolled(ctx, r.ID); markErr != nil {
			errs = append(errs, markErr)
		}
	}
	return errors.Join(errs...)
}

// PeriodicPoll checks every minute which registries are due.
func PeriodicPoll() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return PollArgs{}, nil },
		&river.PeriodicJobOpts{ID: "registry_poll"})
}

// Poll lists a registry's repositories and tags and queues a scan for
// every tag whose digest was not scanned yet.
func (s *Service) Poll(ctx context.Context, conn registries.Connection) error {
	c, err := Client(conn)
	if err != nil {
		return err
	}
	repos, err := c.Catalog(ctx)
	if err != nil {
		return err
	}
	queued := 0
	for _, repo := range repos {
		if !registry.MatchRepository(repo, conn.IncludePatterns, conn.ExcludePatterns) {
			continue
		}
		n, err := s.pollRepository(ctx, c, conn, repo)
		if err != nil {
			return fmt.Errorf("repository %s: %w", repo, err)
		}
		queued += n
	}
	s.Logger.Info("Registry polled", slog.String("registry", conn.Name), slog.Int("repositories", len(repos)), slog.Int("queued", queued))
	return nil
}

func (s *Service) pollRepository(ctx context.Context, c *registry.Client, conn registries.Connection, repo string) (int, error) {
	tags, err := c.Tags(ctx, repo)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, tag := range tags {
		desc, err := c.Resolve(ctx, repo, tag)
		if err != nil {
			return queued, err
		}
		if err := s.recordTag(ctx, conn.ID, repo, tag, desc.Digest); err != nil {
			return queued, err
		}
		q, err := s.Enqueue(ctx, Request{RegistryID: conn.ID, Repository: repo, Reference: tag, Digest: desc.Digest, Trigger: TriggerPoll})
		if err != nil {
			return queued, err
		}
		if q.Skipped == "" {
			queued++
		}
	}
	return queued, nil
}
