package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/store"
)

// WebhookReceiver handles registry push notifications.
type WebhookReceiver interface {
	HandleWebhook(ctx context.Context, token, authorization string, body []byte) (scan.WebhookResult, error)
}

// maxWebhookBody bounds a notification: distribution batches a few events
// per envelope, each well under a kilobyte.
const maxWebhookBody = 256 << 10

// hookRegistryCreate receives a registry's push notification. The token
// in the path picks the registry; the secret in Authorization proves the
// call comes from it.
func (h *Handler) hookRegistryCreate(c echo.Context) error {
	if h.hooks == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "scanning is not configured")
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxWebhookBody+1))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "could not read the notification body")
	}
	if len(body) > maxWebhookBody {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "notification larger than 256 KiB")
	}

	res, err := h.hooks.HandleWebhook(c.Request().Context(), c.Param("token"), c.Request().Header.Get("Authorization"), body)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, "unknown webhook")
	case errors.Is(err, registries.ErrBadSecret):
		h.log.Warn("Registry webhook with a wrong secret", slog.String("remote_ip", c.RealIP()))
		return echo.NewHTTPError(http.StatusUnauthorized, "webhook secret does not match")
	case errors.Is(err, scan.ErrBadPayload):
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	case err != nil:
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]int{"events": res.Events, "queued": res.Queued, "skipped": res.Skipped})
}
