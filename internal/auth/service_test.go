package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/palisadesec/palisade/e2e/oidcprovider"
	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/store"
)

// These tests run the whole flow against a real OpenID provider (the e2e
// one, in process) and a real database; only the browser is replaced by
// an HTTP client that follows the provider's redirects.

const testBaseURL = "http://127.0.0.1:9"

type fixture struct {
	svc   *Service
	store *store.Store
	prov  *oidcprovider.Provider
}

func newFixture(t *testing.T, accessTTL time.Duration, env map[string]string) fixture {
	t.Helper()
	prov, err := oidcprovider.New(oidcprovider.Options{
		RedirectURIs: []string{testBaseURL + "/auth/callback"}, AccessTokenLifetime: accessTTL,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prov.Close() })

	vars := map[string]string{
		"PALISADE_OIDC_ISSUER_URL":    prov.Issuer,
		"PALISADE_OIDC_CLIENT_ID":     prov.ClientID,
		"PALISADE_OIDC_CLIENT_SECRET": prov.ClientSecret,
		"PALISADE_SECRET_KEY":         testSecret,
		"PALISADE_BASE_URL":           testBaseURL,
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.LoadFrom(func(k string) string { return vars[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	svc, err := New(Options{Config: cfg, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{svc: svc, store: st, prov: prov}
}

// callback signs username in at the provider and returns what the browser
// would bring back to /auth/callback.
func (f fixture) callback(t *testing.T, username, next string) Callback {
	t.Helper()
	ctx := context.Background()
	authURL, ck, err := f.svc.BeginSignIn(ctx, next)
	if err != nil {
		t.Fatalf("BeginSignIn: %v", err)
	}
	browser := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), testBaseURL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatalf("open authorization URL: %v", err)
	}
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("authorization ended at %s with %d, want the login page", resp.Request.URL, resp.StatusCode)
	}
	resp, err = browser.PostForm(f.prov.Issuer+"/login", url.Values{"id": {id}, "username": {username}})
	if err != nil {
		t.Fatalf("submit login: %v", err)
	}
	resp.Body.Close()
	back, err := resp.Location()
	if err != nil || !strings.HasPrefix(back.String(), testBaseURL+"/auth/callback") {
		t.Fatalf("login answered %d to %v, want a redirect to the callback", resp.StatusCode, back)
	}
	q := back.Query()
	return Callback{State: q.Get("state"), Code: q.Get("code"), FlowCookie: ck.Value, SourceIP: "127.0.0.1", UserAgent: "test"}
}

func (f fixture) signIn(t *testing.T, username string) SignedIn {
	t.Helper()
	in, err := f.svc.FinishSignIn(context.Background(), f.callback(t, username, "/images?page=2"))
	if err != nil {
		t.Fatalf("FinishSignIn(%s): %v", username, err)
	}
	return in
}

func (f fixture) audit(t *testing.T, action string) []store.AuditEntry {
	t.Helper()
	entries, err := f.store.AuditEntries(context.Background(), store.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestSignInMapsRolesAndStartsSessions(t *testing.T) {
	f := newFixture(t, 0, nil)
	ctx := context.Background()
	tests := []struct {
		user, name, role, matched string
	}{
		{user: "alice", name: "Alice Admin", role: "admin", matched: "palisade-admins"},
		{user: "olga", name: "Olga Operator", role: "operator", matched: "palisade-operators"},
		{user: "victor", name: "Victor Viewer", role: "viewer", matched: "palisade-viewers"},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			in := f.signIn(t, tt.user)
			if in.User.Role != tt.role || in.User.Name != tt.name || in.Mapping.Matched != tt.matched {
				t.Errorf("signed in as %s/%s via %q, want %s/%s via %q", in.User.Name, in.User.Role, in.Mapping.Matched, tt.name, tt.role, tt.matched)
			}
			if in.Next != "/images?page=2" {
				t.Errorf("Next = %q, want /images?page=2", in.Next)
			}
			p, err := f.svc.Authenticate(ctx, in.Token)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if p.Role.String() != tt.role || p.Name != tt.name || p.Anonymous() || p.CSRFBinding != SessionBinding(in.Token) {
				t.Errorf("principal = %+v, want %s as %s bound to the session", p, tt.name, tt.role)
			}
		})
	}

	in := f.signIn(t, "alice")
	sess, u, err := f.store.SessionByTokenHash(ctx, HashToken(in.Token))
	if err != nil {
		t.Fatal(err)
	}
	if u.Issuer != f.prov.Issuer || u.Subject != "u-alice" || u.Email != "alice@example.test" || u.LastLoginAt == nil {
		t.Errorf("stored user = %+v", u)
	}
	if !strings.Contains(string(u.Claims), `"groups": ["palisade-admins"]`) {
		t.Errorf("stored claims %s lack the groups that arrived", u.Claims)
	}
	// Stored sealed: it opens with the session's context, and the stored
	// bytes are not the token itself.
	if len(sess.RefreshToken) == 0 {
		t.Error("no refresh token stored")
	} else if rt, err := f.svc.open(sess.TokenHash, "refresh_token", sess.RefreshToken); err != nil || rt == "" || strings.Contains(string(sess.RefreshToken), rt) {
		t.Errorf("refresh token stored as %q: want it sealed (open: %q, %v)", sess.RefreshToken, rt, err)
	}
	if d := time.Until(sess.ExpiresAt); d < 23*time.Hour || d > 24*time.Hour {
		t.Errorf("session expires in %s, want the 24h absolute timeout", d)
	}
	signIns := f.audit(t, "auth.sign_in")
	if len(signIns) != 4 || signIns[0].ActorName != "Alice Admin" || signIns[0].SourceIP != "127.0.0.1" {
		t.Errorf("sign-in audit = %+v, want 4 entries, the newest by Alice from 127.0.0.1", signIns)
	}
}

func TestSignInRefusedWhenNothingMaps(t *testing.T) {
	f := newFixture(t, 0, nil)
	_, err := f.svc.FinishSignIn(context.Background(), f.callback(t, "nora", "/"))
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("FinishSignIn(nora) = %v, want *RefusedError", err)
	}
	if !refused.Mapping.Present || len(refused.Mapping.Values) != 0 || refused.Email != "nora@example.test" {
		t.Errorf("refusal = %+v: want the groups claim present and empty", refused)
	}
	if users, _ := f.store.Users(context.Background()); len(users) != 0 {
		t.Errorf("a refused sign-in created users: %+v", users)
	}
	entries := f.audit(t, "auth.sign_in_refused")
	if len(entries) != 1 || entries[0].ActorKind != store.ActorAnonymous || entries[0].ResourceID != "u-nora" {
		t.Fatalf("refusal audit = %+v, want one anonymous entry for u-nora", entries)
	}
}

func TestSignInWithDefaultRole(t *testing.T) {
	f := newFixture(t, 0, map[string]string{"PALISADE_OIDC_DEFAULT_ROLE": "viewer"})
	in := f.signIn(t, "nora")
	if in.User.Role != "viewer" || in.Mapping.Matched != "" {
		t.Errorf("nora = %s via %q, want viewer by default", in.User.Role, in.Mapping.Matched)
	}
}

func TestCallbackChecks(t *testing.T) {
	f := newFixture(t, 0, nil)
	ctx := context.Background()
	// resigned changes the flow in the sign-in cookie and signs it again,
	// as only someone holding PALISADE_SECRET_KEY could.
	resigned := func(change func(*flow)) func(*Callback) {
		return func(cb *Callback) {
			fl, err := f.svc.readFlow(cb.FlowCookie, cb.State, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			change(&fl)
			cb.FlowCookie = f.svc.flowCookie(fl).Value
		}
	}
	tests := []struct {
		name   string
		change func(*Callback)
		want   string
	}{
		{name: "state of another sign-in", change: func(cb *Callback) { cb.State = newToken() }, want: ErrSignInExpired.Error()},
		{name: "no sign-in cookie", change: func(cb *Callback) { cb.FlowCookie = "" }, want: ErrSignInExpired.Error()},
		{name: "code used twice", change: nil, want: "exchange authorization code"},
		{name: "wrong PKCE verifier", change: resigned(func(fl *flow) { fl.Verifier = "x" + fl.Verifier[1:] }), want: "exchange authorization code"},
		{name: "nonce of another sign-in", change: resigned(func(fl *flow) { fl.Nonce = newToken() }), want: "nonce does not match"},
		{name: "provider error", want: "access_denied: user cancelled", change: func(cb *Callback) {
			cb.Code, cb.Error, cb.ErrorDescription = "", "access_denied", "user cancelled"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb := f.callback(t, "alice", "/")
			if tt.change == nil {
				if _, err := f.svc.FinishSignIn(ctx, cb); err != nil {
					t.Fatalf("first use: %v", err)
				}
			} else {
				tt.change(&cb)
			}
			_, err := f.svc.FinishSignIn(ctx, cb)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("FinishSignIn = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRefreshRemapsRoleAndEndsSessionWhenRefused(t *testing.T) {
	f := newFixture(t, 2*time.Second, nil)
	ctx := context.Background()
	in := f.signIn(t, "alice")
	if p, err := f.svc.Authenticate(ctx, in.Token); err != nil || p.Role != RoleAdmin {
		t.Fatalf("Authenticate = %+v, %v; want admin", p, err)
	}

	f.prov.SetGroups("alice", "palisade-viewers")
	time.Sleep(2100 * time.Millisecond)
	p, err := f.svc.Authenticate(ctx, in.Token)
	if err != nil || p.Role != RoleViewer {
		t.Fatalf("after the group change and expiry: %+v, %v; want viewer without a new sign-in", p, err)
	}
	if n := f.prov.Refreshes(); n != 1 {
		t.Errorf("provider answered %d refreshes, want 1", n)
	}
	changes := f.audit(t, "auth.role_changed")
	if len(changes) != 1 || changes[0].Details["from"] != "admin" || changes[0].Details["to"] != "viewer" {
		t.Errorf("role change audit = %+v, want admin to viewer", changes)
	}
	if p, err := f.svc.Authenticate(ctx, in.Token); err != nil || f.prov.Refreshes() != 1 || p.Role != RoleViewer {
		t.Errorf("within the new access token's life: %+v, %v, %d refreshes; want no second refresh", p, err, f.prov.Refreshes())
	}

	f.prov.RevokeUser("alice")
	time.Sleep(2100 * time.Millisecond)
	if _, err := f.svc.Authenticate(ctx, in.Token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after revocation at the provider: %v, want ErrNoSession", err)
	}
	if _, _, err := f.store.SessionByTokenHash(ctx, HashToken(in.Token)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session row after a refused refresh: %v, want it deleted", err)
	}
	ended := f.audit(t, "auth.session_ended")
	if len(ended) != 1 || !strings.Contains(ended[0].Details["reason"].(string), "invalid_grant") {
		t.Errorf("session end audit = %+v, want the provider's invalid_grant", ended)
	}
}

func TestRefreshEndsSessionWhenRoleNoLongerMaps(t *testing.T) {
	f := newFixture(t, 2*time.Second, nil)
	in := f.signIn(t, "victor")
	f.prov.SetGroups("victor")
	time.Sleep(2100 * time.Millisecond)
	if _, err := f.svc.Authenticate(context.Background(), in.Token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Authenticate after victor lost his group = %v, want ErrNoSession", err)
	}
}

func TestSessionTimeoutsRotationAndSignOut(t *testing.T) {
	f := newFixture(t, 0, nil)
	ctx := context.Background()
	pool := f.store.Pool()

	idle := f.signIn(t, "alice")
	if _, err := pool.Exec(ctx, `UPDATE sessions SET last_seen_at = now() - interval '8 hours 1 second' WHERE token_hash = $1`, HashToken(idle.Token)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, idle.Token); !errors.Is(err, ErrNoSession) {
		t.Errorf("session idle for 8h1s: %v, want ErrNoSession", err)
	}

	absolute := f.signIn(t, "alice")
	if _, err := pool.Exec(ctx, `UPDATE sessions SET created_at = now() - interval '24 hours 1 second' WHERE token_hash = $1`, HashToken(absolute.Token)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, absolute.Token); !errors.Is(err, ErrNoSession) {
		t.Errorf("session started 24h1s ago: %v, want ErrNoSession", err)
	}

	old := f.signIn(t, "alice")
	if _, err := pool.Exec(ctx, `UPDATE sessions SET last_seen_at = now() - interval '5 minutes' WHERE token_hash = $1`, HashToken(old.Token)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, old.Token); err != nil {
		t.Fatal(err)
	}
	sess, _, _ := f.store.SessionByTokenHash(ctx, HashToken(old.Token))
	if time.Since(sess.LastSeenAt) > time.Minute {
		t.Errorf("last_seen_at %s ago after a request, want it moved to now", time.Since(sess.LastSeenAt))
	}
	if _, err := pool.Exec(ctx, `UPDATE sessions SET last_seen_at = now() - interval '30 seconds' WHERE token_hash = $1`, HashToken(old.Token)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, old.Token); err != nil {
		t.Fatal(err)
	}
	sess, _, _ = f.store.SessionByTokenHash(ctx, HashToken(old.Token))
	if d := time.Since(sess.LastSeenAt); d < 29*time.Second {
		t.Errorf("last_seen_at %s ago: a request within a minute of the last write wrote again", d)
	}

	cb := f.callback(t, "olga", "/")
	cb.OldSession = old.Token
	fresh, err := f.svc.FinishSignIn(ctx, cb)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, old.Token); !errors.Is(err, ErrNoSession) {
		t.Errorf("previous session after signing in again: %v, want it revoked", err)
	}

	logout, err := f.svc.SignOut(ctx, fresh.Token, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	lu, err := url.Parse(logout)
	if err != nil || !strings.HasPrefix(logout, f.prov.Issuer+"/end_session?") ||
		lu.Query().Get("post_logout_redirect_uri") != testBaseURL+"/auth/signed-out" || lu.Query().Get("id_token_hint") == "" {
		t.Errorf("logout URL = %q, want the provider's end_session with id_token_hint and our signed-out page", logout)
	}
	if _, err := f.svc.Authenticate(ctx, fresh.Token); !errors.Is(err, ErrNoSession) {
		t.Errorf("session after sign-out: %v, want ErrNoSession", err)
	}
	if out := f.audit(t, "auth.sign_out"); len(out) != 1 || out[0].ActorName != "Olga Operator" {
		t.Errorf("sign-out audit = %+v, want one entry by Olga", out)
	}
	if again, err := f.svc.SignOut(ctx, fresh.Token, ""); err != nil || again != "" {
		t.Errorf("second sign-out = %q, %v; want nothing to do", again, err)
	}
}

func TestLocalModeIsEveryoneAdmin(t *testing.T) {
	s := localService(t, "")
	p, err := s.Authenticate(context.Background(), "")
	if err != nil || !p.Local || p.Role != RoleAdmin || p.Name != "local admin" || p.Anonymous() {
		t.Errorf("local Authenticate = %+v, %v; want the local admin", p, err)
	}
}

// TestConcurrentRequestsRefreshOnce fires requests at once after the
// access token ran out: the provider rotates refresh tokens and refuses a
// second use, so a refresh per request would end the session.
func TestConcurrentRequestsRefreshOnce(t *testing.T) {
	f := newFixture(t, 2*time.Second, nil)
	in := f.signIn(t, "olga")
	time.Sleep(2100 * time.Millisecond)

	const n = 6
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := f.svc.Authenticate(context.Background(), in.Token)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Authenticate: %v", err)
		}
	}
	if got := f.prov.Refreshes(); got != 1 {
		t.Errorf("provider answered %d refreshes, want exactly 1", got)
	}
}
