package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
)

// authSessionsRevoke ends every session of one user: the admin's way to
// cut someone off now, instead of at their next token refresh.
func (h *Handler) authSessionsRevoke(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "user id must be a positive number")
	}
	n, err := h.auth.RevokeUserSessions(c.Request().Context(), id)
	if err != nil {
		return err
	}
	err = h.recordAudit(c, store.AuditEntry{
		Action: "auth.sessions_revoked", ResourceKind: "user", ResourceID: strconv.FormatInt(id, 10),
		Details: map[string]any{"sessions": n},
	})
	if err != nil {
		return err
	}
	if isPageRequest(c.Request()) {
		return c.Redirect(http.StatusSeeOther, "/me")
	}
	return c.JSON(http.StatusOK, map[string]int64{"user_id": id, "revoked": n})
}
