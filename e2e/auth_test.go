//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/palisadesec/palisade/e2e/harness"
	"github.com/palisadesec/palisade/e2e/oidcprovider"
)

// authServer starts PostgreSQL, prov's counterpart palisade serve in OIDC
// mode, and returns the server. redirect is known before the provider
// starts, so the port is chosen first.
func authServer(t *testing.T, newProvider func(redirectURI string) *oidcprovider.Provider) (*harness.Server, *oidcprovider.Provider) {
	t.Helper()
	pg := harness.StartPostgres(t)
	env := harness.BaseEnv(t, pg.URL)
	base := "http://" + env["PALISADE_LISTEN_ADDR"]
	prov := newProvider(base + "/auth/callback")
	env["PALISADE_BASE_URL"] = base
	env["PALISADE_OIDC_ISSUER_URL"] = prov.Issuer
	env["PALISADE_OIDC_CLIENT_ID"] = prov.ClientID
	env["PALISADE_OIDC_CLIENT_SECRET"] = prov.ClientSecret
	srv := harness.StartServer(t, env)
	srv.WaitFor(t, "/readyz", http.StatusOK, 60*time.Second)
	return srv, prov
}

// signInAtProvider fills the provider's login page, which must be open.
func signInAtProvider(t *testing.T, ctx context.Context, username string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="username"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="username"]`), username),
		chromedp.Click(chromedp.CSS(`[data-testid="sign-in"]`)),
	)
	if err != nil {
		t.Fatalf("sign in as %s at the provider: %v", username, err)
	}
}

// text reads an element's visible text in one JavaScript call, waiting up
// to 15 s for it to exist. Reading by node id (chromedp.Text) races with
// htmx and page loads replacing the element between finding and reading.
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.innerText : null })()`, css)
	deadline := time.Now().Add(15 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[*string](expr))
		if err == nil && s != nil {
			return strings.TrimSpace(*s)
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("read %s: no such element within 15s (%v)", css, lastErr)
	return ""
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("read location: %v", err)
	}
	return loc
}

// waitForPath waits until the browser shows a page of base at path.
func waitForPath(t *testing.T, ctx context.Context, base, path string) {
	t.Helper()
	want := base + path
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if loc := location(t, ctx); strings.HasPrefix(loc, want) {
			if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS("h1"))); err != nil {
				t.Fatalf("wait for %s: %v", path, err)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("browser at %s, want %s", location(t, ctx), want)
}

func browserCookies(t *testing.T, ctx context.Context, u string) map[string]*network.Cookie {
	t.Helper()
	get := chromedp.Action[[]*network.Cookie](func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{u}})
		return res.Cookies, err
	})
	list, err := chromedp.Run(ctx, get)
	if err != nil {
		t.Fatalf("read cookies: %v", err)
	}
	out := map[string]*network.Cookie{}
	for _, c := range list {
		out[c.Name] = c
	}
	return out
}

// postFromPage posts from the open page with the CSRF token from its
// meta tag, as htmx does, and returns the status and body.
func postFromPage(t *testing.T, ctx context.Context, path string) (int, string) {
	t.Helper()
	type answer struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[answer](`
		fetch(`+"`"+path+"`"+`, {
			method: "POST",
			headers: {"X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content},
			redirect: "manual",
		}).then(async r => ({status: r.status, body: await r.text()}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("POST %s from the page: %v", path, err)
	}
	return res.Status, strings.TrimSpace(res.Body)
}

func TestAuthSignInRolesAndSignOut(t *testing.T) {
	srv, prov := authServer(t, func(redirect string) *oidcprovider.Provider { return oidcprovider.Start(t, redirect) })
	ctx := harness.Browser(t)

	// Anonymous: the console sends the browser to the provider's login.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/me")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid="username"]`))); err != nil {
		t.Fatalf("no login form at %s: %v", location(t, ctx), err)
	}
	if loc := location(t, ctx); !strings.HasPrefix(loc, prov.Issuer+"/login?authRequestID=") {
		t.Fatalf("anonymous GET /me ended at %s, want the provider's login", loc)
	}
	harness.Screenshot(t, ctx, "auth-provider-login")

	// alice is an admin; after sign-in she is back where she started.
	signInAtProvider(t, ctx, "alice")
	waitForPath(t, ctx, srv.URL, "/me")
	if name, role := text(t, ctx, `[data-testid="user-name"]`), text(t, ctx, `[data-testid="user-role"]`); name != "Alice Admin" || role != "admin" {
		t.Errorf("header shows %q as %q, want Alice Admin as admin", name, role)
	}
	if got := text(t, ctx, `[data-testid="groups-arrived"]`); got != "palisade-admins" {
		t.Errorf("/me groups arrived = %q, want palisade-admins", got)
	}
	if got := text(t, ctx, `[data-testid="user-role-reason"]`); got != `"palisade-admins" in claim "groups" is listed in PALISADE_OIDC_ADMIN_GROUPS` {
		t.Errorf("/me reason = %q", got)
	}
	if claims := text(t, ctx, `[data-testid="user-claims"]`); !strings.Contains(claims, `"email": "alice@example.test"`) {
		t.Errorf("/me claims lack alice's email:\n%s", claims)
	}
	harness.Screenshot(t, ctx, "auth-me-admin")
	// The page's token and her role get an admin action through.
	if status, body := postFromPage(t, ctx, "/users/999/sessions/revoke"); status != http.StatusNotFound {
		t.Errorf("alice's POST to an admin action for an unknown user = %d %q, want 404", status, body)
	}

	cookies := browserCookies(t, ctx, srv.URL)
	session := cookies["palisade_session"]
	if session == nil || !session.HTTPOnly || session.SameSite != network.CookieSameSiteLax || session.Secure || session.Path != "/" {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure on http", session)
	}

	// Sign out: through the provider's logout back to our signed-out page.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="sign-out"]`))); err != nil {
		t.Fatal(err)
	}
	waitForPath(t, ctx, srv.URL, "/auth/signed-out")
	if h1 := text(t, ctx, "h1"); h1 != "Signed out" {
		t.Errorf("after sign-out h1 = %q", h1)
	}
	harness.Screenshot(t, ctx, "auth-signed-out")

	// The cookie copied before sign-out opens nothing any more.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/me", nil)
	req.Header.Set("Accept", "text/html")
	req.AddCookie(&http.Cookie{Name: "palisade_session", Value: session.Value})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/auth/login?next=%2Fme" {
		t.Errorf("GET /me with the copied cookie = %d to %q, want 302 to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}

	// victor is a viewer: he reads, and an admin action answers 403.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="sign-in-again"]`))); err != nil {
		t.Fatal(err)
	}
	signInAtProvider(t, ctx, "victor")
	waitForPath(t, ctx, srv.URL, "/")
	if role := text(t, ctx, `[data-testid="user-role"]`); role != "viewer" {
		t.Errorf("victor's role = %q, want viewer", role)
	}
	if status, body := postFromPage(t, ctx, "/users/1/sessions/revoke"); status != http.StatusForbidden ||
		body != "this needs the admin role; you are viewer" {
		t.Errorf("victor's POST to an admin action = %d %q, want 403 for his role", status, body)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="sign-out"]`))); err != nil {
		t.Fatal(err)
	}
	waitForPath(t, ctx, srv.URL, "/auth/signed-out")

	// nora is in no group: refused, with a page that says why.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="sign-in-again"]`))); err != nil {
		t.Fatal(err)
	}
	signInAtProvider(t, ctx, "nora")
	waitForPath(t, ctx, srv.URL, "/auth/callback")
	if h1 := text(t, ctx, "h1"); h1 != "Sign-in refused" {
		t.Fatalf("nora sees %q, want Sign-in refused", h1)
	}
	if got := text(t, ctx, `[data-testid="groups-arrived"]`); got != "None (the claim was empty)." {
		t.Errorf("refusal shows groups %q", got)
	}
	if got := text(t, ctx, `[data-testid="expected-admin"]`); got != "palisade-admins" {
		t.Errorf("refusal shows admin groups %q", got)
	}
	harness.Screenshot(t, ctx, "auth-refused")
	if c := browserCookies(t, ctx, srv.URL)["palisade_session"]; c != nil {
		t.Errorf("refused sign-in left a session cookie: %+v", c)
	}
}

// TestAuthGroupChangeAppliesOnRefresh moves olga into the admin group at
// the provider while she is signed in: once her access token runs out,
// the next page refreshes it and shows her new role, without a sign-in.
func TestAuthGroupChangeAppliesOnRefresh(t *testing.T) {
	srv, prov := authServer(t, func(redirect string) *oidcprovider.Provider {
		p, err := oidcprovider.New(oidcprovider.Options{RedirectURIs: []string{redirect}, AccessTokenLifetime: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	})
	ctx := harness.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/auth/login?next="+url.QueryEscape("/me"))); err != nil {
		t.Fatal(err)
	}
	signInAtProvider(t, ctx, "olga")
	waitForPath(t, ctx, srv.URL, "/me")
	if role := text(t, ctx, `[data-testid="user-page-role"]`); role != "operator" {
		t.Fatalf("olga's role = %q, want operator", role)
	}

	prov.SetGroups("olga", "palisade-admins")
	time.Sleep(3500 * time.Millisecond)
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitForPath(t, ctx, srv.URL, "/me")
	if role := text(t, ctx, `[data-testid="user-page-role"]`); role != "admin" {
		t.Errorf("after the group change and a refresh olga's role = %q, want admin", role)
	}
	if n := prov.Refreshes(); n < 1 {
		t.Errorf("provider answered %d refreshes, want at least 1", n)
	}
	harness.Screenshot(t, ctx, "auth-me-after-refresh")
}
