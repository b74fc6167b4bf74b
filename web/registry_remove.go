package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
)

// registryRemove disconnects a registry and deletes its repositories,
// images and findings.
func (h *Handler) registryRemove(c echo.Context) error {
	if err := h.needRegistrySettings(); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := h.store.RegistrySummary(ctx, id)
	if err != nil {
		return err
	}
	if err := h.store.DeleteRegistry(ctx, id); err != nil {
		return err
	}
	err = h.recordAudit(c, store.AuditEntry{
		Action: "registry.removed", ResourceKind: "registry", ResourceID: strconv.FormatInt(id, 10),
		Details: map[string]any{"name": r.Name, "url": r.URL, "repositories": r.Repositories, "images": r.Images},
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/registries?done=removed")
}
