package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/palisadesec/palisade/internal/buildinfo"
	"github.com/palisadesec/palisade/internal/config"
)

// Run executes the palisade command line with args (without the program
// name) and returns the error that should make the process exit non-zero.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "palisade",
		Short: "Palisade: a self-hosted security console for containers",
		Long: `Palisade scans registry images for vulnerabilities, measures Docker hosts and
Kubernetes clusters against security benchmarks, and shows what to fix.

Settings come from PALISADE_* environment variables; see the README.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newServeCommand(),
		newWorkerCommand(),
		newMigrateCommand(),
		newFeedsCommand(),
		newRegistryCommand(),
		newHostsCommand(),
		newScanCommand(),
		newTokensCommand(),
		newVersionCommand(),
	)
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "palisade %s\n", buildinfo.Version)
			return err
		},
	}
}

// loadConfig reads the environment and builds the logger it asks for.
func loadConfig(cmd *cobra.Command) (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, newLogger(cfg, cmd.ErrOrStderr()), nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
