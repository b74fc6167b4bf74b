package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/store"
	registriesview "github.com/palisadesec/palisade/views/registries"
)

// registryUpdate saves a registry's settings. Empty secret fields keep
// the stored secrets; a form with problems comes back with them listed.
func (h *Handler) registryUpdate(c echo.Context) error {
	if err := h.needRegistrySettings(); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	old, err := h.store.RegistryByID(ctx, id)
	if err != nil {
		return err
	}
	s, values, problems := registryForm(c)
	form := registriesview.FormModel{
		Page: h.page(c, "Edit "+old.Name, "registries"), Editing: true,
		Action: registryPath(id), CancelURL: registryPath(id), Values: values, Errors: problems,
	}
	if len(problems) > 0 {
		return render(c, http.StatusOK, registriesview.Form(form))
	}
	conn, err := h.regs.Update(ctx, id, s)
	if msgs, ok := formProblems(err, s.Name); ok {
		form.Errors = msgs
		return render(c, http.StatusOK, registriesview.Form(form))
	}
	if err != nil {
		return err
	}

	err = h.recordAudit(c, store.AuditEntry{
		Action: "registry.updated", ResourceKind: "registry", ResourceID: strconv.FormatInt(id, 10),
		Details: map[string]any{
			"name": conn.Name, "previous_name": old.Name, "url": conn.URL, "auth_kind": conn.AuthKind,
			"scan_on_push": conn.ScanOnPush, "secrets_replaced": s.Credentials != (registries.Credentials{Username: s.Credentials.Username}),
		},
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, registryPath(id)+"?done=saved")
}
