package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/hosts"
	"github.com/palisadesec/palisade/internal/store"
	hostsview "github.com/palisadesec/palisade/views/hosts"
)

// hostTokenCreate makes a one-time enrolment token and shows it once,
// with the command that runs the agent. Nothing about the token but its
// hash is kept, so the page is not a redirect: the token exists only in
// this response.
func (h *Handler) hostTokenCreate(c echo.Context) error {
	if err := h.hostsReady(); err != nil {
		return err
	}
	lifetime := c.FormValue("expires")
	if lifetime == "" {
		lifetime = "24h"
	}
	ttl, err := time.ParseDuration(lifetime)
	if err != nil {
		return h.rerenderHostSettings(c, lifetime, "expires must be a duration such as 24h")
	}

	tok, err := h.hosts.CreateToken(c.Request().Context(), ttl, principalOf(c).Name)
	if errors.Is(err, hosts.ErrBadTTL) {
		return h.rerenderHostSettings(c, lifetime, err.Error())
	}
	if err != nil {
		return err
	}
	err = h.recordAudit(c, store.AuditEntry{
		Action: "host.enrolment_token_created", ResourceKind: "enrolment_token",
		ResourceID: strconv.FormatInt(tok.ID, 10), Details: map[string]any{"expires_at": tok.ExpiresAt},
	})
	if err != nil {
		return err
	}

	if !isPageRequest(c.Request()) && !isHTMX(c.Request()) {
		return c.JSON(http.StatusCreated, map[string]any{"id": tok.ID, "token": tok.Secret, "expires_at": tok.ExpiresAt})
	}
	m, err := h.hostSettingsModel(c, lifetime)
	if err != nil {
		return err
	}
	m.NewToken = &hostsview.NewToken{
		Secret: tok.Secret, ExpiresAt: hostTime(tok.ExpiresAt),
		AgentCommand: "palisade-agent -server " + h.cfg.BaseURL.String() + " -token " + tok.Secret,
	}
	return render(c, http.StatusOK, hostsview.Settings(m))
}

func (h *Handler) rerenderHostSettings(c echo.Context, lifetime, msg string) error {
	m, err := h.hostSettingsModel(c, lifetime)
	if err != nil {
		return err
	}
	m.Error = msg
	return render(c, http.StatusOK, hostsview.Settings(m))
}
