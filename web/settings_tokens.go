package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/views/settings"
)

// tokenExpiries are the lifetimes the token form offers.
var tokenExpiries = []settings.Choice{
	{Value: "720h", Label: "30 days"}, {Value: "2160h", Label: "90 days", Selected: true},
	{Value: "8760h", Label: "1 year"}, {Value: "", Label: "never"},
}

// settingsTime shows a time on the settings pages.
func settingsTime(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// tokensModel builds the tokens page with its list.
func (h *Handler) tokensModel(c echo.Context) (settings.TokensModel, error) {
	m := settings.TokensModel{Page: h.page(c, "API tokens", "tokens"), ExpiryChoices: tokenExpiries}
	for _, r := range []auth.Role{auth.RoleViewer, auth.RoleOperator, auth.RoleAdmin} {
		m.Roles = append(m.Roles, settings.Choice{Value: r.String(), Label: r.String(), Selected: r == auth.RoleViewer})
	}
	list, err := h.store.APITokens(c.Request().Context())
	if err != nil {
		return m, err
	}
	now := time.Now()
	for _, t := range list {
		created := t.CreatedAt
		m.Tokens = append(m.Tokens, settings.TokenRow{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Role: t.Role,
			State: auth.APITokenState(t, now), CreatedBy: t.CreatedByName, CreatedAt: settingsTime(&created, ""),
			ExpiresAt: settingsTime(t.ExpiresAt, "never"), LastUsed: settingsTime(t.LastUsedAt, "never")})
	}
	return m, nil
}

func (h *Handler) settingsTokens(c echo.Context) error {
	m, err := h.tokensModel(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, settings.Tokens(m))
}

// settingsTokenCreate makes a token and shows it on the page, this once.
func (h *Handler) settingsTokenCreate(c echo.Context) error {
	name := c.FormValue("name")
	spec, err := tokenSpec(c, name, c.FormValue("role"), c.FormValue("expires"))
	if err == nil {
		err = spec.Validate(time.Now())
	}
	if err != nil {
		m, listErr := h.tokensModel(c)
		if listErr != nil {
			return listErr
		}
		m.Error, m.Name = strings.ReplaceAll(err.Error(), "\n", "; "), name
		return render(c, http.StatusOK, settings.Tokens(m)) // 200 so htmx shows the errors (STYLE.md)
	}
	_, token, err := h.issueToken(c, spec)
	if err != nil {
		return err
	}
	m, err := h.tokensModel(c)
	if err != nil {
		return err
	}
	m.NewToken, m.NewTokenName = token, spec.Name
	return render(c, http.StatusOK, settings.Tokens(m))
}

func (h *Handler) settingsTokenRevoke(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.revokeToken(c, id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/tokens")
}
