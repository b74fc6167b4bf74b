package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
)

// hostExemptionDelete removes an exemption from a host and evaluates the
// host again.
func (h *Handler) hostExemptionDelete(c echo.Context) error {
	if err := h.hostsReady(); err != nil {
		return err
	}
	id, err := hostParamID(c, "id")
	if err != nil {
		return err
	}
	exemptionID, err := hostParamID(c, "exemption")
	if err != nil {
		return err
	}

	x, err := h.hosts.Unexempt(c.Request().Context(), id, exemptionID)
	if err != nil {
		return err
	}
	err = h.recordAudit(c, store.AuditEntry{
		Action: "host.control_exemption_removed", ResourceKind: "host", ResourceID: strconv.FormatInt(id, 10),
		Details: map[string]any{"exemption_id": x.ID, "control_id": x.ControlID, "resource": x.Resource,
			"justification": x.Justification},
	})
	if err != nil {
		return err
	}
	return h.afterHostChange(c, hostPath(id)+"#exemptions", map[string]any{"removed": x.ID})
}
