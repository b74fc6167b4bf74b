package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnrolmentToken is a one-time token that lets one Docker host enrol. Only
// the hash of the token is stored.
type EnrolmentToken struct {
	ID        int64
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt and HostID are set once a host enrolled with the token.
	UsedAt *time.Time
	HostID *int64
}

const enrolmentTokenColumns = `id, created_by, created_at, expires_at, used_at, host_id`

func scanEnrolmentToken(row pgx.CollectableRow) (EnrolmentToken, error) {
	var t EnrolmentToken
	err := row.Scan(&t.ID, &t.CreatedBy, &t.CreatedAt, &t.ExpiresAt, &t.UsedAt, &t.HostID)
	return t, err
}

// CreateEnrolmentToken stores the hash of a new token valid until expiresAt.
func (s *Store) CreateEnrolmentToken(ctx context.Context, hash []byte, createdBy string, expiresAt time.Time) (EnrolmentToken, error) {
	rows, err := s.pool.Query(ctx, `
		INSERT INTO host_enrolment_tokens (token_hash, created_by, expires_at)
		VALUES ($1, $2, $3)
		RETURNING `+enrolmentTokenColumns, hash, createdBy, expiresAt)
	if err != nil {
		return EnrolmentToken{}, fmt.Errorf("create enrolment token: %w", err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanEnrolmentToken)
	if err != nil {
		return EnrolmentToken{}, fmt.Errorf("create enrolment token: %w", err)
	}
	return t, nil
}

// PendingEnrolmentTokens lists the tokens neither used nor expired, newest
// first.
func (s *Store) PendingEnrolmentTokens(ctx context.Context) ([]EnrolmentToken, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+enrolmentTokenColumns+` FROM host_enrolment_tokens
		WHERE used_at IS NULL AND expires_at > now()
		ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list enrolment tokens: %w", err)
	}
	return pgx.CollectRows(rows, scanEnrolmentToken)
}

// DeleteEnrolmentToken withdraws a token that was not used yet. A used or
// unknown token gives ErrNotFound.
func (s *Store) DeleteEnrolmentToken(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM host_enrolment_tokens WHERE id = $1 AND used_at IS NULL`, id)
	if err != nil {
		return fmt.Errorf("delete enrolment token %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// EnrolHost spends the token whose hash is tokenHash and creates a host
// named name holding credentialHash, in one transaction. A token that is
// unknown, expired or already used gives ErrNotFound; of two enrolments
// racing with one token, exactly one succeeds.
func (s *Store) EnrolHost(ctx context.Context, tokenHash []byte, name string, credentialHash []byte) (Host, error) {
	var h Host
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var tokenID int64
		err := tx.QueryRow(ctx, `
			UPDATE host_enrolment_tokens SET used_at = now()
			WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
			RETURNING id`, tokenHash).Scan(&tokenID)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("spend enrolment token: %w", err)
		}
		rows, err := tx.Query(ctx, `
			INSERT INTO hosts (name, credential_hash) VALUES ($1, $2)
			RETURNING `+hostColumns, name, credentialHash)
		if err != nil {
			return fmt.Errorf("create host: %w", err)
		}
		if h, err = pgx.CollectExactlyOneRow(rows, scanHost); err != nil {
			return fmt.Errorf("create host: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE host_enrolment_tokens SET host_id = $2 WHERE id = $1`, tokenID, h.ID)
		return err
	})
	return h, err
}

// HostIDByCredential finds the host holding the credential whose hash is
// given; a revoked or unknown credential gives ErrNotFound.
func (s *Store) HostIDByCredential(ctx context.Context, hash []byte) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM hosts WHERE credential_hash = $1`, hash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("look up host credential: %w", err)
	}
	return id, nil
}

// RevokeHostCredential forgets a host's credential, so its agent is
// refused until it enrols again with a new token. The host and its
// results stay. Revoking twice gives ErrNotFound the second time.
func (s *Store) RevokeHostCredential(ctx context.Context, hostID int64) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE hosts SET credential_hash = NULL, credential_revoked_at = now()
		WHERE id = $1 AND credential_hash IS NOT NULL`, hostID)
	if err != nil {
		return fmt.Errorf("revoke credential of host %d: %w", hostID, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}
