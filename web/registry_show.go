package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/registries"
	registriesview "github.com/palisadesec/palisade/views/registries"
)

// registryShow renders one registry: its settings (secrets left out),
// the webhook URL and secret with the texts that say where to paste them,
// the connection test, and links to edit or remove it.
func (h *Handler) registryShow(c echo.Context) error {
	if err := h.needRegistrySettings(); err != nil {
		return err
	}
	m, err := h.registryShowModel(c)
	if err != nil {
		return err
	}
	switch c.QueryParam("done") {
	case "created":
		m.Flash = "Connected. Paste the webhook below into the registry, so that pushes are scanned at once."
	case "saved":
		m.Flash = "Saved."
	}
	return render(c, http.StatusOK, registriesview.Show(m))
}

func (h *Handler) registryShowModel(c echo.Context) (registriesview.ShowModel, error) {
	id, err := idParam(c)
	if err != nil {
		return registriesview.ShowModel{}, err
	}
	ctx := c.Request().Context()
	r, err := h.store.RegistrySummary(ctx, id)
	if err != nil {
		return registriesview.ShowModel{}, err
	}
	conn, err := h.regs.Open(ctx, id)
	if err != nil {
		return registriesview.ShowModel{}, err
	}
	setup, err := h.regs.WebhookSetup(r.Registry)
	if err != nil {
		return registriesview.ShowModel{}, err
	}
	return registriesview.ShowModel{
		Page: h.page(c, r.Name+" · registry", "registries"), ID: r.ID, Name: r.Name, URL: r.URL,
		InsecureHTTP: r.InsecureHTTP, HasCABundle: r.CABundle != "", AuthKind: r.AuthKind,
		Username: conn.Creds.Username, Include: r.IncludePatterns, Exclude: r.ExcludePatterns,
		ScanOnPush: r.ScanOnPush, Polling: pollingLabel(r.PollInterval), LastPolledAt: r.LastPolledAt,
		Repositories: r.Repositories, Images: r.Images,
		Webhook: registriesview.Webhook{
			URL: setup.URL, Secret: setup.Secret, DistributionIntro: registries.DistributionIntro,
			DistributionConfig: setup.DistributionConfig(), HarborInstructions: registries.HarborInstructions,
		},
	}, nil
}
