package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
)

// hostCredentialRevoke cuts a host's agent off. Its results stay; the
// agent needs a new enrolment token, which makes a new host.
func (h *Handler) hostCredentialRevoke(c echo.Context) error {
	if err := h.hostsReady(); err != nil {
		return err
	}
	id, err := hostParamID(c, "id")
	if err != nil {
		return err
	}
	if err := h.hosts.RevokeCredential(c.Request().Context(), id); err != nil {
		return err
	}
	err = h.recordAudit(c, store.AuditEntry{
		Action: "host.credential_revoked", ResourceKind: "host", ResourceID: strconv.FormatInt(id, 10),
	})
	if err != nil {
		return err
	}
	return h.afterHostChange(c, "/settings/hosts", map[string]any{"host_id": id, "revoked": true})
}
