package web

import (
	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/views/remediation"
)

// exemptionRevoke deletes an exemption: what it covered counts again at
// once.
func (h *Handler) exemptionRevoke(c echo.Context) error {
	id, err := positiveParam(c, "id")
	if err != nil {
		return err
	}
	e, err := h.exemptions().Revoke(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if err := h.auditExemption(c, "exemption.revoke", e); err != nil {
		return err
	}
	return exemptionChanged(c, remediation.Revoked(), returnPath(c, "/exemptions"))
}
