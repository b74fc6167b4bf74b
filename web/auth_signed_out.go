package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	authview "github.com/palisadesec/palisade/views/auth"
)

// authSignedOut confirms the end of a session; the provider's logout
// returns here.
func (h *Handler) authSignedOut(c echo.Context) error {
	if h.auth.LocalMode() {
		return c.Redirect(http.StatusFound, "/")
	}
	return render(c, http.StatusOK, authview.SignedOut(authview.SignedOutModel{Page: h.page(c, "Signed out", "")}))
}
