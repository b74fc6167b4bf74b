package web

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// renderPartial writes partial when the request is htmx swapping the
// element with id target (not a boosted navigation, not a history
// restore), and page otherwise: a first load, a bookmark, a reload or a
// boosted link gets the whole page. Other htmx requests to the same URL,
// such as a region that refreshes itself with hx-select, get the page too.
func renderPartial(c echo.Context, status int, page templ.Component, target string, partial templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Target")
	if wantsFragment(c.Request(), target) {
		return render(c, status, partial)
	}
	return render(c, status, page)
}

// wantsFragment reports whether r is htmx asking to swap only the
// element with id target.
func wantsFragment(r *http.Request, target string) bool {
	return isHTMX(r) && r.Header.Get("HX-Boosted") != "true" &&
		r.Header.Get("HX-History-Restore-Request") != "true" && r.Header.Get("HX-Target") == target
}
