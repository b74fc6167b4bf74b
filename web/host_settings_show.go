package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	hostsview "github.com/palisadesec/palisade/views/hosts"
)

// hostTokenLifetimes are the choices the settings page offers; the CLI takes
// any duration up to hosts.MaxTokenTTL.
var hostTokenLifetimes = []struct{ value, label string }{
	{"1h", "1 hour"}, {"24h", "1 day"}, {"168h", "7 days"}, {"720h", "30 days"},
}

// hostSettingsShow is the admin page for enrolling hosts: make and
// withdraw enrolment tokens, revoke credentials, delete hosts.
func (h *Handler) hostSettingsShow(c echo.Context) error {
	m, err := h.hostSettingsModel(c, "24h")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, hostsview.Settings(m))
}

func (h *Handler) hostSettingsModel(c echo.Context, lifetime string) (hostsview.SettingsModel, error) {
	if err := h.hostsReady(); err != nil {
		return hostsview.SettingsModel{}, err
	}
	ctx := c.Request().Context()
	tokens, err := h.store.PendingEnrolmentTokens(ctx)
	if err != nil {
		return hostsview.SettingsModel{}, err
	}
	list, err := h.store.Hosts(ctx)
	if err != nil {
		return hostsview.SettingsModel{}, err
	}

	m := hostsview.SettingsModel{Page: h.page(c, "Enrol Docker hosts", "host-settings")}
	for _, l := range hostTokenLifetimes {
		m.ExpiryChoices = append(m.ExpiryChoices, hostsview.Choice{Value: l.value, Label: l.label, Selected: l.value == lifetime})
	}
	for _, t := range tokens {
		m.Tokens = append(m.Tokens, hostsview.TokenRow{
			ID: t.ID, CreatedBy: t.CreatedBy, CreatedAt: hostTime(t.CreatedAt), ExpiresAt: hostTime(t.ExpiresAt),
		})
	}
	for _, x := range list {
		m.Hosts = append(m.Hosts, hostRow(x))
	}
	return m, nil
}
