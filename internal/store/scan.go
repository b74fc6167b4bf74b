package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Scan states.
const (
	ScanQueued  = "queued"
	ScanRunning = "running"
	ScanDone    = "done"
	ScanFailed  = "failed"
)

// Scan is one request to scan an image reference, and how it went.
type Scan struct {
	ID         int64
	RegistryID *int64
	Repository string
	Reference  string
	Digest     string
	Trigger    string
	State      string
	Reason     string
	Attempts   int
	JobID      *int64
	QueuedAt   time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

const scanColumns = `id, registry_id, repository, reference, digest, trigger, state, reason, attempts,
	job_id, queued_at, started_at, finished_at`

func scanScan(row pgx.Row) (Scan, error) {
	var s Scan
	err := row.Scan(&s.ID, &s.RegistryID, &s.Repository, &s.Reference, &s.Digest, &s.Trigger, &s.State,
		&s.Reason, &s.Attempts, &s.JobID, &s.QueuedAt, &s.StartedAt, &s.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, ErrNotFound
	}
	return s, err
}

// CreateScanTx records a queued scan inside tx, the transaction that also
// inserts its job, so a scan row never exists without a job or the reverse.
func (s *Store) CreateScanTx(ctx context.Context, tx pgx.Tx, sc Scan) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO scans (registry_id, repository, reference, digest, trigger)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		sc.RegistryID, sc.Repository, sc.Reference, sc.Digest, sc.Trigger).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record scan: %w", err)
	}
	return id, nil
}

// SetScanJobTx links a scan to the job that runs it.
func (s *Store) SetScanJobTx(ctx context.Context, tx pgx.Tx, scanID, jobID int64) error {
	_, err := tx.Exec(ctx, `UPDATE scans SET job_id = $2 WHERE id = $1`, scanID, jobID)
	return err
}

// ActiveScanFor returns a queued or running scan of the same registry,
// repository and digest, so a second push of one digest is not scanned
// twice.
func (s *Store) ActiveScanFor(ctx context.Context, registryID int64, repository, digest string) (Scan, error) {
	return scanScan(s.pool.QueryRow(ctx, `
		SELECT `+scanColumns+` FROM scans
		WHERE registry_id = $1 AND repository = $2 AND digest = $3 AND state IN ('queued', 'running')
		ORDER BY id DESC LIMIT 1`, registryID, repository, digest))
}

// MarkScanRunning records an attempt starting.
func (s *Store) MarkScanRunning(ctx context.Context, id int64, attempt int) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE scans SET state = 'running', attempts = $2, started_at = now(), reason = ''
		WHERE id = $1`, id, attempt)
	return err
}

// MarkScanRetrying puts a scan back to queued after a transient failure,
// keeping the reason so people can see why it waits.
func (s *Store) MarkScanRetrying(ctx context.Context, id int64, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE scans SET state = 'queued', reason = $2 WHERE id = $1`, id, truncate(reason, 2000))
	return err
}

// MarkScanFailed ends a scan with a reason.
func (s *Store) MarkScanFailed(ctx context.Context, id int64, reason string) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE scans SET state = 'failed', reason = $2, finished_at = now() WHERE id = $1`,
		id, truncate(reason, 2000))
	return err
}

// MarkScanDoneTx ends a scan successfully inside the transaction that
// wrote its results.
func (s *Store) MarkScanDoneTx(ctx context.Context, tx pgx.Tx, id int64, digest string) error {
	_, err := tx.Exec(ctx, `
		UPDATE scans SET state = 'done', digest = $2, reason = '', finished_at = now() WHERE id = $1`, id, digest)
	return err
}

// ScanByID returns one scan.
func (s *Store) ScanByID(ctx context.Context, id int64) (Scan, error) {
	return scanScan(s.pool.QueryRow(ctx, `SELECT `+scanColumns+` FROM scans WHERE id = $1`, id))
}

// RecentScans lists the newest scans first.
func (s *Store) RecentScans(ctx context.Context, limit int) ([]Scan, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+scanColumns+` FROM scans ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Scan, error) { return scanScan(row) })
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
