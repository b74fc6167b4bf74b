package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthShow answers while the process is alive, whatever the database does.
func (h *Handler) healthShow(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyShow answers 200 only when the database is reachable and migrated
// to this binary's schema, so load balancers route around a bad instance.
func (h *Handler) readyShow(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := h.ready.CheckSchema(ctx); err != nil {
		h.log.Warn("Not ready", slog.Any("error", err))
		return c.String(http.StatusServiceUnavailable, "not ready: database unavailable or schema not current\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
