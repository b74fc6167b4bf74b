package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
)

// agentProblem is an RFC 9457 problem document: how the agent API refuses.
type agentProblem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// agentError is an agent request refused with a title and a detail the
// agent logs.
type agentError struct {
	status int
	title  string
	detail string
}

func (e *agentError) Error() string { return e.title + ": " + e.detail }

func agentRefuse(status int, title, detail string) error {
	return &agentError{status: status, title: title, detail: detail}
}

// agentAPI answers the errors of an agent endpoint with
// application/problem+json, the format palisade-agent reads
// (docs/agent-protocol.md), and logs them like handleError does: 5xx at
// Error, 4xx at Warn. Internal details never reach the agent.
func (h *Handler) agentAPI(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		p := agentProblemFor(err)
		attrs := []any{slog.Int("status", p.Status), slog.String("path", c.Request().URL.Path),
			slog.String("remote_ip", c.RealIP()), slog.Any("error", err)}
		if p.Status >= 500 {
			h.log.Error("Agent request failed", attrs...)
		} else {
			h.log.Warn("Agent request refused", attrs...)
		}
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		c.Response().WriteHeader(p.Status)
		return json.NewEncoder(c.Response()).Encode(p)
	}
}

func agentProblemFor(err error) agentProblem {
	var ae *agentError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
		return agentProblem{Type: "about:blank", Title: ae.title, Status: ae.status, Detail: ae.detail}
	case errors.As(err, &he):
		p := agentProblem{Type: "about:blank", Title: http.StatusText(he.Code), Status: he.Code}
		if m, ok := he.Message.(string); ok {
			p.Detail = m
		}
		return p
	}
	return agentProblem{Type: "about:blank", Title: http.StatusText(http.StatusInternalServerError), Status: http.StatusInternalServerError}
}
