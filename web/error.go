package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
)

// handleError is the one place that turns errors into responses: store
// and echo errors map to their status, 5xx are logged at Error and 4xx at
// Warn, and internal details never reach the client.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	msg := http.StatusText(status)
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(status)
		}
	case errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, "Not found"
	}
	api := strings.HasPrefix(c.Request().URL.Path, "/api/")
	if s, m, ok := apiStatus(err); api && ok {
		status, msg = s, m
	}

	attrs := []any{slog.Int("status", status), slog.String("path", c.Request().URL.Path), slog.Any("error", err)}
	if status >= 500 {
		h.log.Error("Request failed", attrs...)
	} else {
		h.log.Warn("Request refused", attrs...)
	}
	if api {
		writeProblem(c, status, msg)
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.String(status, msg+"\n")
}
