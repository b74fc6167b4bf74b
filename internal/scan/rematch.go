package scan

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/advisory"
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
	var t RematchTotals
	live, err := s.Store.LiveAdvisoryIDs(ctx)
	if err != nil {
		return t, err
	}
	var memo *Memo
	var memoIndex *advisory.Index
	var feedVersion *int64
	err = s.Store.ForEachStoredImage(ctx, func(im store.StoredImage) error {
		prep, err := s.Matcher.Prepare(ctx, ecosystemsOf(im.Packages))
		if err != nil {
			return err
		}
		// The memo is only valid for one index: a new feed version during
		// the pass starts a new one.
		if memo == nil || prep.Index != memoIndex {
			memo, memoIndex = NewMemo(), prep.Index
		}
		feedVersion = prep.FeedVersionID
		c, err := s.rematchImage(ctx, im, prep, memo, live)
		if err != nil {
			return err
		}
		t.Images++
		t.New += c.New
		t.Reopened += c.Reopened
		t.Changed += c.Changed
		t.Fixed += c.Fixed
		t.Withdrawn += c.Withdrawn
		return nil
	})
	if err == nil && feedVersion != nil {
		err = s.Store.SetFeedVersionOfScannedImages(ctx, *feedVersion)
	}
	t.Duration = time.Since(start)
	if err != nil {
		return t, err
	}
	s.Logger.Info("Rematch finished", slog.Int("images", t.Images), slog.Int("new", t.New),
		slog.Int("reopened", t.Reopened), slog.Int("changed", t.Changed), slog.Int("fixed", t.Fixed),
		slog.Int("withdrawn", t.Withdrawn), slog.Duration("duration", t.Duration))
	return t, nil
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
