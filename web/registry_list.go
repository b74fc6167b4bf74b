package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	registriesview "github.com/palisadesec/palisade/views/registries"
)

// registryList renders the registry settings: every connected registry.
func (h *Handler) registryList(c echo.Context) error {
	if err := h.needRegistrySettings(); err != nil {
		return err
	}
	regs, err := h.store.RegistrySummaries(c.Request().Context())
	if err != nil {
		return err
	}
	m := registriesview.ListModel{Page: h.page(c, "Registries", "registries")}
	if c.QueryParam("done") == "removed" {
		m.Flash = "The registry was removed, with everything Palisade stored about it."
	}
	for _, r := range regs {
		m.Registries = append(m.Registries, registriesview.Row{
			Name: r.Name, URL: r.URL, AuthKind: r.AuthKind, ScanOnPush: r.ScanOnPush,
			Polling: pollingLabel(r.PollInterval), Images: r.Images, ShowURL: registryPath(r.ID),
		})
	}
	return render(c, http.StatusOK, registriesview.List(m))
}

func registryPath(id int64) string {
	return "/settings/registries/" + strconv.FormatInt(id, 10)
}
