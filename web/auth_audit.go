package web

import (
	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
)

// recordAudit appends e to the audit log with the request's principal as
// the actor and its client address as the source. Handlers that change
// something call it after the change succeeds.
func (h *Handler) recordAudit(c echo.Context, e store.AuditEntry) error {
	e.SourceIP = c.RealIP()
	return h.auth.RecordAudit(c.Request().Context(), principalOf(c), e)
}
