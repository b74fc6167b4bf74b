package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/views/auth/viewer"
)

// Keys of what loadPrincipal leaves in the echo context.
const (
	principalKey   = "palisade.principal"
	csrfBindingKey = "palisade.csrf_binding"
)

// browserCSRFCookie holds a random value that CSRF tokens are bound to
// when there is no session: in local mode and before sign-in.
const browserCSRFCookie = "palisade_csrf"

// loadPrincipal finds who is calling, once per request, and puts them in
// the echo context and, for the views, in the request context together
// with a CSRF token.
func (h *Handler) loadPrincipal(c echo.Context) error {
	if _, ok := c.Get(principalKey).(auth.Principal); ok {
		return nil
	}
	p, err := h.callerPrincipal(c)
	if err != nil {
		return err
	}
	binding := p.CSRFBinding
	if binding == "" {
		binding = h.browserBinding(c)
	}
	c.Set(principalKey, p)
	c.Set(csrfBindingKey, binding)

	v := viewer.Viewer{CSRFToken: h.auth.CSRFToken(binding)}
	if !p.Anonymous() {
		v.Name, v.Role, v.CanSignOut = p.Name, p.Role.String(), !p.Local
	}
	r := c.Request()
	c.SetRequest(r.WithContext(viewer.With(r.Context(), v)))
	return nil
}

// sessionPrincipal reads the session cookie. A cookie naming no live
// session is deleted, and the request goes on as anonymous.
func (h *Handler) sessionPrincipal(c echo.Context) (auth.Principal, error) {
	if h.auth.LocalMode() {
		return auth.LocalAdmin(), nil
	}
	ck, err := c.Cookie(auth.SessionCookie)
	if err != nil || ck.Value == "" {
		return auth.Principal{}, nil
	}
	p, err := h.auth.Authenticate(c.Request().Context(), ck.Value)
	switch {
	case errors.Is(err, auth.ErrNoSession):
		c.SetCookie(h.auth.ClearSessionCookie())
		return auth.Principal{}, nil
	case errors.Is(err, auth.ErrProviderUnavailable):
		return p, echo.NewHTTPError(http.StatusServiceUnavailable,
			"the identity provider is unreachable, so your session cannot be renewed; try again shortly").SetInternal(err)
	}
	return p, err
}

// browserBinding returns what this browser's CSRF tokens are bound to
// without a session, setting the cookie it needs on first sight.
func (h *Handler) browserBinding(c echo.Context) string {
	if ck, err := c.Cookie(browserCSRFCookie); err == nil && auth.ValidBrowserSecret(ck.Value) {
		return auth.BrowserBinding(ck.Value)
	}
	secret := auth.NewBrowserSecret()
	c.SetCookie(&http.Cookie{
		Name: browserCSRFCookie, Value: secret, Path: "/",
		HttpOnly: true, Secure: h.auth.SecureCookies(), SameSite: http.SameSiteLaxMode,
	})
	return auth.BrowserBinding(secret)
}

// principalOf returns who is calling; the zero Principal (anonymous) on
// routes that do not look it up.
func principalOf(c echo.Context) auth.Principal {
	p, _ := c.Get(principalKey).(auth.Principal)
	return p
}
