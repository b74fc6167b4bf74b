package web

import (
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/views/layout"
)

// render writes a templ component with the given status.
func render(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Add("Vary", "HX-Request")
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

// page fills the shell fields every full page needs.
func (h *Handler) page(c echo.Context, title, active string) layout.Page {
	return layout.Page{
		Title:     title,
		Active:    active,
		LocalMode: h.cfg.LocalMode(),
		Version:   h.version,
	}
}

func byteSize(n int64) string {
	return strconv.FormatInt(n, 10) + "B"
}

var _ = http.StatusOK
