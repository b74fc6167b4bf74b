package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/palisadesec/palisade/internal/store"
)

func newMigrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, revert or inspect database migrations",
		Long: `Apply, revert or inspect the database migrations embedded in this binary.
serve and worker apply pending migrations on start unless
PALISADE_MIGRATE_ON_START=false.`,
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "up",
			Short: "Apply every pending migration",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withMigrator(cmd, func(m *store.Migrator) error { return m.Up() })
			},
		},
		&cobra.Command{
			Use:   "down N",
			Short: "Revert the last N migrations",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				n, err := strconv.Atoi(args[0])
				if err != nil || n < 1 {
					return fmt.Errorf("migrate down: N must be a whole number of at least 1, got %q", args[0])
				}
				return withMigrator(cmd, func(m *store.Migrator) error { return m.Down(n) })
			},
		},
		&cobra.Command{
			Use:   "force V",
			Short: "Mark version V as applied and clean, after repairing a failed migration by hand",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				v, err := strconv.Atoi(args[0])
				if err != nil || v < -1 {
					return fmt.Errorf("migrate force: V must be a version number, got %q", args[0])
				}
				return withMigrator(cmd, func(m *store.Migrator) error { return m.Force(v) })
			},
		},
		&cobra.Command{
			Use:   "version",
			Short: "Print the applied schema version and the binary's latest",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withMigrator(cmd, func(m *store.Migrator) error { return printVersion(cmd, m) })
			},
		},
	)
	return cmd
}

func withMigrator(cmd *cobra.Command, fn func(*store.Migrator) error) error {
	cfg, log, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	m, err := store.NewMigrator(cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer m.Close()
	return fn(m)
}

func printVersion(cmd *cobra.Command, m *store.Migrator) error {
	latest, err := store.LatestMigration()
	if err != nil {
		return err
	}
	version, dirty, applied, err := m.Version()
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if !applied {
		_, err = fmt.Fprintf(out, "applied: none\nlatest:  %d\n", latest)
		return err
	}
	_, err = fmt.Fprintf(out, "applied: %d (dirty: %t)\nlatest:  %d\n", version, dirty, latest)
	return err
}
