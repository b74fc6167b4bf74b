package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/exempt"
	"github.com/palisadesec/palisade/internal/feeds"
	"github.com/palisadesec/palisade/internal/inventory"
	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/notify"
	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/secrets"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/internal/trend"
)

// app holds the services a long-running process (serve or worker) wires
// together, and every job kind and schedule it runs.
type app struct {
	cfg        *config.Config
	store      *store.Store
	log        *slog.Logger
	registries *registries.Manager
	scans      *scan.Service
	notify     *notify.Service
	// queue inserts jobs (and in a worker process runs them); set by
	// startJobs.
	queue    *jobs.Client
	workers  *river.Workers
	periodic []*river.PeriodicJob
}

func newApp(cfg *config.Config, st *store.Store, log *slog.Logger) (*app, error) {
	mgr, err := newRegistryManager(cfg, st)
	if err != nil {
		return nil, err
	}
	scratch := filepath.Join(os.TempDir(), "palisade-scratch")
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return nil, fmt.Errorf("create scan scratch directory: %w", err)
	}
	a := &app{cfg: cfg, store: st, log: log, registries: mgr}
	if a.notify, err = newNotifier(cfg, st, log); err != nil {
		return nil, err
	}
	a.scans = scan.NewService(scan.Options{
		Store: st, Registries: mgr, Images: scan.RegistrySource{},
		Inventorier: scan.ImageInventorier{Options: inventory.Options{
			ScratchDir: scratch, Cache: scan.NewLayerCache(st), Logger: log,
			Limits: inventory.Limits{MaxLayerBytes: cfg.ScanMaxImageBytes},
		}},
		Matcher: scan.NewMatcher(st), Logger: log, UnhealthyLevels: cfg.UnhealthySeverities,
		Notifier: a.notify,
	})

	a.workers = river.NewWorkers()
	river.AddWorker(a.workers, &feeds.SyncWorker{Syncer: newSyncer(cfg, st, log), AfterImport: a.scans.EnqueueRematch})
	river.AddWorker(a.workers, &feeds.SnapshotWorker{Importer: feeds.NewImporter(st, log), AfterImport: a.scans.EnqueueRematch})
	river.AddWorker(a.workers, &scan.Worker{Service: a.scans})
	river.AddWorker(a.workers, &scan.RematchWorker{Service: a.scans})
	river.AddWorker(a.workers, &scan.PollWorker{Service: a.scans})
	river.AddWorker(a.workers, &notify.DeliverWorker{Service: a.notify})
	a.periodic = append(a.periodic, scan.PeriodicPoll())
	river.AddWorker(a.workers, &exempt.LapseWorker{Service: exempt.NewService(st, cfg.UnhealthySeverities, log)})
	a.periodic = append(a.periodic, exempt.PeriodicLapse())
	river.AddWorker(a.workers, &trend.Worker{Store: st})
	a.periodic = append(a.periodic, trend.Periodic())
	if cfg.FeedSyncInterval > 0 {
		a.periodic = append(a.periodic, feeds.PeriodicSync(cfg.FeedSyncInterval))
	}
	return a, nil
}

// startJobs starts the job runner, or in a serve process without workers
// an insert-only client, and hands it to the services that queue jobs.
// It returns the runner to stop on shutdown (nil for an inserter).
func (a *app) startJobs(ctx context.Context, runWorkers bool) (*jobs.Client, error) {
	if !runWorkers {
		inserter, err := jobs.NewInserter(a.store.Pool(), a.workers, a.log)
		if err != nil {
			return nil, err
		}
		a.scans.UseQueue(inserter)
		a.notify.UseQueue(inserter)
		a.queue = inserter
		a.log.Info("Background workers disabled in this process")
		return nil, nil
	}
	runner, err := jobs.NewRunner(a.store.Pool(), jobs.Options{
		Workers: a.workers, MaxWorkers: a.cfg.WorkerCount, Periodic: a.periodic, Logger: a.log,
	})
	if err != nil {
		return nil, err
	}
	a.scans.UseQueue(runner)
	a.notify.UseQueue(runner)
	a.queue = runner
	if err := runner.Start(ctx); err != nil {
		return nil, fmt.Errorf("start background workers: %w", err)
	}
	a.log.Info("Background workers started", slog.Int("max_workers", a.cfg.WorkerCount))
	if a.cfg.FeedSyncInterval == 0 {
		// Without scheduled syncs, make sure matching has some data: the
		// shipped snapshot fills ecosystems with none stored.
		if _, err := runner.Insert(ctx, feeds.SnapshotArgs{Ecosystems: a.cfg.FeedEcosystems}, nil); err != nil {
			return runner, fmt.Errorf("queue snapshot import: %w", err)
		}
	}
	return runner, nil
}

func newSyncer(cfg *config.Config, st *store.Store, log *slog.Logger) *feeds.Syncer {
	return feeds.NewSyncer(feeds.NewImporter(st, log), feeds.SyncOptions{
		BaseURL:    cfg.FeedBaseURL,
		Ecosystems: cfg.FeedEcosystems,
		MaxBytes:   cfg.FeedMaxDownloadBytes,
	})
}

// newNotifier builds the webhook service; it seals webhook secrets with
// PALISADE_SECRET_KEY like registry credentials.
func newNotifier(cfg *config.Config, st *store.Store, log *slog.Logger) (*notify.Service, error) {
	box, err := secrets.New(cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("PALISADE_SECRET_KEY: %w", err)
	}
	return notify.New(notify.Options{
		Store: st, Box: box, Logger: log, BaseURL: cfg.BaseURL.String(),
		Policy: notify.Policy{AllowPrivate: cfg.WebhookAllowPrivate},
	}), nil
}
