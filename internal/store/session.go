package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Session is a signed-in browser. The cookie holds a random token; the row
// holds only its SHA-256, so a database dump cannot be used to sign in.
type Session struct {
	ID         int64
	TokenHash  []byte
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute timeout, fixed at sign-in.
	ExpiresAt time.Time
	// RefreshToken and IDToken are sealed by internal/secrets; nil when
	// the provider gave none.
	RefreshToken         []byte
	IDToken              []byte
	AccessTokenExpiresAt *time.Time
	SourceIP             string
	UserAgent            string
}

const sessionColumns = `s.id, s.token_hash, s.user_id, s.created_at, s.last_seen_at, s.expires_at,
	s.refresh_token, s.id_token, s.access_token_expires_at, coalesce(host(s.source_ip), ''), s.user_agent`

func sessionFields(s *Session) []any {
	return []any{&s.ID, &s.TokenHash, &s.UserID, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt,
		&s.RefreshToken, &s.IDToken, &s.AccessTokenExpiresAt, &s.SourceIP, &s.UserAgent}
}

func scanSession(row pgx.Row) (Session, error) {
	var s Session
	err := row.Scan(sessionFields(&s)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, ErrNotFound
	}
	return s, err
}

// CreateSession stores a new session and returns it with its id.
func (s *Store) CreateSession(ctx context.Context, sess Session) (Session, error) {
	row := s.pool.QueryRow(ctx, `
		INSERT INTO sessions AS s (token_hash, user_id, expires_at, refresh_token, id_token,
			access_token_expires_at, source_ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, '')::inet, $8)
		RETURNING `+sessionColumns,
		sess.TokenHash, sess.UserID, sess.ExpiresAt, sess.RefreshToken, sess.IDToken,
		sess.AccessTokenExpiresAt, sess.SourceIP, sess.UserAgent)
	created, err := scanSession(row)
	if err != nil {
		return created, fmt.Errorf("create session: %w", err)
	}
	return created, nil
}

// SessionByTokenHash returns the session with that token hash and its
// user. Expiry is the caller's to judge: the timeouts live in config.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (Session, User, error) {
	var sess Session
	var u User
	fields := append(sessionFields(&sess), &u.ID, &u.Issuer, &u.Subject, &u.Email, &u.Name, &u.Role,
		&u.Groups, &u.Claims, &u.CreatedAt, &u.UpdatedAt, &u.LastLoginAt)
	err := s.pool.QueryRow(ctx, `
		SELECT `+sessionColumns+`, u.id, u.issuer, u.subject, u.email, u.name, u.role,
			u.groups, u.claims, u.created_at, u.updated_at, u.last_login_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1`, hash).Scan(fields...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sess, u, ErrNotFound
	}
	return sess, u, err
}

// LockSessionTx reads a session and locks its row until tx ends, so two
// requests do not both spend a refresh token that the provider rotates.
func (s *Store) LockSessionTx(ctx context.Context, tx pgx.Tx, id int64) (Session, error) {
	return scanSession(tx.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.id = $1 FOR UPDATE`, id))
}

// UpdateSessionTokensTx saves the tokens a refresh brought.
func (s *Store) UpdateSessionTokensTx(ctx context.Context, tx pgx.Tx, id int64, refreshToken, idToken []byte, accessExpiry *time.Time) error {
	_, err := tx.Exec(ctx, `
		UPDATE sessions SET refresh_token = $2, id_token = $3, access_token_expires_at = $4
		WHERE id = $1`, id, refreshToken, idToken, accessExpiry)
	return err
}

// TouchSession moves last_seen_at to now unless it moved within the last
// every, so that busy sessions do not write on each request.
func (s *Store) TouchSession(ctx context.Context, id int64, every time.Duration) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE sessions SET last_seen_at = now()
		WHERE id = $1 AND last_seen_at < now() - make_interval(secs => $2)`, id, every.Seconds())
	return err
}

// DeleteSession revokes one session. A session already gone is not an
// error: signing out twice ends in the same state.
func (s *Store) DeleteSession(ctx context.Context, id int64) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteSessionTx revokes one session inside tx.
func (s *Store) DeleteSessionTx(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return err
}

// DeleteUserSessions revokes every session of one user and returns how
// many there were.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return tag.RowsAffected(), nil
}

// DeleteExpiredSessions removes sessions past their absolute timeout or
// idle for longer than idle, and returns how many went.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idle time.Duration) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		DELETE FROM sessions
		WHERE expires_at <= now() OR last_seen_at < now() - make_interval(secs => $1)`, idle.Seconds())
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
