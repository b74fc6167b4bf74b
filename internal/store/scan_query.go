package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ScanFilter narrows a scan list; zero fields do not filter.
type ScanFilter struct {
	// State is a scan state, or "active" for queued and running ones.
	State      string
	Trigger    string
	RegistryID int64
}

// ScanActive is the ScanFilter state of queued and running scans.
const ScanActive = "active"

// ScanRow is one scan with its registry's name and, once the image is
// known, the id of the image it scanned.
type ScanRow struct {
	Scan
	RegistryName string
	ImageID      *int64
}

const scanRowColumns = `s.id, s.registry_id, s.repository, s.reference, s.digest, s.trigger, s.state,
	s.reason, s.attempts, s.job_id, s.queued_at, s.started_at, s.finished_at, coalesce(reg.name, ''),
	(SELECT i.id FROM repositories r JOIN images i ON i.repository_id = r.id
	 WHERE r.registry_id = s.registry_id AND r.name = s.repository AND s.digest <> ''
	   AND (i.digest = s.digest OR i.index_digest = s.digest)
	 ORDER BY i.id LIMIT 1)`

const scanFrom = `FROM scans s LEFT JOIN registries reg ON reg.id = s.registry_id`

func scanScanRow(row pgx.Row, _ ...any) (ScanRow, error) {
	var r ScanRow
	s := &r.Scan
	err := row.Scan(&s.ID, &s.RegistryID, &s.Repository, &s.Reference, &s.Digest, &s.Trigger, &s.State,
		&s.Reason, &s.Attempts, &s.JobID, &s.QueuedAt, &s.StartedAt, &s.FinishedAt, &r.RegistryName, &r.ImageID)
	return r, err
}

func (f ScanFilter) build() *condList {
	b := &condList{}
	switch f.State {
	case "":
	case ScanActive:
		b.add(`s.state IN ('queued', 'running')`)
	default:
		b.add(`s.state = ?`, f.State)
	}
	if f.Trigger != "" {
		b.add(`s.trigger = ?`, f.Trigger)
	}
	if f.RegistryID != 0 {
		b.add(`s.registry_id = ?`, f.RegistryID)
	}
	return b
}

// Scans returns one page of scans, newest first, and how many match.
func (s *Store) Scans(ctx context.Context, f ScanFilter, p Paging) ([]ScanRow, int, error) {
	b := f.build()
	where := b.where()
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM scans s `+where, b.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count scans: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+scanRowColumns+` `+scanFrom+` `+where+` ORDER BY s.id DESC `+pageClause(b, p), b.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list scans: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ScanRow, error) { return scanScanRow(row) })
	return list, total, err
}

// ForEachScan calls fn with every scan that matches f, newest first, one
// row at a time as the database sends them.
func (s *Store) ForEachScan(ctx context.Context, f ScanFilter, fn func(ScanRow) error) error {
	b := f.build()
	err := streamRows(ctx, s, `SELECT `+scanRowColumns+` `+scanFrom+` `+b.where()+` ORDER BY s.id DESC`, b.args, scanScanRow, fn)
	if err != nil {
		return fmt.Errorf("list scans: %w", err)
	}
	return nil
}

// ScanActivity is what is being scanned now.
type ScanActivity struct {
	Queued, Running int
	// LastFinishedAt is when the most recent scan ended, done or failed;
	// a change tells a live page that results changed.
	LastFinishedAt *time.Time
}

// Active reports whether any scan is queued or running.
func (a ScanActivity) Active() bool {
	return a.Queued+a.Running > 0
}

// ScanActivity counts queued and running scans.
func (s *Store) ScanActivity(ctx context.Context) (ScanActivity, error) {
	var a ScanActivity
	err := s.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE state = 'queued'), count(*) FILTER (WHERE state = 'running'),
			(SELECT max(finished_at) FROM scans WHERE finished_at IS NOT NULL)
		FROM scans WHERE state IN ('queued', 'running')`).Scan(&a.Queued, &a.Running, &a.LastFinishedAt)
	if err != nil {
		return a, fmt.Errorf("count active scans: %w", err)
	}
	return a, nil
}

// LatestImageScan returns the newest scan of an image's digest (or of the
// index that led to it), or ErrNotFound when none is recorded.
func (s *Store) LatestImageScan(ctx context.Context, imageID int64) (Scan, error) {
	return scanScan(s.pool.QueryRow(ctx, `
		SELECT s.*
		FROM images i JOIN repositories r ON r.id = i.repository_id
		JOIN LATERAL (
			SELECT `+scanColumns+` FROM scans s
			WHERE s.registry_id = r.registry_id AND s.repository = r.name
			  AND s.digest IN (i.digest, nullif(i.index_digest, ''))
			ORDER BY s.id DESC LIMIT 1
		) s ON true
		WHERE i.id = $1`, imageID))
}
