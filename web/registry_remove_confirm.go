package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	registriesview "github.com/palisadesec/palisade/views/registries"
)

// registryRemoveConfirm asks before removing a registry, saying what
// goes with it.
func (h *Handler) registryRemoveConfirm(c echo.Context) error {
	if err := h.needRegistrySettings(); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	r, err := h.store.RegistrySummary(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, registriesview.Remove(registriesview.RemoveModel{
		Page: h.page(c, "Remove "+r.Name, "registries"), ID: id, Name: r.Name,
		Repositories: r.Repositories, Images: r.Images,
	}))
}
