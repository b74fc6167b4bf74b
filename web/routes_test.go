package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/e2e/oidcprovider"
	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/store"
)

// These tests walk the whole route list as echo has it, so a route added
// later is checked without anyone listing it here: every route must
// declare its access in the route table, the anonymous are sent to sign
// in, roles below the declared minimum get 403, and state-changing
// requests without a CSRF token get 403.

// publicRoutes is every route anyone may call, listed on purpose: a route
// that becomes public, or stops being public, must change this list.
var publicRoutes = map[string]bool{
	"GET /healthz":                 true,
	"GET /readyz":                  true,
	"GET /metrics":                 true,
	"GET /static*":                 true,
	"GET /auth/login":              true,
	"GET /auth/callback":           true,
	"POST /auth/logout":            true,
	"GET /auth/signed-out":         true,
	"POST /hooks/registry/:token":  true,
	"POST /api/agent/v1/enroll":    true,
	"POST /api/agent/v1/snapshots": true,
	"GET /api/openapi.json":        true,
}

// publicPrefixes are where public routes may live; a public route
// elsewhere fails the test.
var publicPrefixes = []string{"/healthz", "/readyz", "/metrics", "/static", "/auth/", "/hooks/", "/api/agent/",
	"/api/openapi.json"}

type routeServer struct {
	e     *echo.Echo
	h     *Handler
	store *store.Store
	prov  *oidcprovider.Provider
}

// oidcTestEnv is what every OIDC-mode web test needs: settings pointing
// at a real (in-process) OpenID provider on loopback, a fresh database and
// the auth service.
type oidcTestEnv struct {
	cfg  *config.Config
	pool *pgxpool.Pool
	st   *store.Store
	log  *slog.Logger
	auth *auth.Service
	prov *oidcprovider.Provider
}

func newOIDCTestEnv(t *testing.T) oidcTestEnv {
	t.Helper()
	const base = "http://127.0.0.1:9"
	prov, err := oidcprovider.New(oidcprovider.Options{RedirectURIs: []string{base + "/auth/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prov.Close() })
	env := map[string]string{
		"PALISADE_OIDC_ISSUER_URL":    prov.Issuer,
		"PALISADE_OIDC_CLIENT_ID":     prov.ClientID,
		"PALISADE_OIDC_CLIENT_SECRET": prov.ClientSecret,
		"PALISADE_SECRET_KEY":         "web-test-secret-key-0123456789abcdef",
		"PALISADE_BASE_URL":           base,
	}
	cfg, err := config.LoadFrom(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	log := slog.New(slog.DiscardHandler)
	svc, err := auth.New(auth.Options{Config: cfg, Store: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return oidcTestEnv{cfg: cfg, pool: pool, st: st, log: log, auth: svc, prov: prov}
}

// deps returns the server dependencies of the environment; callers add
// the services their pages need.
func (env oidcTestEnv) deps() Deps {
	return Deps{Config: env.cfg, Logger: env.log, Readiness: fakeReadiness{}, Version: "test", Auth: env.auth}
}

// routeServer wraps a server built from env and d.
func (env oidcTestEnv) server(d Deps) routeServer {
	e, h := newServer(d)
	return routeServer{e: e, h: h, store: env.st, prov: env.prov}
}

// newOIDCServer runs the web layer in OIDC mode against a real database
// and a real (in-process) OpenID provider on loopback.
func newOIDCServer(t *testing.T) routeServer {
	t.Helper()
	env := newOIDCTestEnv(t)
	return env.server(env.deps())
}

// session signs a user with role in directly through the store and
// returns the session token.
func (s routeServer) session(t *testing.T, role string) string {
	t.Helper()
	ctx := context.Background()
	u, err := s.store.UpsertUserSignIn(ctx, store.User{Issuer: "routes-test", Subject: role, Name: role, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	_, err = s.store.CreateSession(ctx, store.Session{TokenHash: auth.HashToken(token), UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return token
}

type call struct {
	method, path string
	page         bool // Accept: text/html, as a browser loading a page
	htmx         bool
	session      string
	csrf         string
	bearer       bool
}

func (s routeServer) do(t *testing.T, c call) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(c.method, c.path, nil)
	if c.page {
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
	}
	if c.htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Current-URL", "http://127.0.0.1:9/images?page=2")
	}
	if c.session != "" {
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: c.session})
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.bearer {
		req.Header.Set("Authorization", "Bearer some-api-token")
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

// concretePath fills a route pattern's parameters so it can be requested.
func concretePath(pattern string) string {
	if pattern == "/static*" {
		return "/static/css/palisade.css"
	}
	p := regexp.MustCompile(`:[^/]+`).ReplaceAllString(pattern, "x")
	return strings.ReplaceAll(p, "*", "x")
}

func csrfExempt(path string) bool {
	for _, p := range csrfExemptPrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func sortedRoutes(e *echo.Echo) []*echo.Route {
	routes := e.Routes()
	sort.Slice(routes, func(i, j int) bool {
		return routeKey(routes[i].Method, routes[i].Path) < routeKey(routes[j].Method, routes[j].Path)
	})
	return routes
}

func TestEveryRouteDeclaresAccess(t *testing.T) {
	s := newOIDCServer(t)
	seen := map[string]bool{}
	for _, r := range sortedRoutes(s.e) {
		key := routeKey(r.Method, r.Path)
		seen[key] = true
		a, ok := s.h.routes[key]
		switch {
		case !ok:
			t.Errorf("%s declares no access: register it through the route table with public, publicPage, minViewer, minOperator or minAdmin", key)
		case a.public != publicRoutes[key]:
			t.Errorf("%s is %s, but publicRoutes says public=%v: update one of them on purpose", key, a, publicRoutes[key])
		case a.public && !hasAnyPrefix(r.Path, publicPrefixes):
			t.Errorf("%s is public outside %v", key, publicPrefixes)
		}
	}
	for key := range publicRoutes {
		if !seen[key] {
			t.Errorf("publicRoutes lists %s, which is not a route", key)
		}
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// TestUndeclaredRouteIsCaught proves the checks above catch a route added
// around the route table, and that it refuses requests meanwhile.
func TestUndeclaredRouteIsCaught(t *testing.T) {
	s := newOIDCServer(t)
	s.e.GET("/sneaky", func(c echo.Context) error { return c.String(http.StatusOK, "unguarded") })
	s.h.findUndeclared(s.e)

	if _, ok := s.h.routes["GET /sneaky"]; ok {
		t.Fatal("a route added with e.GET counts as declared")
	}
	rec := s.do(t, call{method: http.MethodGet, path: "/sneaky", session: s.session(t, "admin")})
	if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "unguarded") {
		t.Errorf("GET /sneaky = %d %q, want 403 without running the handler", rec.Code, rec.Body.String())
	}
}

func TestAnonymousRequests(t *testing.T) {
	s := newOIDCServer(t)
	for _, r := range sortedRoutes(s.e) {
		key := routeKey(r.Method, r.Path)
		a := s.h.routes[key]
		path := concretePath(r.Path)
		t.Run(key, func(t *testing.T) {
			page := s.do(t, call{method: r.Method, path: path, page: true})
			htmx := s.do(t, call{method: r.Method, path: path, htmx: true})
			loc := page.Header().Get("Location")
			switch {
			case a.public:
				if page.Code == http.StatusUnauthorized || strings.HasPrefix(loc, "/auth/login") {
					t.Errorf("public route answered %d (Location %q) to the anonymous", page.Code, loc)
				}
			case strings.HasPrefix(path, "/api/"):
				// The API never redirects: whatever the Accept header, the
				// anonymous hear 401 as a problem document.
				for _, rec := range []*httptest.ResponseRecorder{page, htmx} {
					if rec.Code != http.StatusUnauthorized || rec.Header().Get("Content-Type") != "application/problem+json" {
						t.Errorf("API request = %d %s, want 401 application/problem+json", rec.Code, rec.Header().Get("Content-Type"))
					}
				}
			case r.Method == http.MethodGet:
				want := "/auth/login?next=" + url.QueryEscape(path)
				if page.Code != http.StatusFound || loc != want {
					t.Errorf("page request = %d to %q, want 302 to %q", page.Code, loc, want)
				}
				if htmx.Code != http.StatusUnauthorized || htmx.Header().Get("HX-Redirect") != "/auth/login?next=%2Fimages%3Fpage%3D2" {
					t.Errorf("htmx request = %d with HX-Redirect %q, want 401 back to the current page after sign-in",
						htmx.Code, htmx.Header().Get("HX-Redirect"))
				}
			default:
				if page.Code != http.StatusUnauthorized {
					t.Errorf("%s from a browser = %d, want 401", r.Method, page.Code)
				}
			}
			if !a.public && strings.HasPrefix(path, "/api/") {
				api := s.do(t, call{method: r.Method, path: path})
				if api.Code != http.StatusUnauthorized {
					t.Errorf("API request = %d, want 401", api.Code)
				}
			}
		})
	}
}

func TestRolesPerRoute(t *testing.T) {
	s := newOIDCServer(t)
	roles := []auth.Role{auth.RoleViewer, auth.RoleOperator, auth.RoleAdmin}
	for _, r := range sortedRoutes(s.e) {
		key := routeKey(r.Method, r.Path)
		a := s.h.routes[key]
		path := concretePath(r.Path)
		for _, role := range roles {
			t.Run(key+"/"+role.String(), func(t *testing.T) {
				token := s.session(t, role.String())
				csrf := s.h.auth.CSRFToken(auth.SessionBinding(token))
				rec := s.do(t, call{method: r.Method, path: path, page: true, session: token, csrf: csrf})
				wantForbidden := !a.public && !role.AtLeast(a.min)
				switch {
				case wantForbidden && rec.Code != http.StatusForbidden:
					t.Errorf("%s (needs %s) = %d, want 403", role, a.min, rec.Code)
				case wantForbidden && strings.HasPrefix(path, "/api/"):
					if rec.Header().Get("Content-Type") != "application/problem+json" {
						t.Errorf("API 403 is %s, want application/problem+json", rec.Header().Get("Content-Type"))
					}
				case wantForbidden && !strings.Contains(rec.Body.String(), `data-testid="forbidden"`):
					t.Errorf("403 for a page request is not the rendered page:\n%s", rec.Body.String())
				case !wantForbidden && rec.Code == http.StatusForbidden:
					t.Errorf("%s (route %s) = 403, want it let through: %s", role, a, rec.Body.String())
				case rec.Code == http.StatusUnauthorized:
					t.Errorf("%s with a live session = 401", role)
				}
			})
		}
	}
}

func TestStateChangingRoutesNeedCSRFToken(t *testing.T) {
	s := newOIDCServer(t)
	for _, r := range sortedRoutes(s.e) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			continue
		}
		key := routeKey(r.Method, r.Path)
		path := concretePath(r.Path)
		t.Run(key, func(t *testing.T) {
			admin := s.session(t, "admin")
			other := s.h.auth.CSRFToken(auth.SessionBinding(s.session(t, "admin")))
			missing := s.do(t, call{method: r.Method, path: path, session: admin})
			foreign := s.do(t, call{method: r.Method, path: path, session: admin, csrf: other})
			anonymous := s.do(t, call{method: r.Method, path: path})
			if csrfExempt(path) {
				if missing.Code == http.StatusForbidden {
					t.Errorf("exempt machine endpoint refused a request without a CSRF token: %s", missing.Body.String())
				}
				return
			}
			if missing.Code != http.StatusForbidden || !strings.Contains(missing.Body.String(), "CSRF") {
				t.Errorf("without a token = %d %q, want 403 naming CSRF", missing.Code, missing.Body.String())
			}
			if foreign.Code != http.StatusForbidden {
				t.Errorf("with another session's token = %d, want 403", foreign.Code)
			}
			if s.h.routes[key].public && anonymous.Code != http.StatusForbidden {
				t.Errorf("anonymous without a token = %d, want 403", anonymous.Code)
			}
			if !s.h.routes[key].public && anonymous.Code != http.StatusUnauthorized {
				t.Errorf("anonymous without a token = %d, want 401", anonymous.Code)
			}
		})
	}
}

func TestBearerWithoutSessionSkipsCSRF(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/images/1/rescan", nil)
	r.Header.Set("Authorization", "Bearer tok")
	if needsCSRF(r) {
		t.Error("bearer call without a session cookie needs a CSRF token, want it exempt")
	}
	r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: "x"})
	if !needsCSRF(r) {
		t.Error("bearer call with a session cookie skips CSRF, want it checked: the cookie authenticates it")
	}
	for _, p := range []string{"/hooks/registry/t", "/api/agent/snapshots"} {
		if needsCSRF(httptest.NewRequest(http.MethodPost, p, nil)) {
			t.Errorf("POST %s needs a CSRF token, want the machine endpoint exempt", p)
		}
	}
	if !needsCSRF(httptest.NewRequest(http.MethodPost, "/hooksx", nil)) || !needsCSRF(httptest.NewRequest(http.MethodDelete, "/api/agents", nil)) {
		t.Error("a path that only starts like an exempt prefix skips CSRF")
	}
}

var metaToken = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// TestLocalModeFormsCarryWorkingToken loads a page in local mode, where
// no session exists, and posts with the token the page carried.
func TestLocalModeFormsCarryWorkingToken(t *testing.T) {
	h := newTestServer(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	m := metaToken.FindStringSubmatch(rec.Body.String())
	cookies := rec.Result().Cookies()
	if m == nil || len(cookies) != 1 || cookies[0].Name != "palisade_csrf" || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("GET / gave meta %v and cookies %v, want a csrf-token meta and an HttpOnly SameSite=Lax palisade_csrf cookie", m, cookies)
	}
	if !strings.Contains(rec.Body.String(), `hx-headers="{&#34;X-CSRF-Token&#34;:&#34;`) {
		t.Error("body lacks hx-headers carrying the token for htmx")
	}

	post := func(token string, cookie *http.Cookie) int {
		req := httptest.NewRequest(http.MethodPost, "/auth/logout", nil)
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post(m[1], cookies[0]); code != http.StatusSeeOther {
		t.Errorf("POST with the page's token and cookie = %d, want 303", code)
	}
	if code := post(m[1], nil); code != http.StatusForbidden {
		t.Errorf("POST with the token but not the browser's cookie = %d, want 403", code)
	}
	if code := post("", cookies[0]); code != http.StatusForbidden {
		t.Errorf("POST without a token = %d, want 403", code)
	}
}

func TestSignInRedirectsToProviderAndBack(t *testing.T) {
	s := newOIDCServer(t)
	rec := s.do(t, call{method: http.MethodGet, path: "/auth/login?next=%2Fme", page: true})
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || !strings.HasPrefix(loc.String(), s.prov.Issuer+"/authorize?") {
		t.Fatalf("GET /auth/login = %d to %s, want 302 to the provider", rec.Code, loc)
	}
	q := loc.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" ||
		q.Get("redirect_uri") != "http://127.0.0.1:9/auth/callback" {
		t.Errorf("authorization request %v lacks PKCE S256, nonce, state or the callback", q)
	}
	var flow *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if strings.HasPrefix(c.Name, "palisade_signin_") {
			flow = c
		}
	}
	if flow == nil || flow.Name != auth.FlowCookieName(q.Get("state")) || flow.Path != "/auth/callback" || !flow.HttpOnly {
		t.Errorf("sign-in cookie = %v, want an HttpOnly cookie for /auth/callback named after the state", flow)
	}

	open := s.do(t, call{method: http.MethodGet, path: "/auth/login?next=https%3A%2F%2Fevil.example%2F", page: true})
	if open.Code != http.StatusFound || !strings.HasPrefix(open.Header().Get("Location"), s.prov.Issuer) {
		t.Fatalf("GET /auth/login with a foreign next = %d", open.Code)
	}

	signedIn := s.session(t, "viewer")
	back := s.do(t, call{method: http.MethodGet, path: "/auth/login?next=https%3A%2F%2Fevil.example%2F", page: true, session: signedIn})
	if back.Code != http.StatusFound || back.Header().Get("Location") != "/" {
		t.Errorf("signed-in GET /auth/login with a foreign next = %d to %q, want 302 to /", back.Code, back.Header().Get("Location"))
	}
}

func TestSessionCookieOfEndedSessionIsCleared(t *testing.T) {
	s := newOIDCServer(t)
	token := s.session(t, "admin")
	csrf := s.h.auth.CSRFToken(auth.SessionBinding(token))
	out := s.do(t, call{method: http.MethodPost, path: "/auth/logout", session: token, csrf: csrf})
	if out.Code != http.StatusSeeOther || out.Header().Get("Location") != "/auth/signed-out" {
		t.Fatalf("POST /auth/logout = %d to %q, want 303 to /auth/signed-out", out.Code, out.Header().Get("Location"))
	}
	again := s.do(t, call{method: http.MethodGet, path: "/me", page: true, session: token})
	if again.Code != http.StatusFound || !strings.HasPrefix(again.Header().Get("Location"), "/auth/login") {
		t.Errorf("GET /me with the signed-out cookie = %d, want 302 to sign in", again.Code)
	}
	var cleared bool
	for _, c := range again.Result().Cookies() {
		cleared = cleared || (c.Name == auth.SessionCookie && c.MaxAge < 0)
	}
	if !cleared {
		t.Error("the dead session cookie was not deleted")
	}
}

func TestContentSecurityPolicyAllowsProviderLogout(t *testing.T) {
	s := newOIDCServer(t)
	csp := s.do(t, call{method: http.MethodGet, path: "/healthz"}).Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self' "+s.prov.Issuer+";") || !strings.Contains(csp, "script-src 'self';") {
		t.Errorf("CSP = %q, want form-action to allow the provider and scripts from self only", csp)
	}
}

// TestRoleLevels adds routes for each minimum role through the route
// table, as features will, and checks the answers worked out by hand.
func TestRoleLevels(t *testing.T) {
	s := newOIDCServer(t)
	ok := func(c echo.Context) error { return c.String(http.StatusOK, "done") }
	r := routeTable{e: s.e, h: s.h}
	r.GET("/probe/operator", minOperator, ok)
	r.POST("/probe/operator", minOperator, ok)
	r.GET("/probe/admin", minAdmin, ok)
	r.DELETE("/probe/admin/:id", minAdmin, ok)

	tests := []struct {
		name   string
		role   string // "" is anonymous
		method string
		path   string
		page   bool
		csrf   bool
		want   int
		body   string
	}{
		{name: "viewer opens operator page", role: "viewer", method: "GET", path: "/probe/operator", page: true, want: 403, body: `data-testid="forbidden"`},
		{name: "viewer asks operator partial", role: "viewer", method: "GET", path: "/probe/operator", want: 403, body: "this needs the operator role; you are viewer"},
		{name: "viewer posts operator action", role: "viewer", method: "POST", path: "/probe/operator", csrf: true, want: 403},
		{name: "operator posts operator action", role: "operator", method: "POST", path: "/probe/operator", csrf: true, want: 200, body: "done"},
		{name: "operator posts without token", role: "operator", method: "POST", path: "/probe/operator", want: 403, body: "CSRF"},
		{name: "admin posts operator action", role: "admin", method: "POST", path: "/probe/operator", csrf: true, want: 200},
		{name: "operator opens admin page", role: "operator", method: "GET", path: "/probe/admin", page: true, want: 403},
		{name: "admin opens admin page", role: "admin", method: "GET", path: "/probe/admin", page: true, want: 200},
		{name: "admin deletes", role: "admin", method: "DELETE", path: "/probe/admin/7", csrf: true, want: 200},
		{name: "operator deletes", role: "operator", method: "DELETE", path: "/probe/admin/7", csrf: true, want: 403},
		{name: "anonymous posts", method: "POST", path: "/probe/operator", page: true, want: 401},
		{name: "anonymous opens admin page", method: "GET", path: "/probe/admin", page: true, want: 302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := call{method: tt.method, path: tt.path, page: tt.page}
			if tt.role != "" {
				c.session = s.session(t, tt.role)
				if tt.csrf {
					c.csrf = s.h.auth.CSRFToken(auth.SessionBinding(c.session))
				}
			}
			rec := s.do(t, c)
			if rec.Code != tt.want || !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("%s %s as %q = %d %q, want %d containing %q", tt.method, tt.path, tt.role, rec.Code, rec.Body.String(), tt.want, tt.body)
			}
		})
	}
}

func TestAdminRevokesSessions(t *testing.T) {
	s := newOIDCServer(t)
	ctx := context.Background()
	victim := s.session(t, "viewer")
	s.session(t, "viewer") // a second session of the same user
	_, u, err := s.store.SessionByTokenHash(ctx, auth.HashToken(victim))
	if err != nil {
		t.Fatal(err)
	}
	admin := s.session(t, "admin")
	path := "/users/" + strconv.FormatInt(u.ID, 10) + "/sessions/revoke"
	rec := s.do(t, call{method: http.MethodPost, path: path, session: admin, csrf: s.h.auth.CSRFToken(auth.SessionBinding(admin))})
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"revoked":2,"user_id":`+strconv.FormatInt(u.ID, 10)+`}` {
		t.Fatalf("POST %s = %d %s, want 200 with 2 revoked", path, rec.Code, rec.Body.String())
	}
	if after := s.do(t, call{method: http.MethodGet, path: "/me", session: victim}); after.Code != http.StatusUnauthorized {
		t.Errorf("revoked session still answers %d", after.Code)
	}
	entries, err := s.store.AuditEntries(ctx, store.AuditFilter{Action: "auth.sessions_revoked"})
	if err != nil || len(entries) != 1 || entries[0].ActorName != "admin" || entries[0].ResourceID != strconv.FormatInt(u.ID, 10) {
		t.Errorf("audit = %+v, %v; want one entry by admin for user %d", entries, err, u.ID)
	}
	missing := s.do(t, call{method: http.MethodPost, path: "/users/999999/sessions/revoke", session: admin, csrf: s.h.auth.CSRFToken(auth.SessionBinding(admin))})
	if missing.Code != http.StatusNotFound {
		t.Errorf("revoking an unknown user = %d, want 404", missing.Code)
	}
}
