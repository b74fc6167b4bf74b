package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/hosts"
	"github.com/palisadesec/palisade/internal/notify"
	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/store"
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
	// Auth signs people in and tells who is calling; nil is allowed in
	// local mode only (tests).
	Auth *auth.Service
	// Store answers the console's queries; Scans queues scans and
	// Registries manages registry connections. Nil in tests that do not
	// need them.
	Store      *store.Store
	Scans      *scan.Service
	Registries *registries.Manager
	// Hosts enrols Docker hosts and takes their agents' snapshots; nil
	// answers 503 on the host routes.
	Hosts *hosts.Service
	// Jobs queues background jobs (feed syncs) and Webhooks manages
	// outgoing webhooks; nil answers 503 on the routes that need them.
	Jobs     JobInserter
	Webhooks *notify.Service
}

// Handler holds the dependencies shared by every route.
type Handler struct {
	cfg     *config.Config
	log     *slog.Logger
	ready   Readiness
	version string
	hooks   WebhookReceiver
	auth    *auth.Service
	store   *store.Store
	scans   *scan.Service
	regs    *registries.Manager
	hosts   *hosts.Service
	jobs    JobInserter
	notify  *notify.Service
	// routes is the access each route declares; undeclared lists routes
	// registered around the route table, which refuse every request.
	routes     map[string]access
	undeclared map[string]bool
}

// NewServer builds the echo instance with middleware and every route.
func NewServer(d Deps) *echo.Echo {
	e, _ := newServer(d)
	return e
}

func newServer(d Deps) (*echo.Echo, *Handler) {
	if d.Auth == nil {
		d.Auth = defaultAuth(d.Config)
	}
	h := &Handler{cfg: d.Config, log: d.Logger, ready: d.Readiness, version: d.Version, hooks: d.Hooks,
		auth: d.Auth, store: d.Store, scans: d.Scans, regs: d.Registries, hosts: d.Hosts,
		jobs: d.Jobs, notify: d.Webhooks,
		routes: map[string]access{}, undeclared: map[string]bool{}}
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
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: byteSize(d.Config.MaxBodyBytes),
		// Agent snapshots are larger and apply their own limit on the route.
		Skipper: func(c echo.Context) bool { return ownBodyLimit[routeKey(c.Request().Method, c.Path())] },
	}))
	e.Use(secureHeaders(formActionOrigins(d.Config)...))
	e.Use(h.refuseUndeclared)

	registerRoutes(e, h, reg)
	h.findUndeclared(e)
	return e, h
}

// registerRoutes is the whole route table. Each route declares who may
// call it (public, publicPage, minViewer, minOperator, minAdmin; see
// middleware_access.go), and routes_test.go checks every one.
func registerRoutes(e *echo.Echo, h *Handler, reg *prometheus.Registry) {
	r := routeTable{e: e, h: h}

	// Probes and metrics. /metrics is public like the probes: scrapers
	// do not sign in, and it holds counts by route pattern only. Keep it
	// off the public internet at the proxy.
	r.GET("/healthz", public, h.healthShow)
	r.GET("/readyz", public, h.readyShow)
	r.GET("/metrics", public, echoprometheus.NewHandlerWithConfig(echoprometheus.HandlerConfig{Gatherer: reg}))

	// Static assets
	sub, _ := fs.Sub(static.FS, ".")
	r.Static("/static", sub)

	// Registry webhooks: authenticated by each registry's secret
	r.POST("/hooks/registry/:token", public, h.hookRegistryCreate)

	// Auth
	r.GET("/auth/login", publicPage, h.authLogin)
	r.GET("/auth/callback", publicPage, h.authCallback)
	r.POST("/auth/logout", publicPage, h.authLogout)
	r.GET("/auth/signed-out", publicPage, h.authSignedOut)
	r.GET("/me", minViewer, h.userShow)
	r.POST("/users/:id/sessions/revoke", minAdmin, h.authSessionsRevoke)

	// Pages
	r.GET("/", minViewer, h.homeShow)

	// Feature areas register their routes in their own files
	// (routes_<area>.go), each with its section of the table.
	registerAreaRoutes(r, h)
}

// registerAreaRoutes calls each area's route registration. Add one line
// per area.
func registerAreaRoutes(r routeTable, h *Handler) {
	registerHostRoutes(r, h)
	registerRemediationRoutes(r, h)
	registerAPIRoutes(r, h)
	registerConsoleRoutes(r, h)
}

// secureHeaders sets the browser protections every response carries. The
// policy allows scripts and styles from our own origin only: no inline
// script, no eval. Forms post to our own origin and, through redirects,
// to formActions.
func secureHeaders(formActions ...string) echo.MiddlewareFunc {
	formAction := strings.Join(append([]string{"'self'"}, formActions...), " ")
	return middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		HSTSMaxAge:            31536000,
		ReferrerPolicy:        "same-origin",
		ContentSecurityPolicy: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action " + formAction + "; object-src 'none'",
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
// until timeout to finish. The address is bound before anything is logged,
// so the log names the real port and a busy one fails at once.
func Serve(ctx context.Context, e *echo.Echo, addr string, timeout time.Duration, log *slog.Logger) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (PALISADE_LISTEN_ADDR): %w", addr, err)
	}
	e.Listener = l
	errc := make(chan error, 1)
	go func() { errc <- e.Start("") }()
	log.Info("HTTP server listening", slog.String("addr", l.Addr().String()))

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
