package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/views/scans"
)

// scanList renders the scans page. htmx gets the filters and list for a
// filter change, or the list alone for a page change.
func (h *Handler) scanList(c echo.Context) error {
	if err := h.needConsoleStore(); err != nil {
		return err
	}
	q := parseScansQuery(c)
	live, err := h.liveScans(c, q, "scans-live", "/scans/status", 0)
	if err != nil {
		return err
	}
	table := scans.TableModel{Action: "/scans", State: q.State, Trigger: q.Trigger, Live: live}
	if wantsFragment(c.Request(), "scans-live") {
		c.Response().Header().Set("HX-Push-Url", withQuery("/scans", q.values()))
		return render(c, http.StatusOK, scans.Live(live))
	}
	if wantsFragment(c.Request(), "scans") {
		c.Response().Header().Set("HX-Push-Url", withQuery("/scans", q.values()))
	}
	page := scans.Page(scans.PageModel{Page: h.page(c, "Scans", "scans"), Table: table})
	return renderPartial(c, http.StatusOK, page, "scans", scans.Table(table))
}
