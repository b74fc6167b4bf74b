package web

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	authview "github.com/palisadesec/palisade/views/auth"
)

// access is who may call a route. Every route declares one in the route
// table; see routeTable.
type access struct {
	// public routes need no sign-in.
	public bool
	// session routes look up the caller's session: all routes that need a
	// role, and public pages that show who is signed in.
	session bool
	min     auth.Role
}

// The accesses a route can declare.
var (
	// public: probes, metrics, static files, and machine endpoints that
	// authenticate by other means (webhook secrets, agent credentials).
	// Nothing about the caller is looked up.
	public = access{public: true}
	// publicPage: the sign-in routes, which anyone may reach but which
	// know who is signed in.
	publicPage = access{public: true, session: true}
	// minViewer, minOperator and minAdmin need a signed-in user with at
	// least that role.
	minViewer   = access{session: true, min: auth.RoleViewer}
	minOperator = access{session: true, min: auth.RoleOperator}
	minAdmin    = access{session: true, min: auth.RoleAdmin}
)

func (a access) String() string {
	switch {
	case a.public && a.session:
		return "public page"
	case a.public:
		return "public"
	}
	return "min " + a.min.String()
}

// routeTable registers routes together with the access each declares, and
// guards each with it. A route added to echo directly declares nothing:
// TestEveryRouteDeclaresAccess fails, and requests to it are refused.
type routeTable struct {
	e *echo.Echo
	h *Handler
}

// GET registers a GET route.
func (t routeTable) GET(path string, a access, fn echo.HandlerFunc) {
	t.add(http.MethodGet, path, a, fn)
}

// POST registers a POST route.
func (t routeTable) POST(path string, a access, fn echo.HandlerFunc) {
	t.add(http.MethodPost, path, a, fn)
}

// PUT registers a PUT route.
func (t routeTable) PUT(path string, a access, fn echo.HandlerFunc) {
	t.add(http.MethodPut, path, a, fn)
}

// PATCH registers a PATCH route.
func (t routeTable) PATCH(path string, a access, fn echo.HandlerFunc) {
	t.add(http.MethodPatch, path, a, fn)
}

// DELETE registers a DELETE route.
func (t routeTable) DELETE(path string, a access, fn echo.HandlerFunc) {
	t.add(http.MethodDelete, path, a, fn)
}

// Static serves fsys under prefix to anyone.
func (t routeTable) Static(prefix string, fsys fs.FS) {
	t.add(http.MethodGet, prefix+"*", public, echo.StaticDirectoryHandler(fsys, !t.e.EnablePathUnescapingStaticFiles))
}

func (t routeTable) add(method, path string, a access, fn echo.HandlerFunc) {
	key := routeKey(method, path)
	if _, dup := t.h.routes[key]; dup {
		panic("web: route declared twice: " + key)
	}
	t.h.routes[key] = a
	t.e.Add(method, path, fn, t.h.guard(a))
}

func routeKey(method, path string) string {
	return method + " " + path
}

// refuseUndeclared is the backstop behind the route table: a request that
// reaches a route registered around it is refused, not served unguarded.
func (h *Handler) refuseUndeclared(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := routeKey(c.Request().Method, c.Path())
		if h.undeclared[key] {
			h.log.Error("Route declares no access; refused", slog.String("route", key))
			return echo.NewHTTPError(http.StatusForbidden, "this route declares no access rule")
		}
		return next(c)
	}
}

// findUndeclared records routes registered without the route table.
func (h *Handler) findUndeclared(e *echo.Echo) {
	for _, r := range e.Routes() {
		key := routeKey(r.Method, r.Path)
		if _, ok := h.routes[key]; !ok {
			h.undeclared[key] = true
			h.log.Error("Route declares no access and will refuse every request", slog.String("route", key))
		}
	}
}

// guard enforces a route's access: it looks up who is calling, sends the
// anonymous to sign in, checks the CSRF token of state-changing requests,
// and refuses roles below the route's minimum.
func (h *Handler) guard(a access) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		requireRole := h.RequireRole(a.min)(next)
		return func(c echo.Context) error {
			if a.session || !a.public || needsCSRF(c.Request()) {
				if err := h.loadPrincipal(c); err != nil {
					return err
				}
			}
			// The anonymous hear "sign in" before "bad token": a CSRF 403
			// would not tell them what to do.
			if !a.public && principalOf(c).Anonymous() {
				return h.denyAnonymous(c)
			}
			if err := h.checkCSRF(c); err != nil {
				return err
			}
			if a.public {
				return next(c)
			}
			// Pages for signed-in users stay out of caches, so Back after
			// signing out shows nothing. A handler may set its own policy.
			c.Response().Header().Set("Cache-Control", "no-store")
			return requireRole(c)
		}
	}
}

// RequireRole lets through principals with at least role min. The
// anonymous are sent to sign in: page requests by redirect, everything
// else (htmx, /api, POSTs) with 401. Lower roles get 403, as a page for
// page requests. It expects the principal loaded, as guard does.
func (h *Handler) RequireRole(min auth.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := principalOf(c)
			if p.Anonymous() {
				return h.denyAnonymous(c)
			}
			if !p.Role.AtLeast(min) {
				return h.forbid(c, p, min)
			}
			return next(c)
		}
	}
}

func (h *Handler) denyAnonymous(c echo.Context) error {
	r := c.Request()
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && isPageRequest(r) {
		return c.Redirect(http.StatusFound, loginPath(r.URL.RequestURI()))
	}
	if isHTMX(r) {
		// htmx does not follow a 401; this header makes it load the
		// sign-in page in the whole window instead.
		c.Response().Header().Set("HX-Redirect", loginPath(htmxReturnPath(r)))
	}
	return echo.NewHTTPError(http.StatusUnauthorized, "sign in required")
}

func (h *Handler) forbid(c echo.Context, p auth.Principal, min auth.Role) error {
	r := c.Request()
	if !isPageRequest(r) {
		return echo.NewHTTPError(http.StatusForbidden,
			fmt.Sprintf("this needs the %s role; you are %s", min, p.Role))
	}
	h.log.Warn("Request refused", slog.Int("status", http.StatusForbidden), slog.String("path", r.URL.Path),
		slog.Int64("user_id", p.UserID), slog.String("role", p.Role.String()), slog.String("needed", min.String()))
	return render(c, http.StatusForbidden, authview.Forbidden(authview.ForbiddenModel{
		Page: h.page(c, "Not allowed", ""), Needed: min.String(), Have: p.Role.String(),
	}))
}

// isPageRequest tells a browser loading a page from htmx, API and other
// machine requests.
func isPageRequest(r *http.Request) bool {
	return !isHTMX(r) && !strings.HasPrefix(r.URL.Path, "/api/") &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

func isHTMX(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true"
}

// htmxReturnPath is the page to come back to after signing in: the target
// of a boosted navigation, else the page the htmx request came from.
func htmxReturnPath(r *http.Request) string {
	if r.Header.Get("HX-Boosted") == "true" && r.Method == http.MethodGet {
		return r.URL.RequestURI()
	}
	if u, err := url.Parse(r.Header.Get("HX-Current-URL")); err == nil && u.Path != "" {
		return u.RequestURI()
	}
	return "/"
}

func loginPath(next string) string {
	return "/auth/login?next=" + url.QueryEscape(auth.SafeNext(next))
}
