package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditQuery narrows and pages the audit log as the audit page shows it.
// Zero fields do not filter.
type AuditQuery struct {
	// Actor matches part of the actor's name, ignoring case.
	Actor string
	// Action is one action, such as "exemption.create".
	Action string
	// From and To bound the time: From inclusive, To exclusive.
	From, To time.Time
	// BeforeID pages to older entries, AfterID to newer ones. Entries are
	// paged by id, which only grows, so pages never shift as new entries
	// arrive.
	BeforeID, AfterID int64
	// Limit defaults to 50.
	Limit int
}

func (q AuditQuery) conds() *condList {
	c := &condList{}
	if q.Actor != "" {
		c.add(`actor_name ILIKE '%' || ? || '%'`, likeEscape(q.Actor))
	}
	if q.Action != "" {
		c.add(`action = ?`, q.Action)
	}
	if !q.From.IsZero() {
		c.add(`created_at >= ?`, q.From)
	}
	if !q.To.IsZero() {
		c.add(`created_at < ?`, q.To)
	}
	return c
}

func collectAudit(rows pgx.Rows) ([]AuditEntry, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		return e, row.Scan(auditFields(&e)...)
	})
}

func auditFields(e *AuditEntry) []any {
	return []any{&e.ID, &e.CreatedAt, &e.ActorKind, &e.ActorUserID, &e.ActorName, &e.Action,
		&e.ResourceKind, &e.ResourceID, &e.Details, &e.SourceIP}
}

// AuditPage returns one page of entries matching q, newest first.
func (s *Store) AuditPage(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	c := q.conds()
	order := "DESC"
	switch {
	case q.AfterID > 0:
		c.add(`id > ?`, q.AfterID)
		order = "ASC"
	case q.BeforeID > 0:
		c.add(`id < ?`, q.BeforeID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log `+c.where()+`
		ORDER BY id `+order+` LIMIT `+c.arg(q.Limit), c.args...)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	list, err := collectAudit(rows)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	if order == "ASC" {
		slices.Reverse(list)
	}
	return list, nil
}

// AuditExistsBeyond reports whether entries matching q exist with an id
// below (older) or above (newer) id, for the pager's links.
func (s *Store) AuditExistsBeyond(ctx context.Context, q AuditQuery, id int64, older bool) (bool, error) {
	c := q.conds()
	if older {
		c.add(`id < ?`, id)
	} else {
		c.add(`id > ?`, id)
	}
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_log `+c.where()+`)`, c.args...).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("page audit entries: %w", err)
	}
	return ok, nil
}

// auditBatch is how many entries ForEachAuditEntry reads at a time.
const auditBatch = 500

// ForEachAuditEntry streams every entry matching q, newest first,
// ignoring the paging fields. It reads by pages of ids, so an export of
// a long log starts at once instead of after sorting all of it.
func (s *Store) ForEachAuditEntry(ctx context.Context, q AuditQuery, fn func(AuditEntry) error) error {
	q.AfterID, q.BeforeID, q.Limit = 0, 0, auditBatch
	for {
		page, err := s.AuditPage(ctx, q)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < auditBatch {
			return nil
		}
		q.BeforeID = page[len(page)-1].ID
	}
}

// AuditActions lists every action the audit log holds, for the filter.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	// One index probe per distinct action instead of reading every entry.
	rows, err := s.pool.Query(ctx, `
		WITH RECURSIVE a AS (
			(SELECT action FROM audit_log ORDER BY action LIMIT 1)
			UNION ALL
			SELECT (SELECT l.action FROM audit_log l WHERE l.action > a.action ORDER BY l.action LIMIT 1)
			FROM a WHERE a.action IS NOT NULL)
		SELECT action FROM a WHERE action IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("list audit actions: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
