package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
)

// authLogin sends the browser to the OpenID provider to sign in, with
// ?next= (a local path) as the page to come back to.
func (h *Handler) authLogin(c echo.Context) error {
	next := auth.SafeNext(c.QueryParam("next"))
	if h.auth.LocalMode() {
		return c.Redirect(http.StatusFound, "/")
	}
	if !principalOf(c).Anonymous() {
		return c.Redirect(http.StatusFound, next)
	}
	if isHTMX(c.Request()) {
		// A boosted link cannot follow a redirect to another origin; ask
		// htmx to load this URL in the whole window.
		c.Response().Header().Set("HX-Redirect", c.Request().URL.RequestURI())
		return c.NoContent(http.StatusNoContent)
	}

	target, cookie, err := h.auth.BeginSignIn(c.Request().Context(), next)
	if errors.Is(err, auth.ErrProviderUnavailable) {
		return h.signInProblem(c, http.StatusServiceUnavailable, "Identity provider unreachable",
			"Palisade could not reach the identity provider to start signing in. Try again in a moment; if it persists, check PALISADE_OIDC_ISSUER_URL.", err)
	}
	if err != nil {
		return err
	}
	c.SetCookie(cookie)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusFound, target)
}
