package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Host is an enrolled Docker host with the summary of its latest snapshot.
type Host struct {
	ID                  int64
	Name                string
	EnrolledAt          time.Time
	CredentialRevokedAt *time.Time
	AgentVersion        string
	DockerVersion       string
	OS                  string
	Kernel              string
	// Images and Containers are nil when the agent could not list them
	// (or before the first snapshot).
	Images     *int
	Containers *int
	// FailingControls counts controls with at least one failed result that
	// is not exempt; FailingResults counts those results.
	FailingControls int
	FailingResults  int
	ExemptResults   int
	// LastSnapshotAt is when the server received the latest snapshot,
	// LastCollectedAt when the agent says it collected it.
	LastSnapshotAt  *time.Time
	LastCollectedAt *time.Time
}

// Revoked reports whether the host's credential was revoked.
func (h Host) Revoked() bool { return h.CredentialRevokedAt != nil }

const hostColumns = `id, name, enrolled_at, credential_revoked_at, agent_version, docker_version,
	os, kernel, image_count, container_count, failing_controls, failing_results, exempt_results,
	last_snapshot_at, last_collected_at`

func scanHost(row pgx.CollectableRow) (Host, error) {
	var h Host
	err := row.Scan(&h.ID, &h.Name, &h.EnrolledAt, &h.CredentialRevokedAt, &h.AgentVersion,
		&h.DockerVersion, &h.OS, &h.Kernel, &h.Images, &h.Containers, &h.FailingControls,
		&h.FailingResults, &h.ExemptResults, &h.LastSnapshotAt, &h.LastCollectedAt)
	return h, err
}

// hostDB is what the pool and a transaction have in common.
type hostDB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Hosts lists every enrolled host by name: the Containers tab and the
// hosts page show them.
func (s *Store) Hosts(ctx context.Context) ([]Host, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+hostColumns+` FROM hosts ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	return pgx.CollectRows(rows, scanHost)
}

// HostByID returns one host, or ErrNotFound.
func (s *Store) HostByID(ctx context.Context, id int64) (Host, error) {
	return hostByID(ctx, s.pool, id, "")
}

// LockHostTx returns a host and holds its row lock until tx ends, so that
// snapshots and exemption changes of one host are evaluated one at a time.
func (s *Store) LockHostTx(ctx context.Context, tx pgx.Tx, id int64) (Host, error) {
	return hostByID(ctx, tx, id, " FOR UPDATE")
}

func hostByID(ctx context.Context, db hostDB, id int64, lock string) (Host, error) {
	rows, err := db.Query(ctx, `SELECT `+hostColumns+` FROM hosts WHERE id = $1`+lock, id)
	if err != nil {
		return Host{}, fmt.Errorf("read host %d: %w", id, err)
	}
	h, err := pgx.CollectExactlyOneRow(rows, scanHost)
	if errors.Is(err, pgx.ErrNoRows) {
		return Host{}, ErrNotFound
	}
	if err != nil {
		return Host{}, fmt.Errorf("read host %d: %w", id, err)
	}
	return h, nil
}

// DeleteHost removes a host with its snapshots, results, exemptions and
// recommendation assessments.
func (s *Store) DeleteHost(ctx context.Context, id int64) error {
	return s.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM hosts WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete host %d: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		_, err = tx.Exec(ctx, `DELETE FROM assessments WHERE resource_kind = 'host' AND resource_id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete assessments of host %d: %w", id, err)
		}
		return nil
	})
}

// HostSnapshot is one stored snapshot; Doc is its JSON.
type HostSnapshot struct {
	ID           int64
	HostID       int64
	CollectedAt  time.Time
	ReceivedAt   time.Time
	AgentVersion string
	SizeBytes    int
	Doc          []byte
}

// InsertHostSnapshotTx stores a snapshot and deletes the host's snapshots
// older than the keep most recent ones.
func (s *Store) InsertHostSnapshotTx(ctx context.Context, tx pgx.Tx, snap HostSnapshot, keep int) (HostSnapshot, error) {
	err := tx.QueryRow(ctx, `
		INSERT INTO host_snapshots (host_id, collected_at, agent_version, size_bytes, snapshot)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING id, received_at`,
		snap.HostID, snap.CollectedAt, snap.AgentVersion, len(snap.Doc), string(snap.Doc)).Scan(&snap.ID, &snap.ReceivedAt)
	if err != nil {
		return snap, fmt.Errorf("store snapshot of host %d: %w", snap.HostID, err)
	}
	snap.SizeBytes = len(snap.Doc)
	_, err = tx.Exec(ctx, `
		DELETE FROM host_snapshots WHERE host_id = $1 AND id NOT IN (
			SELECT id FROM host_snapshots WHERE host_id = $1 ORDER BY id DESC LIMIT $2)`,
		snap.HostID, keep)
	if err != nil {
		return snap, fmt.Errorf("prune snapshots of host %d: %w", snap.HostID, err)
	}
	return snap, nil
}

// LatestHostSnapshotTx returns the host's newest snapshot, or ErrNotFound
// before the first one.
func (s *Store) LatestHostSnapshotTx(ctx context.Context, tx pgx.Tx, hostID int64) (HostSnapshot, error) {
	snap := HostSnapshot{HostID: hostID}
	var doc string
	err := tx.QueryRow(ctx, `
		SELECT id, collected_at, received_at, agent_version, size_bytes, snapshot::text
		FROM host_snapshots WHERE host_id = $1 ORDER BY id DESC LIMIT 1`, hostID).
		Scan(&snap.ID, &snap.CollectedAt, &snap.ReceivedAt, &snap.AgentVersion, &snap.SizeBytes, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return snap, ErrNotFound
	}
	if err != nil {
		return snap, fmt.Errorf("read latest snapshot of host %d: %w", hostID, err)
	}
	snap.Doc = []byte(doc)
	return snap, nil
}

// HostSnapshotIDs lists the ids of a host's stored snapshots, newest first.
func (s *Store) HostSnapshotIDs(ctx context.Context, hostID int64) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM host_snapshots WHERE host_id = $1 ORDER BY id DESC`, hostID)
	if err != nil {
		return nil, fmt.Errorf("list snapshots of host %d: %w", hostID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// HostResult is one control evaluated for one resource of a host.
type HostResult struct {
	Position      int
	ControlID     string
	Section       string
	Title         string
	Level         int
	ResourceKind  string
	ResourceID    string
	ResourceName  string
	Status        string
	Evidence      string
	Remediation   string
	Exempt        bool
	Justification string
}

// ReplaceHostResultsTx makes results, in their order, the host's results
// from snapshotID.
func (s *Store) ReplaceHostResultsTx(ctx context.Context, tx pgx.Tx, hostID, snapshotID int64, results []HostResult) error {
	if _, err := tx.Exec(ctx, `DELETE FROM host_results WHERE host_id = $1`, hostID); err != nil {
		return fmt.Errorf("clear results of host %d: %w", hostID, err)
	}
	rows := make([][]any, len(results))
	for i, r := range results {
		rows[i] = []any{hostID, i, snapshotID, r.ControlID, r.Section, r.Title, int16(r.Level),
			r.ResourceKind, r.ResourceID, r.ResourceName, r.Status, r.Evidence, r.Remediation,
			r.Exempt, r.Justification}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"host_results"},
		[]string{"host_id", "position", "snapshot_id", "control_id", "section", "title", "level",
			"resource_kind", "resource_id", "resource_name", "status", "evidence", "remediation",
			"exempt", "justification"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("write results of host %d: %w", hostID, err)
	}
	return nil
}

// HostResultFilter narrows host results; zero fields do not filter.
type HostResultFilter struct {
	// Status is one of pass, fail, info, manual and not_applicable.
	Status string
	// ExemptOnly keeps exempt results only.
	ExemptOnly bool
	// Limit stops after that many results; 0 does not.
	Limit int
}

const hostResultColumns = `position, control_id, section, title, level, resource_kind, resource_id,
	resource_name, status, evidence, remediation, exempt, justification`

// EachHostResult calls fn for each of a host's results that f keeps, in
// benchmark order, without holding them all in memory (for exports).
func (s *Store) EachHostResult(ctx context.Context, hostID int64, f HostResultFilter, fn func(HostResult) error) error {
	rows, err := s.pool.Query(ctx, `
		SELECT `+hostResultColumns+` FROM host_results
		WHERE host_id = $1 AND ($2 = '' OR status = $2) AND (NOT $3 OR exempt)
		ORDER BY position
		LIMIT NULLIF($4, 0)`, hostID, f.Status, f.ExemptOnly, f.Limit)
	if err != nil {
		return fmt.Errorf("read results of host %d: %w", hostID, err)
	}
	var r HostResult
	var level int16
	_, err = pgx.ForEachRow(rows, []any{&r.Position, &r.ControlID, &r.Section, &r.Title, &level,
		&r.ResourceKind, &r.ResourceID, &r.ResourceName, &r.Status, &r.Evidence, &r.Remediation,
		&r.Exempt, &r.Justification}, func() error {
		r.Level = int(level)
		return fn(r)
	})
	if err != nil {
		return fmt.Errorf("read results of host %d: %w", hostID, err)
	}
	return nil
}

// HostResults returns a host's results that f keeps, in benchmark order.
func (s *Store) HostResults(ctx context.Context, hostID int64, f HostResultFilter) ([]HostResult, error) {
	var out []HostResult
	err := s.EachHostResult(ctx, hostID, f, func(r HostResult) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// HostResultCounts counts a host's results by status, and the exempt ones
// under "exempt".
func (s *Store) HostResultCounts(ctx context.Context, hostID int64) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT status, count(*) FROM host_results WHERE host_id = $1 GROUP BY status
		UNION ALL
		SELECT 'exempt', count(*) FROM host_results WHERE host_id = $1 AND exempt`, hostID)
	if err != nil {
		return nil, fmt.Errorf("count results of host %d: %w", hostID, err)
	}
	out := map[string]int{}
	var status string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&status, &n}, func() error {
		out[status] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count results of host %d: %w", hostID, err)
	}
	return out, nil
}

// HostSummary is what a host's row says about its latest evaluation. The
// host's name is not part of it: it stays the one the host enrolled with,
// so that a host cannot rename itself after the other.
type HostSummary struct {
	HostID          int64
	AgentVersion    string
	DockerVersion   string
	OS              string
	Kernel          string
	Images          *int
	Containers      *int
	FailingControls int
	FailingResults  int
	ExemptResults   int
	SnapshotAt      time.Time
	CollectedAt     time.Time
}

// UpdateHostSummaryTx rewrites a host's summary columns.
func (s *Store) UpdateHostSummaryTx(ctx context.Context, tx pgx.Tx, sum HostSummary) error {
	_, err := tx.Exec(ctx, `
		UPDATE hosts SET agent_version = $2, docker_version = $3, os = $4, kernel = $5,
			image_count = $6, container_count = $7, failing_controls = $8, failing_results = $9,
			exempt_results = $10, last_snapshot_at = $11, last_collected_at = $12
		WHERE id = $1`,
		sum.HostID, sum.AgentVersion, sum.DockerVersion, sum.OS, sum.Kernel, sum.Images,
		sum.Containers, sum.FailingControls, sum.FailingResults, sum.ExemptResults, sum.SnapshotAt,
		sum.CollectedAt)
	if err != nil {
		return fmt.Errorf("update summary of host %d: %w", sum.HostID, err)
	}
	return nil
}

// HostExemption waives one control on one host, for every resource
// (Resource ""), the host itself ("host"), or one container or image.
type HostExemption struct {
	ID              int64
	HostID          int64
	ControlID       string
	Resource        string
	Justification   string
	CreatedByUserID *int64
	CreatedByName   string
	CreatedAt       time.Time
}

const hostExemptionColumns = `id, host_id, control_id, resource, justification, created_by_user_id,
	created_by_name, created_at`

func scanHostExemption(row pgx.CollectableRow) (HostExemption, error) {
	var x HostExemption
	err := row.Scan(&x.ID, &x.HostID, &x.ControlID, &x.Resource, &x.Justification,
		&x.CreatedByUserID, &x.CreatedByName, &x.CreatedAt)
	return x, err
}

// HostExemptions lists a host's exemptions by control.
func (s *Store) HostExemptions(ctx context.Context, hostID int64) ([]HostExemption, error) {
	return hostExemptions(ctx, s.pool, hostID)
}

// HostExemptionsTx is HostExemptions inside tx.
func (s *Store) HostExemptionsTx(ctx context.Context, tx pgx.Tx, hostID int64) ([]HostExemption, error) {
	return hostExemptions(ctx, tx, hostID)
}

func hostExemptions(ctx context.Context, db hostDB, hostID int64) ([]HostExemption, error) {
	rows, err := db.Query(ctx, `
		SELECT `+hostExemptionColumns+` FROM host_exemptions WHERE host_id = $1
		ORDER BY string_to_array(control_id, '.')::int[], resource, id`, hostID)
	if err != nil {
		return nil, fmt.Errorf("list exemptions of host %d: %w", hostID, err)
	}
	return pgx.CollectRows(rows, scanHostExemption)
}

// AddHostExemptionTx stores an exemption; the same control and resource
// exempted twice on a host gives ErrConflict.
func (s *Store) AddHostExemptionTx(ctx context.Context, tx pgx.Tx, x HostExemption) (HostExemption, error) {
	rows, err := tx.Query(ctx, `
		INSERT INTO host_exemptions (host_id, control_id, resource, justification,
			created_by_user_id, created_by_name)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (host_id, control_id, resource) DO NOTHING
		RETURNING `+hostExemptionColumns,
		x.HostID, x.ControlID, x.Resource, x.Justification, x.CreatedByUserID, x.CreatedByName)
	if err != nil {
		return x, fmt.Errorf("add exemption of %s on host %d: %w", x.ControlID, x.HostID, err)
	}
	out, err := pgx.CollectExactlyOneRow(rows, scanHostExemption)
	if errors.Is(err, pgx.ErrNoRows) {
		return x, ErrConflict
	}
	if err != nil {
		return x, fmt.Errorf("add exemption of %s on host %d: %w", x.ControlID, x.HostID, err)
	}
	return out, nil
}

// DeleteHostExemptionTx removes one of a host's exemptions and returns it;
// an exemption of another host gives ErrNotFound.
func (s *Store) DeleteHostExemptionTx(ctx context.Context, tx pgx.Tx, hostID, id int64) (HostExemption, error) {
	rows, err := tx.Query(ctx, `
		DELETE FROM host_exemptions WHERE id = $1 AND host_id = $2
		RETURNING `+hostExemptionColumns, id, hostID)
	if err != nil {
		return HostExemption{}, fmt.Errorf("delete exemption %d: %w", id, err)
	}
	x, err := pgx.CollectExactlyOneRow(rows, scanHostExemption)
	if errors.Is(err, pgx.ErrNoRows) {
		return x, ErrNotFound
	}
	if err != nil {
		return x, fmt.Errorf("delete exemption %d: %w", id, err)
	}
	return x, nil
}
