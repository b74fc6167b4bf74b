package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
)

type apiAuditEntry struct {
	ID           int64          `json:"id"`
	CreatedAt    time.Time      `json:"created_at"`
	ActorKind    string         `json:"actor_kind"`
	ActorUserID  *int64         `json:"actor_user_id"`
	ActorName    string         `json:"actor_name"`
	Action       string         `json:"action"`
	ResourceKind string         `json:"resource_kind"`
	ResourceID   string         `json:"resource_id"`
	Details      map[string]any `json:"details"`
	SourceIP     string         `json:"source_ip"`
}

// apiAuditList pages the audit log, newest first, filtered like the
// audit page: actor (part of the name), action, from and to (RFC 3339).
func (h *Handler) apiAuditList(c echo.Context) error {
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	q := store.AuditQuery{Actor: c.QueryParam("actor"), Action: c.QueryParam("action")}
	for name, dst := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		if v := c.QueryParam(name); v != "" {
			if *dst, err = time.Parse(time.RFC3339, v); err != nil {
				return echo.NewHTTPError(http.StatusBadRequest, name+": give an RFC 3339 time such as 2026-01-02T15:04:05Z")
			}
		}
	}
	list, next, err := h.store.APIAuditEntries(c.Request().Context(), q, p)
	if err != nil {
		return err
	}
	out := make([]apiAuditEntry, len(list))
	for i, e := range list {
		d := e.Details
		if d == nil {
			d = map[string]any{}
		}
		out[i] = apiAuditEntry{ID: e.ID, CreatedAt: e.CreatedAt.UTC(), ActorKind: e.ActorKind, ActorUserID: e.ActorUserID,
			ActorName: e.ActorName, Action: e.Action, ResourceKind: e.ResourceKind, ResourceID: e.ResourceID,
			Details: d, SourceIP: e.SourceIP}
	}
	return apiJSON(c, http.StatusOK, newAPIList(out, next))
}
