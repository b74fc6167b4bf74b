package web

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/static"
)

// Readiness is what /readyz asks: is the database reachable and its
// schema the one this binary expects.
type Readiness interface {
	CheckSchema(ctx context.Context) error
}

// Deps are what the handlers need from the rest of the program.
type Deps struct {
	Config    *config.Config
	Logger    *slog.Logger
	Readiness Readiness
	// Registry receives the HTTP metrics; nil means a private registry.
	Registry *prometheus.Registry
	Version  string
	// Hooks handles registry push notifications; nil answers 503.
	Hooks WebhookReceiver
}

// Handler holds the dependencies shared by every route.
type Handler struct {
	cfg     *config.Config
	log     *slog.Logger
	ready   Readiness
	version string
	hooks   WebhookReceiver
}

// NewServer builds the echo instance with middleware and every route.
func NewServer(d Deps) *echo.Echo {
	h := &Handler{cfg: d.Config, log: d.Logger, ready: d.Readiness, version: d.Version, hooks: d.Hooks}
	reg := d.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = h.handleError
	e.Server.ReadHeaderTimeout = 10 * time.Second
	e.Server.IdleTimeout = 2 * time.Minute

	e.Use(middleware.RequestID())
	e.Use(middleware.Recover())
	e.Use(requestLogger(d.Logger))
	e.Use(echoprometheus.NewMiddlewareWithConfig(echoprometheus.MiddlewareConfig{
		Namespace:  "palisade",
		Subsystem:  "http",
		Registerer: reg,
		// Label by route pattern, never by raw path, so an attacker cannot
		// grow the metric set without bound.
		DoNotUseRequestPathFor404: true,
	}))
	e.Use(middleware.BodyLimit(byteSize(d.Config.MaxBodyBytes)))
	e.Use(secureHeaders())

	registerRoutes(e, h, reg)
	return e
}

func registerRoutes(e *echo.Echo, h *Handler, reg *prometheus.Registry) {
	// Probes and metrics
	e.GET("/healthz", h.healthShow)
	e.GET("/readyz", h.readyShow)
	e.GET("/metrics", echoprometheus.NewHandlerWithConfig(echoprometheus.HandlerConfig{Gatherer: reg}))

	// Static assets
	sub, _ := fs.Sub(static.FS, ".")
	e.StaticFS("/static", sub)

	// Registry webhooks: authenticated by each registry's secret
	e.POST("/hooks/registry/:token", h.hookRegistryCreate)

	// Pages
	e.GET("/", h.homeShow)
}

// secureHeaders sets the browser protections every response carries. The
// policy allows scripts and styles from our own origin only: no inline
// script, no eval.
func secureHeaders() echo.MiddlewareFunc {
	return middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		HSTSMaxAge:            31536000,
		ReferrerPolicy:        "same-origin",
		ContentSecurityPolicy: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
	})
}

// requestLogger writes one structured line per request.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true,
		LogRequestID: true, LogRemoteIP: true, LogError: true, HandleError: true,
		Skipper: func(c echo.Context) bool {
			p := c.Path()
			return p == "/healthz" || p == "/readyz" || p == "/metrics"
		},
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "Request",
				slog.String("method", v.Method),
				slog.String("path", v.URIPath),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
				slog.String("request_id", v.RequestID),
				slog.String("remote_ip", v.RemoteIP),
			)
			return nil
		},
	})
}

// Serve runs e on addr until ctx ends, then gives in-flight requests
// until timeout to finish.
func Serve(ctx context.Context, e *echo.Echo, addr string, timeout time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- e.Start(addr) }()
	log.Info("HTTP server listening", slog.String("addr", addr))

	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	log.Info("HTTP server shutting down", slog.Duration("timeout", timeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return e.Shutdown(shutdownCtx)
}
