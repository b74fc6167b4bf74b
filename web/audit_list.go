package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/exempt"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/audit"
	"github.com/palisadesec/palisade/views/remediation"
)

const auditPerPage = 50

// auditList is the audit log, newest first, paged by entry id so pages
// stay put while new entries arrive.
func (h *Handler) auditList(c echo.Context) error {
	ctx := c.Request().Context()
	q, filters, problem := auditQuery(c)
	q.Limit = auditPerPage
	q.BeforeID, _ = strconv.ParseInt(c.QueryParam("before"), 10, 64)
	q.AfterID, _ = strconv.ParseInt(c.QueryParam("after"), 10, 64)

	entries, err := h.store.AuditPage(ctx, q)
	if err != nil {
		return err
	}
	actions, err := h.store.AuditActions(ctx)
	if err != nil {
		return err
	}
	pager, err := h.auditPager(c, q, filters, entries)
	if err != nil {
		return err
	}
	m := audit.ListModel{
		Page: h.page(c, "Audit log", "audit"), Actor: q.Actor, Action: q.Action,
		From: filters.Get("from"), To: filters.Get("to"), Actions: actionOptions(actions, q.Action),
		Pager: pager, CSVURL: withQuery("/audit/export.csv", compactQuery(filters)), Error: problem,
	}
	for _, e := range entries {
		m.Rows = append(m.Rows, auditRow(e))
	}
	return render(c, http.StatusOK, audit.List(m))
}

// auditQuery reads the filters of the audit page, and returns them as a
// query for links. Dates are whole UTC days; "to" includes its day. A
// date that does not read is dropped with a message.
func auditQuery(c echo.Context) (store.AuditQuery, url.Values, string) {
	q := store.AuditQuery{Actor: strings.TrimSpace(c.QueryParam("actor")), Action: strings.TrimSpace(c.QueryParam("action"))}
	filters := url.Values{"actor": {q.Actor}, "action": {q.Action}}
	var problem string
	if v := c.QueryParam("from"); v != "" {
		if d, err := time.Parse(exempt.DateLayout, v); err == nil {
			q.From = d
			filters.Set("from", v)
		} else {
			problem = "The dates must read YYYY-MM-DD; the one that does not was ignored."
		}
	}
	if v := c.QueryParam("to"); v != "" {
		if d, err := time.Parse(exempt.DateLayout, v); err == nil {
			q.To = d.AddDate(0, 0, 1)
			filters.Set("to", v)
		} else {
			problem = "The dates must read YYYY-MM-DD; the one that does not was ignored."
		}
	}
	return q, filters, problem
}

// auditPager links to newer and older entries than the page shows.
func (h *Handler) auditPager(c echo.Context, q store.AuditQuery, filters url.Values, entries []store.AuditEntry) (remediation.Pager, error) {
	var p remediation.Pager
	if len(entries) == 0 {
		return p, nil
	}
	ctx := c.Request().Context()
	newest, oldest := entries[0].ID, entries[len(entries)-1].ID
	newer, err := h.store.AuditExistsBeyond(ctx, q, newest, false)
	if err != nil {
		return p, err
	}
	older, err := h.store.AuditExistsBeyond(ctx, q, oldest, true)
	if err != nil {
		return p, err
	}
	link := func(key string, id int64) string {
		v := url.Values{}
		for k, vals := range filters {
			v[k] = vals
		}
		v.Set(key, strconv.FormatInt(id, 10))
		return withQuery("/audit", compactQuery(v))
	}
	if newer {
		p.Prev = link("after", newest)
	}
	if older {
		p.Next = link("before", oldest)
	}
	p.Label = fmt.Sprintf("%d entries, %s to %s", len(entries), when(entries[len(entries)-1].CreatedAt), when(entries[0].CreatedAt))
	return p, nil
}

func actionOptions(actions []string, current string) []remediation.Option {
	if current != "" && !slices.Contains(actions, current) {
		actions = append(actions, current)
	}
	opts := []remediation.Option{{Value: "", Label: "Any"}}
	for _, a := range actions {
		opts = append(opts, remediation.Option{Value: a, Label: a})
	}
	return opts
}

func auditRow(e store.AuditEntry) audit.Row {
	resource := e.ResourceKind
	if e.ResourceID != "" {
		resource += " " + e.ResourceID
	}
	return audit.Row{
		ID: e.ID, When: when(e.CreatedAt), WhenISO: e.CreatedAt.UTC().Format(time.RFC3339), Actor: e.ActorName,
		Kind: e.ActorKind, Action: e.Action, Resource: resource, Details: detailsText(e.Details), SourceIP: e.SourceIP,
	}
}

// detailsText writes audit details as "key: value" pairs in key order.
func detailsText(d map[string]any) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v, ok := d[k].(string)
		if !ok {
			b, _ := json.Marshal(d[k])
			v = string(b)
		}
		parts = append(parts, k+": "+v)
	}
	return strings.Join(parts, "; ")
}

// auditListCSV exports every entry matching the page's filters, newest
// first, streamed from the database.
func (h *Handler) auditListCSV(c echo.Context) error {
	q, _, _ := auditQuery(c)
	header := []string{"id", "time", "actor_kind", "actor", "action", "resource_kind", "resource_id", "details", "source_ip"}
	return h.streamCSVExport(c, "audit-log.csv", header, func(write func([]string) error) error {
		return h.store.ForEachAuditEntry(c.Request().Context(), q, func(e store.AuditEntry) error {
			details, _ := json.Marshal(e.Details)
			return write([]string{strconv.FormatInt(e.ID, 10), e.CreatedAt.UTC().Format(time.RFC3339Nano),
				e.ActorKind, e.ActorName, e.Action, e.ResourceKind, e.ResourceID, string(details), e.SourceIP})
		})
	})
}
