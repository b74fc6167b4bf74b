package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/buildinfo"
	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/hosts"
	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/web"
)

func newServeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the web console, the API and (unless disabled) the background workers",
		Long: `Run the web console, the API and, unless PALISADE_RUN_WORKERS=false, the
background workers. Pending migrations are applied first unless
PALISADE_MIGRATE_ON_START=false. SIGINT or SIGTERM stops the server after
in-flight requests and jobs finish, up to PALISADE_SHUTDOWN_TIMEOUT.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, true)
		},
	}
}

func newWorkerCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run only the background workers (scale scanning out with more of these)",
		Long: `Run only the background workers, taking jobs from the shared queue in
PostgreSQL. Start as many as scanning needs, on any number of machines.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, false)
		},
	}
}

// runServe starts the pieces a long-running process needs: the database,
// migrations, workers, and with http the web server.
func runServe(cmd *cobra.Command, withHTTP bool) error {
	cfg, log, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	if err := cfg.RequireSecretKey(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	ctx := cmd.Context()
	log.Info("Palisade starting", slog.String("version", buildinfo.Version), slog.Bool("local_mode", cfg.LocalMode()))

	if cfg.MigrateOnStart {
		if err := migrateWhenReachable(ctx, cfg, log); err != nil {
			if ctx.Err() != nil {
				// Stopped while waiting for the database: not a failure.
				log.Info("Palisade stopped before the database was reachable")
				return nil
			}
			return err
		}
	}
	pool, err := store.OpenPool(ctx, cfg.DatabaseURL, cfg.DatabaseMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)

	a, err := newApp(cfg, st, log)
	if err != nil {
		return err
	}
	runner, err := a.startJobs(ctx, !withHTTP || cfg.RunWorkers)
	if err != nil {
		return err
	}
	if withHTTP {
		err = serveHTTP(ctx, a)
	} else {
		<-ctx.Done()
	}
	if runner != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		jobs.Stop(stopCtx, runner, log)
	}
	log.Info("Palisade stopped")
	return err
}

func serveHTTP(ctx context.Context, a *app) error {
	cfg, log := a.cfg, a.log
	authn, err := auth.New(auth.Options{Config: cfg, Store: a.store, Logger: log.With(slog.String("component", "auth"))})
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	e := web.NewServer(web.Deps{
		Config:     cfg,
		Logger:     log.With(slog.String("component", "web")),
		Readiness:  a.store,
		Registry:   reg,
		Version:    buildinfo.Version,
		Hooks:      a.scans,
		Store:      a.store,
		Scans:      a.scans,
		Registries: a.registries,
		Hosts:      hosts.New(a.store, log),
		Jobs:       a.queue,
		Webhooks:   a.notify,
		Auth:       authn,
	})
	return web.Serve(ctx, e, cfg.ListenAddr, cfg.ShutdownTimeout, log)
}

// migrateWhenReachable applies migrations, waiting a while for a database
// that is still starting (as in compose, where both start together).
func migrateWhenReachable(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	const attempts = 15
	var err error
	for i := range attempts {
		if err = migrateOnce(cfg, log); err == nil {
			return nil
		}
		log.Warn("Database not ready for migrations; retrying", slog.Int("attempt", i+1), slog.Any("error", err))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	return errors.Join(errors.New("apply migrations: database still unreachable after 30s"), err)
}

func migrateOnce(cfg *config.Config, log *slog.Logger) error {
	m, err := store.NewMigrator(cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Up()
}
