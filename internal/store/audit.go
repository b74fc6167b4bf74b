package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"
)

// Kinds of actor an audit entry names.
const (
	ActorUser      = "user"
	ActorToken     = "token"
	ActorAgent     = "agent"
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
)

// AuditEntry is one line of the audit log: who did what to which
// resource, when, and from where.
type AuditEntry struct {
	ID        int64
	CreatedAt time.Time
	// ActorKind is one of the Actor constants; ActorUserID is set when a
	// signed-in user acted, ActorName always (the user, token or agent name).
	ActorKind   string
	ActorUserID *int64
	ActorName   string
	// Action is a dotted verb such as "auth.sign_in" or "finding.exempt".
	Action       string
	ResourceKind string
	ResourceID   string
	Details      map[string]any
	// SourceIP is the client address; empty or unparsable is stored as NULL.
	SourceIP string
}

const auditColumns = `id, created_at, actor_kind, actor_user_id, actor_name, action, resource_kind,
	resource_id, details, coalesce(host(source_ip), '')`

// RecordAudit appends one entry to the audit log.
func (s *Store) RecordAudit(ctx context.Context, e AuditEntry) error {
	return recordAudit(ctx, s.pool, e)
}

// RecordAuditTx appends one entry inside tx, so the entry and the change
// it describes commit together.
func (s *Store) RecordAuditTx(ctx context.Context, tx pgx.Tx, e AuditEntry) error {
	return recordAudit(ctx, tx, e)
}

// queryRower is what the pool and a transaction have in common.
type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func recordAudit(ctx context.Context, db queryRower, e AuditEntry) error {
	if e.Action == "" || e.ActorKind == "" {
		return errors.New("record audit: action and actor kind are required")
	}
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	var ip *netip.Addr
	if a, err := netip.ParseAddr(e.SourceIP); err == nil {
		ip = &a
	}
	var id int64
	err := db.QueryRow(ctx, `
		INSERT INTO audit_log (actor_kind, actor_user_id, actor_name, action, resource_kind,
			resource_id, details, source_ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING id`,
		e.ActorKind, e.ActorUserID, e.ActorName, e.Action, e.ResourceKind, e.ResourceID, details, ip).Scan(&id)
	if err != nil {
		return fmt.Errorf("record audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditFilter narrows AuditEntries; zero fields do not filter.
type AuditFilter struct {
	ActorUserID  int64
	Action       string
	ResourceKind string
	ResourceID   string
	// BeforeID pages backwards: entries with a smaller id only.
	BeforeID int64
	// Limit defaults to 100.
	Limit int
}

// AuditEntries lists audit entries, newest first.
func (s *Store) AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+auditColumns+` FROM audit_log
		WHERE ($1 = 0 OR actor_user_id = $1)
		  AND ($2 = '' OR action = $2)
		  AND ($3 = '' OR resource_kind = $3)
		  AND ($4 = '' OR resource_id = $4)
		  AND ($5 = 0 OR id < $5)
		ORDER BY id DESC
		LIMIT $6`,
		f.ActorUserID, f.Action, f.ResourceKind, f.ResourceID, f.BeforeID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := row.Scan(&e.ID, &e.CreatedAt, &e.ActorKind, &e.ActorUserID, &e.ActorName, &e.Action,
			&e.ResourceKind, &e.ResourceID, &e.Details, &e.SourceIP)
		return e, err
	})
}
