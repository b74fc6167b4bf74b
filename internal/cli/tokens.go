package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/store"
)

// cliActor is how the audit log names changes made with this command.
const cliActor = "palisade tokens (command line)"

func newTokensCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Make, list and revoke API tokens",
		Long: `Make, list and revoke tokens for the REST API (/api/v1). A token carries a
role (viewer, operator or admin) and optionally an expiry; only its hash is
stored, so it is printed once, when made.`,
	}
	cmd.AddCommand(newTokensCreateCommand(), newTokensListCommand(), newTokensRevokeCommand())
	return cmd
}

func newTokensCreateCommand() *cobra.Command {
	var name, role string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:     "create --name NAME --role ROLE [--expires 720h]",
		Short:   "Make a token and print it (once)",
		Example: `  palisade tokens create --name ci --role operator --expires 720h`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := auth.ParseRole(role)
			if err != nil {
				return fmt.Errorf("--role: %w", err)
			}
			spec := auth.APITokenSpec{Name: name, Role: r, CreatedBy: cliActor}
			if expires < 0 {
				return fmt.Errorf("--expires: must be positive, got %s", expires)
			}
			if expires > 0 {
				at := time.Now().Add(expires)
				spec.ExpiresAt = &at
			}
			return withFeedStore(cmd, func(ctx context.Context, _ *config.Config, st *store.Store, _ *slog.Logger) error {
				t, token, err := auth.IssueAPIToken(ctx, st, spec)
				if err != nil {
					return err
				}
				if err := auditToken(ctx, st, "api_token.create", t); err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "Token %d %q (%s), expires %s. Copy it now; it is not shown again:\n\n%s\n",
					t.ID, t.Name, t.Role, timeOr(t.ExpiresAt, "never"), token)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "what the token is for, such as ci-pipeline (required)")
	cmd.Flags().StringVar(&role, "role", "viewer", "viewer, operator or admin")
	cmd.Flags().DurationVar(&expires, "expires", 0, "lifetime, such as 720h (default: never expires)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newTokensListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List tokens with their role, state, expiry and last use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withFeedStore(cmd, func(ctx context.Context, _ *config.Config, st *store.Store, _ *slog.Logger) error {
				list, err := st.APITokens(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tTOKEN\tROLE\tSTATE\tEXPIRES\tLAST USED\tMADE BY")
				now := time.Now()
				for _, t := range list {
					fmt.Fprintf(tw, "%d\t%s\t%s…\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Prefix, t.Role,
						auth.APITokenState(t, now), timeOr(t.ExpiresAt, "never"), timeOr(t.LastUsedAt, "never"), t.CreatedByName)
				}
				return tw.Flush()
			})
		},
	}
}

func newTokensRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token: requests with it are refused from now on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("token id: want a positive number, got %q", args[0])
			}
			return withFeedStore(cmd, func(ctx context.Context, _ *config.Config, st *store.Store, _ *slog.Logger) error {
				t, err := st.RevokeAPIToken(ctx, id)
				if err != nil {
					return fmt.Errorf("revoke token %d: %w", id, err)
				}
				if err := auditToken(ctx, st, "api_token.revoke", t); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Token %d %q revoked.\n", t.ID, t.Name)
				return nil
			})
		},
	}
}

func auditToken(ctx context.Context, st *store.Store, action string, t store.APIToken) error {
	return st.RecordAudit(ctx, store.AuditEntry{ActorKind: store.ActorSystem, ActorName: cliActor, Action: action,
		ResourceKind: "api_token", ResourceID: strconv.FormatInt(t.ID, 10),
		Details: map[string]any{"name": t.Name, "role": t.Role, "expires_at": t.ExpiresAt}})
}

func timeOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}
