package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/secrets"
	"github.com/palisadesec/palisade/internal/store"
)

func newRegistryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Connect, list and remove container registries",
	}
	cmd.AddCommand(newRegistryAddCommand(), newRegistryListCommand(), newRegistryShowCommand(), newRegistryRemoveCommand())
	return cmd
}

type registryFlags struct {
	name, url, caFile, username, passwordFile, tokenFile, dockerConfig string
	insecure, noScanOnPush                                             bool
	include, exclude                                                   []string
	poll                                                               time.Duration
}

func newRegistryAddCommand() *cobra.Command {
	var f registryFlags
	cmd := &cobra.Command{
		Use:   "add --name NAME --url URL [flags]",
		Short: "Connect a registry and print the webhook URL and secret to paste into it",
		Long: `Connect a registry. Credentials are read from files (or - for standard input),
never from the command line, and stored encrypted with PALISADE_SECRET_KEY.
The command prints the webhook URL and secret for the registry's push
notifications; registries that cannot call out can be polled instead
(--poll-interval).`,
		Example: `  palisade registry add --name local --url http://127.0.0.1:5000 --insecure-http
  palisade registry add --name corp --url https://registry.corp.example \
      --username palisade --password-file /run/secrets/registry-password`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withRegistries(cmd, func(ctx context.Context, m *registries.Manager) error {
				s, err := f.settings(cmd.InOrStdin())
				if err != nil {
					return err
				}
				conn, secret, err := m.Add(ctx, s)
				if err != nil {
					return err
				}
				printWebhook(cmd.OutOrStdout(), m, conn.Registry, secret)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "short name, such as prod or local (required)")
	fl.StringVar(&f.url, "url", "", "registry root URL, such as https://registry.example.com (required)")
	fl.BoolVar(&f.insecure, "insecure-http", false, "allow plain HTTP (local registries only)")
	fl.StringVar(&f.caFile, "ca-file", "", "PEM bundle of CAs that sign the registry's certificate")
	fl.StringVar(&f.username, "username", "", "user for basic auth (with --password-file)")
	fl.StringVar(&f.passwordFile, "password-file", "", "file holding the basic auth password, or - for stdin")
	fl.StringVar(&f.tokenFile, "token-file", "", "file holding a bearer token, or - for stdin")
	fl.StringVar(&f.dockerConfig, "docker-config", "", "a Docker config.json whose auths entry for this registry is used")
	fl.StringSliceVar(&f.include, "include", nil, "repositories to scan, as glob patterns (default: all)")
	fl.StringSliceVar(&f.exclude, "exclude", nil, "repositories never to scan, as glob patterns")
	fl.BoolVar(&f.noScanOnPush, "no-scan-on-push", false, "record pushes but do not scan them")
	fl.DurationVar(&f.poll, "poll-interval", 0, "poll the catalog this often (for registries without webhooks), e.g. 15m")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("url")
	return cmd
}

// settings turns flags into registry settings, reading secrets from files.
func (f *registryFlags) settings(stdin io.Reader) (registries.Settings, error) {
	s := registries.Settings{
		Name: f.name, URL: f.url, InsecureHTTP: f.insecure, AuthKind: registries.AuthNone,
		IncludePatterns: f.include, ExcludePatterns: f.exclude, ScanOnPush: !f.noScanOnPush,
		PollInterval: f.poll,
	}
	var err error
	if f.caFile != "" {
		if s.CABundle, err = readSecretFile(f.caFile, stdin); err != nil {
			return s, err
		}
	}
	chosen := 0
	if f.passwordFile != "" {
		chosen++
		s.AuthKind, s.Credentials.Username = registries.AuthBasic, f.username
		s.Credentials.Password, err = readSecretFile(f.passwordFile, stdin)
	}
	if f.tokenFile != "" {
		chosen++
		s.AuthKind = registries.AuthBearer
		s.Credentials.Token, err = readSecretFile(f.tokenFile, stdin)
	}
	if f.dockerConfig != "" {
		chosen++
		s.AuthKind = registries.AuthDockerConfig
		s.Credentials.DockerConfigJSON, err = readSecretFile(f.dockerConfig, stdin)
	}
	if chosen > 1 {
		return s, errors.New("choose one of --password-file, --token-file and --docker-config")
	}
	if f.username != "" && f.passwordFile == "" {
		return s, errors.New("--username needs --password-file")
	}
	return s, err
}

// readSecretFile reads a small file (or stdin for "-"), trimming the
// trailing newline editors add.
func readSecretFile(path string, stdin io.Reader) (string, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > 1<<20 {
		return "", fmt.Errorf("read %s: larger than 1 MiB", path)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func printWebhook(w io.Writer, m *registries.Manager, r store.Registry, secret string) {
	setup := registries.WebhookSetup{URL: m.WebhookURL(r), Secret: secret}
	fmt.Fprintf(w, "Registry %q (id %d), %s.\n\n", r.Name, r.ID, r.URL)
	fmt.Fprintf(w, "Webhook URL:    %s\nWebhook secret: %s\n\n", setup.URL, setup.Secret)
	fmt.Fprintf(w, "%s\n\n%s\n", registries.DistributionIntro, setup.DistributionConfig())
	fmt.Fprintln(w, registries.HarborInstructions)
}

func newRegistryListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List connected registries with their webhook URLs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withRegistries(cmd, func(ctx context.Context, m *registries.Manager) error {
				return printRegistries(ctx, cmd.OutOrStdout(), m)
			})
		},
	}
}

func printRegistries(ctx context.Context, w io.Writer, m *registries.Manager) error {
	list, err := m.List(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "No registries connected. Add one with: palisade registry add --name NAME --url URL")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tURL\tAUTH\tSCAN ON PUSH\tPOLL\tWEBHOOK URL")
	for _, r := range list {
		poll := "off"
		if r.PollInterval != nil {
			poll = r.PollInterval.String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%t\t%s\t%s\n", r.ID, r.Name, r.URL, r.AuthKind, r.ScanOnPush, poll, m.WebhookURL(r))
	}
	return tw.Flush()
}

func newRegistryShowCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Print a registry's webhook URL and secret again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "env" {
				return fmt.Errorf("--format %q: use text or env", format)
			}
			return withRegistries(cmd, func(ctx context.Context, m *registries.Manager) error {
				r, err := m.ByName(ctx, args[0])
				if err != nil {
					return fmt.Errorf("registry %q: %w", args[0], err)
				}
				secret, err := m.WebhookSecret(r)
				if err != nil {
					return err
				}
				if format == "env" {
					// For scripts: eval "$(palisade registry show local --format env)".
					fmt.Fprintf(cmd.OutOrStdout(), "PALISADE_WEBHOOK_URL=%s\nPALISADE_WEBHOOK_SECRET=%s\n", m.WebhookURL(r), secret)
					return nil
				}
				printWebhook(cmd.OutOrStdout(), m, r, secret)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, or env for NAME=VALUE lines")
	return cmd
}

func newRegistryRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Disconnect a registry and delete its images and findings",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRegistries(cmd, func(ctx context.Context, m *registries.Manager) error {
				if err := m.Remove(ctx, args[0]); err != nil {
					return fmt.Errorf("remove registry %q: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Registry %q removed.\n", args[0])
				return nil
			})
		},
	}
}

func withRegistries(cmd *cobra.Command, fn func(context.Context, *registries.Manager) error) error {
	return withFeedStore(cmd, func(ctx context.Context, cfg *config.Config, st *store.Store, _ *slog.Logger) error {
		m, err := newRegistryManager(cfg, st)
		if err != nil {
			return err
		}
		return fn(ctx, m)
	})
}

func newRegistryManager(cfg *config.Config, st *store.Store) (*registries.Manager, error) {
	if err := cfg.RequireSecretKey(); err != nil {
		return nil, err
	}
	box, err := secrets.New(cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("PALISADE_SECRET_KEY: %w", err)
	}
	return registries.NewManager(st, box, cfg.BaseURL.String()), nil
}
