package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
)

// authLogout ends the session (the guard has checked the CSRF token), then
// sends the browser to the provider's logout when it has one, so that
// signing in again asks who you are.
func (h *Handler) authLogout(c echo.Context) error {
	if h.auth.LocalMode() {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	var token string
	if ck, err := c.Cookie(auth.SessionCookie); err == nil {
		token = ck.Value
	}
	target, err := h.auth.SignOut(c.Request().Context(), token, c.RealIP())
	if err != nil {
		return err
	}
	c.SetCookie(h.auth.ClearSessionCookie())
	if target == "" {
		target = "/auth/signed-out"
	}
	if isHTMX(c.Request()) {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, target)
}
