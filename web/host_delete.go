package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
)

// hostDelete removes a host with its snapshots, results, exemptions and
// assessment; its agent, if still running, is refused from then on.
func (h *Handler) hostDelete(c echo.Context) error {
	if err := h.hostsReady(); err != nil {
		return err
	}
	id, err := hostParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	host, err := h.store.HostByID(ctx, id)
	if err != nil {
		return err
	}
	if err := h.hosts.DeleteHost(ctx, id); err != nil {
		return err
	}
	err = h.recordAudit(c, store.AuditEntry{
		Action: "host.deleted", ResourceKind: "host", ResourceID: strconv.FormatInt(id, 10),
		Details: map[string]any{"name": host.Name},
	})
	if err != nil {
		return err
	}
	return h.afterHostChange(c, "/settings/hosts", map[string]any{"deleted": id})
}
