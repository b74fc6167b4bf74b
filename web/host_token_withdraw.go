package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
)

// hostTokenWithdraw deletes an enrolment token nobody used, say one that
// was pasted somewhere it should not have been.
func (h *Handler) hostTokenWithdraw(c echo.Context) error {
	if err := h.hostsReady(); err != nil {
		return err
	}
	id, err := hostParamID(c, "id")
	if err != nil {
		return err
	}
	if err := h.hosts.WithdrawToken(c.Request().Context(), id); err != nil {
		return err
	}
	err = h.recordAudit(c, store.AuditEntry{
		Action: "host.enrolment_token_withdrawn", ResourceKind: "enrolment_token", ResourceID: strconv.FormatInt(id, 10),
	})
	if err != nil {
		return err
	}
	return h.afterHostChange(c, "/settings/hosts", map[string]any{"withdrawn": id})
}
