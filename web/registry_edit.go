package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	registriesview "github.com/palisadesec/palisade/views/registries"
)

// registryEdit renders the form to change a registry. Secret fields
// start empty: the stored secrets are never sent to the browser.
func (h *Handler) registryEdit(c echo.Context) error {
	if err := h.needRegistrySettings(); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	conn, err := h.regs.Open(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, registriesview.Form(registriesview.FormModel{
		Page: h.page(c, "Edit "+conn.Name, "registries"), Editing: true,
		Action: registryPath(id), CancelURL: registryPath(id), Values: registryFormValues(conn.Registry, conn.Creds.Username),
	}))
}
