package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/registries"
	registriesview "github.com/palisadesec/palisade/views/registries"
)

// registryNew renders the form to connect a registry.
func (h *Handler) registryNew(c echo.Context) error {
	if err := h.needRegistrySettings(); err != nil {
		return err
	}
	return render(c, http.StatusOK, registriesview.Form(registriesview.FormModel{
		Page: h.page(c, "Connect a registry", "registries"), Action: "/settings/registries",
		CancelURL: "/settings/registries",
		Values:    registriesview.FormValues{AuthKind: registries.AuthNone, ScanOnPush: true},
	}))
}
