package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
	registriesview "github.com/palisadesec/palisade/views/registries"
)

// registryCreate connects a registry and shows its page with the webhook
// to paste into it. A form with problems comes back with them listed,
// with status 200 as every console form does, so that htmx swaps it in.
func (h *Handler) registryCreate(c echo.Context) error {
	if err := h.needRegistrySettings(); err != nil {
		return err
	}
	s, values, problems := registryForm(c)
	form := registriesview.FormModel{
		Page: h.page(c, "Connect a registry", "registries"), Action: "/settings/registries",
		CancelURL: "/settings/registries", Values: values, Errors: problems,
	}
	if len(problems) > 0 {
		return render(c, http.StatusOK, registriesview.Form(form))
	}
	conn, _, err := h.regs.Add(c.Request().Context(), s)
	if msgs, ok := formProblems(err, s.Name); ok {
		form.Errors = msgs
		return render(c, http.StatusOK, registriesview.Form(form))
	}
	if err != nil {
		return err
	}

	err = h.recordAudit(c, store.AuditEntry{
		Action: "registry.created", ResourceKind: "registry", ResourceID: strconv.FormatInt(conn.ID, 10),
		Details: map[string]any{"name": conn.Name, "url": conn.URL, "auth_kind": conn.AuthKind, "scan_on_push": conn.ScanOnPush},
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, registryPath(conn.ID)+"?done=created")
}
