package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrConflict is returned when a unique name is already taken.
var ErrConflict = errors.New("already exists")

// Registry is a connected container registry. Credentials and
// WebhookSecret are sealed; internal/registries opens them.
type Registry struct {
	ID              int64
	Name            string
	URL             string
	InsecureHTTP    bool
	CABundle        string
	AuthKind        string
	Credentials     []byte
	IncludePatterns []string
	ExcludePatterns []string
	ScanOnPush      bool
	PollInterval    *time.Duration
	LastPolledAt    *time.Time
	WebhookToken    string
	WebhookSecret   []byte
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

const registryColumns = `id, name, url, insecure_http, ca_bundle, auth_kind, credentials, include_patterns,
	exclude_patterns, scan_on_push, poll_interval, last_polled_at, webhook_token, webhook_secret,
	created_at, updated_at`

func scanRegistry(row pgx.Row) (Registry, error) {
	var r Registry
	err := row.Scan(&r.ID, &r.Name, &r.URL, &r.InsecureHTTP, &r.CABundle, &r.AuthKind, &r.Credentials,
		&r.IncludePatterns, &r.ExcludePatterns, &r.ScanOnPush, &r.PollInterval, &r.LastPolledAt,
		&r.WebhookToken, &r.WebhookSecret, &r.CreatedAt, &r.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// CreateRegistry stores a new registry and returns it with its id. The
// caller seals credentials first, with a context that does not depend on
// the id it does not know yet.
func (s *Store) CreateRegistry(ctx context.Context, r Registry) (Registry, error) {
	row := s.pool.QueryRow(ctx, `
		INSERT INTO registries (name, url, insecure_http, ca_bundle, auth_kind, credentials,
			include_patterns, exclude_patterns, scan_on_push, poll_interval, webhook_token, webhook_secret)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING `+registryColumns,
		r.Name, r.URL, r.InsecureHTTP, r.CABundle, r.AuthKind, r.Credentials, nonNil(r.IncludePatterns),
		nonNil(r.ExcludePatterns), r.ScanOnPush, r.PollInterval, r.WebhookToken, r.WebhookSecret)
	created, err := scanRegistry(row)
	if isUniqueViolation(err) {
		return created, fmt.Errorf("registry %q: %w", r.Name, ErrConflict)
	}
	return created, err
}

// UpdateRegistry saves every editable field of r.
func (s *Store) UpdateRegistry(ctx context.Context, r Registry) (Registry, error) {
	row := s.pool.QueryRow(ctx, `
		UPDATE registries SET name = $2, url = $3, insecure_http = $4, ca_bundle = $5, auth_kind = $6,
			credentials = $7, include_patterns = $8, exclude_patterns = $9, scan_on_push = $10,
			poll_interval = $11, updated_at = now()
		WHERE id = $1
		RETURNING `+registryColumns,
		r.ID, r.Name, r.URL, r.InsecureHTTP, r.CABundle, r.AuthKind, r.Credentials, nonNil(r.IncludePatterns),
		nonNil(r.ExcludePatterns), r.ScanOnPush, r.PollInterval)
	updated, err := scanRegistry(row)
	if isUniqueViolation(err) {
		return updated, fmt.Errorf("registry %q: %w", r.Name, ErrConflict)
	}
	return updated, err
}

// RegistryByID returns one registry.
func (s *Store) RegistryByID(ctx context.Context, id int64) (Registry, error) {
	return scanRegistry(s.pool.QueryRow(ctx, `SELECT `+registryColumns+` FROM registries WHERE id = $1`, id))
}

// RegistryByName returns one registry.
func (s *Store) RegistryByName(ctx context.Context, name string) (Registry, error) {
	return scanRegistry(s.pool.QueryRow(ctx, `SELECT `+registryColumns+` FROM registries WHERE name = $1`, name))
}

// RegistryByWebhookToken finds the registry a webhook URL belongs to.
func (s *Store) RegistryByWebhookToken(ctx context.Context, token string) (Registry, error) {
	return scanRegistry(s.pool.QueryRow(ctx, `SELECT `+registryColumns+` FROM registries WHERE webhook_token = $1`, token))
}

// Registries lists every registry by name.
func (s *Store) Registries(ctx context.Context) ([]Registry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+registryColumns+` FROM registries ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list registries: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Registry, error) { return scanRegistry(row) })
}

// RegistriesDueForPolling lists registries whose polling interval has
// passed since their last poll.
func (s *Store) RegistriesDueForPolling(ctx context.Context) ([]Registry, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+registryColumns+` FROM registries
		WHERE poll_interval IS NOT NULL
		  AND (last_polled_at IS NULL OR last_polled_at + poll_interval <= now())
		ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list registries due for polling: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Registry, error) { return scanRegistry(row) })
}

// MarkRegistryPolled records a finished catalog poll.
func (s *Store) MarkRegistryPolled(ctx context.Context, id int64) error {
	_, err := s.pool.Exec(ctx, `UPDATE registries SET last_polled_at = now() WHERE id = $1`, id)
	return err
}

// DeleteRegistry removes a registry with its repositories, images and
// findings.
func (s *Store) DeleteRegistry(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM registries WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete registry: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
