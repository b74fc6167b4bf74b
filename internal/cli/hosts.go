package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/hosts"
	"github.com/palisadesec/palisade/internal/store"
)

func newHostsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hosts",
		Short: "Enrol Docker hosts that run palisade-agent, and list them",
	}
	cmd.AddCommand(newHostsTokenCommand(), newHostsListCommand())
	return cmd
}

// tokenCreator is who the token list and the audit log name for tokens
// made on the command line.
const tokenCreator = "palisade hosts token"

func newHostsTokenCommand() *cobra.Command {
	var ttl time.Duration
	var quiet bool
	cmd := &cobra.Command{
		Use:   "token [--expires 24h]",
		Short: "Make a one-time enrolment token for palisade-agent",
		Long: `Make a one-time enrolment token. An agent started with it enrols its host once
and gets a credential of its own; the token is then spent. Palisade stores
only a hash of the token, so it is printed once, here. Admins can also make
tokens on the console's /settings/hosts page.`,
		Example: `  palisade hosts token
  palisade hosts token --expires 1h --quiet > /run/secrets/palisade-agent-token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withFeedStore(cmd, func(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) error {
				tok, err := hosts.New(st, log).CreateToken(ctx, ttl, tokenCreator)
				if err != nil {
					return fmt.Errorf("make enrolment token: %w", err)
				}
				err = st.RecordAudit(ctx, store.AuditEntry{
					ActorKind: store.ActorSystem, ActorName: tokenCreator, Action: "host.enrolment_token_created",
					ResourceKind: "enrolment_token", ResourceID: strconv.FormatInt(tok.ID, 10),
					Details: map[string]any{"expires_at": tok.ExpiresAt},
				})
				if err != nil {
					return err
				}
				printToken(cmd.OutOrStdout(), cfg, tok, quiet)
				return nil
			})
		},
	}
	cmd.Flags().DurationVar(&ttl, "expires", hosts.DefaultTokenTTL, "how long the token stays valid, at most 720h")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the token")
	return cmd
}

func printToken(w io.Writer, cfg *config.Config, tok hosts.NewToken, quiet bool) {
	if quiet {
		fmt.Fprintln(w, tok.Secret)
		return
	}
	fmt.Fprintf(w, "Enrolment token (one host, once; expires %s):\n\n%s\n\n",
		tok.ExpiresAt.UTC().Format(time.RFC3339), tok.Secret)
	fmt.Fprintf(w, "On the Docker host, as root:\n\n  palisade-agent -server %s -token %s\n", cfg.BaseURL, tok.Secret)
}

func newHostsListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List enrolled Docker hosts with their failing controls",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withFeedStore(cmd, func(ctx context.Context, _ *config.Config, st *store.Store, _ *slog.Logger) error {
				list, err := st.Hosts(ctx)
				if err != nil {
					return err
				}
				return printHosts(cmd.OutOrStdout(), list)
			})
		},
	}
}

func printHosts(w io.Writer, list []store.Host) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "No hosts enrolled. Make a token with: palisade hosts token")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tDOCKER\tFAILING CONTROLS\tLAST SNAPSHOT\tCREDENTIAL")
	for _, h := range list {
		last, cred := "never", "active"
		if h.LastSnapshotAt != nil {
			last = h.LastSnapshotAt.UTC().Format(time.RFC3339)
		}
		if h.Revoked() {
			cred = "revoked"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", h.ID, h.Name, h.DockerVersion, h.FailingControls, last, cred)
	}
	return tw.Flush()
}
