package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/views/images"
)

// imageScanStatus answers the image page's scan panel, which polls while
// the latest scan is queued or running. When a poll finds it over, the
// answer fires "scans-finished" (HX-Trigger) so the page reloads its
// figures and findings, and carries no trigger of its own: polling stops.
func (h *Handler) imageScanStatusShow(c echo.Context) error {
	im, err := h.imageFromPath(c)
	if err != nil {
		return err
	}
	st, err := h.imageScanStatus(c.Request().Context(), im.ID)
	if err != nil {
		return err
	}
	if c.QueryParam("polling") != "" && st.PollURL == "" {
		c.Response().Header().Set("HX-Trigger", scansFinishedEvent)
	}
	return render(c, http.StatusOK, images.ScanStatusPanel(st))
}

// scansFinishedEvent is the event live pages listen to for reloading
// what a finished scan changed.
const scansFinishedEvent = "scans-finished"
