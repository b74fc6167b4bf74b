package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/views/auth/viewer"
)

// csrfExemptPrefixes are machine endpoints that authenticate every request
// themselves and carry no cookie: registry webhooks (by a shared secret)
// and the Docker host agent (by its credentials).
var csrfExemptPrefixes = []string{"/hooks/", "/api/agent/"}

// checkCSRF refuses a state-changing request without a valid CSRF token
// in the X-CSRF-Token header or the _csrf form field. Tokens are bound to
// the session, or without one to the browser's palisade_csrf cookie.
func (h *Handler) checkCSRF(c echo.Context) error {
	r := c.Request()
	if !needsCSRF(r) {
		return nil
	}
	binding, _ := c.Get(csrfBindingKey).(string)
	token := r.Header.Get(viewer.CSRFHeader)
	if token == "" {
		// The form body only: a token in the query string would leak
		// into logs and Referer headers.
		token = r.PostFormValue(viewer.CSRFField)
	}
	if !h.auth.ValidCSRF(binding, token) {
		return echo.NewHTTPError(http.StatusForbidden, "CSRF token missing or invalid; reload the page and try again")
	}
	return nil
}

// needsCSRF reports whether r changes state on behalf of a browser: any
// method but GET, HEAD and OPTIONS, except machine endpoints and API calls
// that carry a bearer token and no session cookie, which a browser cannot
// be tricked into sending cross-site.
func needsCSRF(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	for _, p := range csrfExemptPrefixes {
		if strings.HasPrefix(r.URL.Path, p) {
			return false
		}
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		if _, err := r.Cookie(auth.SessionCookie); err != nil {
			return false
		}
	}
	return true
}
