package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// APIToken is a credential for the REST API. The token itself is shown
// once when made; the row holds only its SHA-256.
type APIToken struct {
	ID   int64
	Name string
	// Prefix is the start of the token, for telling tokens apart.
	Prefix          string
	TokenHash       []byte
	Role            string
	CreatedByUserID *int64
	CreatedByName   string
	CreatedAt       time.Time
	// ExpiresAt is nil for a token that never expires.
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

const apiTokenColumns = `id, name, prefix, token_hash, role, created_by_user_id, created_by_name,
	created_at, expires_at, last_used_at, revoked_at`

func apiTokenFields(t *APIToken) []any {
	return []any{&t.ID, &t.Name, &t.Prefix, &t.TokenHash, &t.Role, &t.CreatedByUserID, &t.CreatedByName,
		&t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt}
}

func scanAPIToken(row pgx.Row) (APIToken, error) {
	var t APIToken
	err := row.Scan(apiTokenFields(&t)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrNotFound
	}
	return t, err
}

// CreateAPIToken stores a new token and returns it with its id.
func (s *Store) CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error) {
	created, err := scanAPIToken(s.pool.QueryRow(ctx, `
		INSERT INTO api_tokens (name, prefix, token_hash, role, created_by_user_id, created_by_name, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING `+apiTokenColumns,
		t.Name, t.Prefix, t.TokenHash, t.Role, t.CreatedByUserID, t.CreatedByName, t.ExpiresAt))
	if err != nil {
		return created, fmt.Errorf("create api token: %w", err)
	}
	return created, nil
}

// APITokenByHash returns the token with that hash, revoked and expired
// ones included: judging them is the caller's.
func (s *Store) APITokenByHash(ctx context.Context, hash []byte) (APIToken, error) {
	return scanAPIToken(s.pool.QueryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE token_hash = $1`, hash))
}

// APITokenByID returns one token.
func (s *Store) APITokenByID(ctx context.Context, id int64) (APIToken, error) {
	return scanAPIToken(s.pool.QueryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE id = $1`, id))
}

// APITokens lists every token, newest first.
func (s *Store) APITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (APIToken, error) { return scanAPIToken(row) })
}

// RevokeAPIToken marks a token revoked and returns it. Revoking a revoked
// token keeps the first revocation time.
func (s *Store) RevokeAPIToken(ctx context.Context, id int64) (APIToken, error) {
	return scanAPIToken(s.pool.QueryRow(ctx, `
		UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
		RETURNING `+apiTokenColumns, id))
}

// TouchAPIToken records a use of the token, unless one was recorded less
// than every ago: a busy pipeline writes at most once per interval.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, every time.Duration) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE api_tokens SET last_used_at = now()
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= now() - make_interval(secs => $2))`, id, every.Seconds())
	if err != nil {
		return fmt.Errorf("touch api token %d: %w", id, err)
	}
	return nil
}
