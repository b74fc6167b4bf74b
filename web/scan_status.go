package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/views/scans"
)

// scanStatus answers the scans page's live list, which polls it every
// two seconds while a scan is queued or running. The answer once none is
// carries no trigger, so polling stops.
func (h *Handler) scanStatus(c echo.Context) error {
	if err := h.needConsoleStore(); err != nil {
		return err
	}
	live, err := h.liveScans(c, parseScansQuery(c), "scans-live", "/scans/status", 0)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, scans.Live(live))
}

// recentScansSize is how many scans the overview shows.
const recentScansSize = 5

// scanRecent answers the overview's latest scans, polled the same way.
func (h *Handler) scanRecent(c echo.Context) error {
	if err := h.needConsoleStore(); err != nil {
		return err
	}
	live, err := h.liveScans(c, scansQuery{Page: 1}, "recent-scans", "/scans/recent", recentScansSize)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, scans.Live(live))
}
