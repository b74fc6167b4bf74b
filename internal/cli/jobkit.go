package cli

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/feeds"
	"github.com/palisadesec/palisade/internal/store"
)

// jobKit gathers every job kind and periodic schedule this binary runs.
type jobKit struct {
	workers  *river.Workers
	periodic []*river.PeriodicJob
}

func newJobKit(cfg *config.Config, st *store.Store, log *slog.Logger) *jobKit {
	k := &jobKit{workers: river.NewWorkers()}
	river.AddWorker(k.workers, &feeds.SyncWorker{
		Syncer:      newSyncer(cfg, st, log),
		AfterImport: afterFeedImport,
	})
	if cfg.FeedSyncInterval > 0 {
		k.periodic = append(k.periodic, feeds.PeriodicSync(cfg.FeedSyncInterval))
	}
	return k
}

func newSyncer(cfg *config.Config, st *store.Store, log *slog.Logger) *feeds.Syncer {
	return feeds.NewSyncer(feeds.NewImporter(st, log), feeds.SyncOptions{
		BaseURL:    cfg.FeedBaseURL,
		Ecosystems: cfg.FeedEcosystems,
		MaxBytes:   cfg.FeedMaxDownloadBytes,
	})
}

// afterFeedImport is where new advisory data reaches stored inventories.
// The image scanning feature hooks its rematch in here.
func afterFeedImport(ctx context.Context, v store.FeedVersion) error {
	return nil
}
