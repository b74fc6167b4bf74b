package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	hostsview "github.com/palisadesec/palisade/views/hosts"
)

// hostList lists the enrolled Docker hosts with their latest snapshot's
// summary.
func (h *Handler) hostList(c echo.Context) error {
	if err := h.hostsReady(); err != nil {
		return err
	}
	section, err := h.hostsSection(c)
	if err != nil {
		return err
	}
	section.HideHeading = true
	return render(c, http.StatusOK, hostsview.List(hostsview.ListModel{
		Page: h.page(c, "Docker hosts", "hosts"), Section: section,
	}))
}
