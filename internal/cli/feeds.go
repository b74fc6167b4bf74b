package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/feeds"
	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/store"
)

func newFeedsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "feeds",
		Short: "Import, sync and inspect vulnerability advisory feeds (OSV)",
		Long: `Import, sync and inspect the OSV advisory feeds that findings are matched
against. serve and worker also sync on a schedule (PALISADE_FEED_SYNC_INTERVAL).`,
	}
	cmd.AddCommand(newFeedsSyncCommand(), newFeedsImportCommand(), newFeedsStatusCommand())
	return cmd
}

func newFeedsSyncCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "sync [ECOSYSTEM...]",
		Short: "Download and import the configured ecosystems now (or only those named)",
		Long: `Download BASE/ECOSYSTEM/all.zip for every ecosystem in PALISADE_FEED_ECOSYSTEMS
(or only those named) from PALISADE_FEED_BASE_URL and import what changed.
A download identical to the last one imported is skipped.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withFeedStore(cmd, func(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) error {
				results, err := newSyncer(cfg, st, log).Sync(ctx, args...)
				for _, r := range results {
					printSyncResult(cmd.OutOrStdout(), r)
					if r.Err == nil && !r.Unchanged {
						if hookErr := queueRematch(ctx, st, log, r.Version); hookErr != nil {
							return hookErr
						}
					}
				}
				return err
			})
		},
	}
}

func newFeedsImportCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "import PATH...",
		Short: "Import OSV zips (full feeds) or directories of .json records (partial)",
		Long: `Import advisories from local files, for sites without internet access:
an OSV all.zip is a full feed (records of its ecosystems that it no longer
holds are retired); a directory of .json records adds and updates only.
Broken records are skipped and counted; the rest of the import completes.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withFeedStore(cmd, func(ctx context.Context, _ *config.Config, st *store.Store, log *slog.Logger) error {
				im := feeds.NewImporter(st, log)
				for _, p := range args {
					v, err := im.ImportPath(ctx, p)
					if errors.Is(err, feeds.ErrUnchanged) {
						fmt.Fprintf(cmd.OutOrStdout(), "%s: unchanged since the last import\n", p)
						continue
					}
					if err != nil {
						return err
					}
					printFeedVersion(cmd.OutOrStdout(), p, v)
					if err := queueRematch(ctx, st, log, v); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
}

func newFeedsStatusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Print, per ecosystem, the advisories stored and the feed version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withFeedStore(cmd, func(ctx context.Context, _ *config.Config, st *store.Store, _ *slog.Logger) error {
				statuses, err := st.FeedStatuses(ctx)
				if err != nil {
					return err
				}
				return printFeedStatuses(cmd.OutOrStdout(), statuses)
			})
		},
	}
}

// withFeedStore opens the database (migrating it when configured to) and
// runs fn.
func withFeedStore(cmd *cobra.Command, fn func(context.Context, *config.Config, *store.Store, *slog.Logger) error) error {
	cfg, log, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	if cfg.MigrateOnStart {
		if err := migrateOnce(cfg, log); err != nil {
			return err
		}
	}
	pool, err := store.OpenPool(ctx, cfg.DatabaseURL, cfg.DatabaseMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	if err := st.CheckSchema(ctx); err != nil {
		return fmt.Errorf("%w (run: palisade migrate up)", err)
	}
	return fn(ctx, cfg, st, log)
}

// queueRematch asks the workers to match stored images against the new
// advisory data; the running server picks the job up.
func queueRematch(ctx context.Context, st *store.Store, log *slog.Logger, v store.FeedVersion) error {
	c, err := jobs.NewInserter(st.Pool(), nil, log)
	if err != nil {
		return err
	}
	if _, err := c.Insert(ctx, scan.RematchArgs{FeedVersionID: v.ID}, nil); err != nil {
		return fmt.Errorf("queue rematch of stored images: %w", err)
	}
	return nil
}

func printSyncResult(w io.Writer, r feeds.SyncResult) {
	switch {
	case r.Err != nil:
		fmt.Fprintf(w, "%s: failed: %v\n", r.Ecosystem, r.Err)
	case r.Unchanged:
		fmt.Fprintf(w, "%s: unchanged since the last import\n", r.Ecosystem)
	default:
		printFeedVersion(w, r.Ecosystem, r.Version)
	}
}

func printFeedVersion(w io.Writer, name string, v store.FeedVersion) {
	fmt.Fprintf(w, "%s: feed version %d (%s): %d read, %d added, %d changed, %d unchanged, %d retired, %d rejected\n",
		name, v.ID, shortDigest(v.Digest), v.RecordsRead, v.Added, v.Changed, v.Unchanged, v.Retired, v.Rejected)
	for _, p := range v.Problems {
		fmt.Fprintf(w, "  %s: %s\n", p.Entry, p.Reason)
	}
}

func printFeedStatuses(w io.Writer, statuses []store.FeedStatus) error {
	if len(statuses) == 0 {
		_, err := fmt.Fprintln(w, "No advisories imported yet. Run: palisade feeds sync, or palisade feeds import FILE.zip")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ECOSYSTEM\tADVISORIES\tWITHDRAWN\tRETIRED\tFEED VERSION\tIMPORTED\tDIGEST\tSOURCE")
	for _, s := range statuses {
		version, at, digest, source := "-", "-", "-", "-"
		if v := s.LastVersion; v != nil {
			version = fmt.Sprint(v.ID)
			at = v.ImportedAt.UTC().Format("2006-01-02 15:04:05Z")
			digest = shortDigest(v.Digest)
			source = describeSource(v.Source)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Feed, s.Advisories, s.Withdrawn, s.Retired, version, at, digest, source)
	}
	return tw.Flush()
}

// describeSource says where a feed version came from, and for the
// shipped snapshot how old its data is.
func describeSource(source string) string {
	if rest, ok := strings.CutPrefix(source, "snapshot:"); ok {
		if _, date, ok := strings.Cut(rest, "@"); ok {
			return "shipped snapshot taken " + date + " (old: sync or import a current feed)"
		}
	}
	return source
}

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		return "sha256:" + d[:12]
	}
	return d
}
