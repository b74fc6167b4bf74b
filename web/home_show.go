package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/views/home"
)

// homeShow renders the overview.
func (h *Handler) homeShow(c echo.Context) error {
	return render(c, http.StatusOK, home.Page(home.Model{Page: h.page(c, "Overview", "overview")}))
}
