package scan

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"golang.org/x/sync/errgroup"

	"github.com/palisadesec/palisade/internal/store"
)

// RematchArgs is the job that matches every stored inventory again after
// new advisory data arrived. Nothing is pulled.
type RematchArgs struct {
	FeedVersionID int64 `json:"feed_version_id"`
}

// Kind names the job in the queue.
func (RematchArgs) Kind() string { return "image_rematch" }

// InsertOpts makes one rematch per feed version: a second request for the
// same version while one waits or runs adds nothing, and a newer version
// gets its own pass even while an older one is running.
func (RematchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 5,
		UniqueOpts:  river.UniqueOpts{ByArgs: true},
	}
}

// RematchWorker runs RematchArgs jobs.
type RematchWorker struct {
	river.WorkerDefaults[RematchArgs]
	Service *Service
}

// Work rematches everything.
func (w *RematchWorker) Work(ctx context.Context, job *river.Job[RematchArgs]) error {
	_, err := w.Service.RematchAll(ctx)
	return err
}

// RematchTotals sums what a rematch changed.
type RematchTotals struct {
	Images int
	store.RematchCounts
	Duration time.Duration
}

// RematchAll matches every stored image against the current advisories
// and updates findings, health and recommendations, one transaction per
// changed image so readers never see an image half updated. Lookups are
// remembered across images, and images whose findings do not change cost
// no write at all.
func (s *Service) RematchAll(ctx context.Context) (RematchTotals, error) {
	start := time.Now()
	live, err := s.Store.LiveAdvisoryIDs(ctx)
	if err != nil {
		return RematchTotals{}, err
	}
	p := &rematchPass{svc: s, live: live}
	images := make(chan store.StoredImage, rematchWorkers)
	g, gctx := errgroup.WithContext(ctx)
	for range rematchWorkers {
		g.Go(func() error {
			for im := range images {
				if err := p.image(gctx, im); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(images)
		return s.Store.ForEachStoredImage(gctx, func(im store.StoredImage) error {
			select {
			case images <- im:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	err = g.Wait()
	if err == nil && p.feedVersion != nil {
		err = s.Store.SetFeedVersionOfScannedImages(ctx, *p.feedVersion)
	}
	t := p.totals
	t.Duration = time.Since(start)
	if err != nil {
		return t, err
	}
	s.Logger.Info("Rematch finished", slog.Int("images", t.Images), slog.Int("new", t.New),
		slog.Int("reopened", t.Reopened), slog.Int("changed", t.Changed), slog.Int("fixed", t.Fixed),
		slog.Int("withdrawn", t.Withdrawn), slog.Duration("duration", t.Duration))
	return t, nil
}

// rematchWorkers is how many images a rematch handles at once: each
// image is a few round trips to PostgreSQL, which overlap well. Measured
// on 2 cores (1,000 images, 45,000 findings changing): 1 worker 14.3 s,
// 4 workers 9.4 s, 8 workers 8.9 s; 4 leaves connections in the default
// pool of 10 for the console and other jobs.
const rematchWorkers = 4

// rematchPass is the state one RematchAll shares between its workers.
type rematchPass struct {
	svc  *Service
	live map[string]bool

	mu          sync.Mutex
	memo        *Memo
	totals      RematchTotals
	feedVersion *int64
}

func (p *rematchPass) image(ctx context.Context, im store.StoredImage) error {
	prep, err := p.svc.Matcher.Prepare(ctx, ecosystemsOf(im.Packages))
	if err != nil {
		return err
	}
	p.mu.Lock()
	// The memo is only valid for one index: a new feed version during the
	// pass starts a new one.
	if p.memo == nil || p.memo.index != prep.Index {
		p.memo = NewMemo(prep.Index)
	}
	memo := p.memo
	p.feedVersion = prep.FeedVersionID
	p.mu.Unlock()

	c, err := p.svc.rematchImage(ctx, im, prep, memo, p.live)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.totals.Images++
	p.totals.New += c.New
	p.totals.Reopened += c.Reopened
	p.totals.Changed += c.Changed
	p.totals.Fixed += c.Fixed
	p.totals.Withdrawn += c.Withdrawn
	return nil
}

func (s *Service) rematchImage(ctx context.Context, im store.StoredImage, prep Prepared, memo *Memo, live map[string]bool) (store.RematchCounts, error) {
	findings, _ := MatchMemo(prep.Index, im.Packages, memo)
	for i := range findings {
		findings[i].PackageID = im.Packages[findings[i].PackageIndex].ID
	}
	plan := store.PlanRematch(im, findings, live)
	if plan.Empty() {
		return plan.Counts, nil
	}
	since := time.Now()
	err := pgx.BeginFunc(ctx, s.Store.Pool(), func(tx pgx.Tx) error {
		if err := s.Store.ApplyRematchTx(ctx, tx, plan, prep.FeedVersionID); err != nil {
			return err
		}
		res := &store.ScanResult{Layers: im.Layers, Packages: im.Packages, Findings: findings}
		return s.assess(ctx, tx, im.ID, res)
	})
	if err == nil && plan.Counts.New > 0 {
		s.notifyFindings(ctx, 0, []int64{im.ID}, since)
	}
	return plan.Counts, err
}

// EnqueueRematch queues a rematch after an import that wrote feed
// version v.
func (s *Service) EnqueueRematch(ctx context.Context, v store.FeedVersion) error {
	if s.queue == nil {
		return nil
	}
	_, err := s.queue.Insert(ctx, RematchArgs{FeedVersionID: v.ID}, nil)
	return err
}
