package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is a person who signed in through the OpenID provider, known by the
// provider's issuer and subject.
type User struct {
	ID      int64
	Issuer  string
	Subject string
	Email   string
	Name    string
	// Role is viewer, operator or admin, mapped at the last sign-in or
	// token refresh.
	Role string
	// Groups are the role claim's values as they arrived.
	Groups []string
	// Claims are every ID token claim of the last sign-in or refresh, as JSON.
	Claims      json.RawMessage
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastLoginAt *time.Time
}

const userColumns = `id, issuer, subject, email, name, role, groups, claims, created_at, updated_at, last_login_at`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Issuer, &u.Subject, &u.Email, &u.Name, &u.Role, &u.Groups, &u.Claims,
		&u.CreatedAt, &u.UpdatedAt, &u.LastLoginAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, ErrNotFound
	}
	return u, err
}

// UpsertUserSignIn records a sign-in: it creates the user on first sight,
// otherwise refreshes their email, name, role, groups and claims, and sets
// last_login_at.
func (s *Store) UpsertUserSignIn(ctx context.Context, u User) (User, error) {
	row := s.pool.QueryRow(ctx, `
		INSERT INTO users (issuer, subject, email, name, role, groups, claims, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, now())
		ON CONFLICT (issuer, subject) DO UPDATE SET
			email = EXCLUDED.email, name = EXCLUDED.name, role = EXCLUDED.role,
			groups = EXCLUDED.groups, claims = EXCLUDED.claims,
			updated_at = now(), last_login_at = now()
		RETURNING `+userColumns,
		u.Issuer, u.Subject, u.Email, u.Name, u.Role, nonNil(u.Groups), jsonOrEmpty(u.Claims))
	saved, err := scanUser(row)
	if err != nil {
		return saved, fmt.Errorf("save user %s: %w", u.Subject, err)
	}
	return saved, nil
}

// UpdateUserClaimsTx saves what a token refresh brought: email, name,
// role, groups and claims. last_login_at stays, as nobody signed in.
func (s *Store) UpdateUserClaimsTx(ctx context.Context, tx pgx.Tx, u User) (User, error) {
	row := tx.QueryRow(ctx, `
		UPDATE users SET email = $2, name = $3, role = $4, groups = $5, claims = $6, updated_at = now()
		WHERE id = $1
		RETURNING `+userColumns,
		u.ID, u.Email, u.Name, u.Role, nonNil(u.Groups), jsonOrEmpty(u.Claims))
	return scanUser(row)
}

// UserByID returns one user.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// Users lists every user, most recently signed in first.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY last_login_at DESC NULLS LAST, id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) { return scanUser(row) })
}

func jsonOrEmpty(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage(`{}`)
	}
	return b
}
