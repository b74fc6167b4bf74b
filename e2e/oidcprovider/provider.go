package oidcprovider

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

const (
	loginPath          = "/login"
	loggedOutPath      = "/logged-out"
	queryAuthRequestID = "authRequestID"
)

// User is someone the provider can sign in.
type User struct {
	Subject  string
	Username string
	Name     string
	Email    string
	Groups   []string
}

// DefaultUsers are the people the e2e tests sign in as: one per role,
// and nora, who is in no group at all.
func DefaultUsers() []User {
	return []User{
		{Subject: "u-alice", Username: "alice", Name: "Alice Admin", Email: "alice@example.test", Groups: []string{"palisade-admins"}},
		{Subject: "u-olga", Username: "olga", Name: "Olga Operator", Email: "olga@example.test", Groups: []string{"palisade-operators"}},
		{Subject: "u-victor", Username: "victor", Name: "Victor Viewer", Email: "victor@example.test", Groups: []string{"palisade-viewers"}},
		{Subject: "u-nora", Username: "nora", Name: "Nora Nogroup", Email: "nora@example.test"},
	}
}

// Options configure a provider. Zero fields take the defaults named.
type Options struct {
	// Addr is where to listen; default "127.0.0.1:0", any free loopback port.
	Addr string
	// ClientID and ClientSecret of the one client; default "palisade" and
	// "palisade-e2e-secret".
	ClientID     string
	ClientSecret string
	// RedirectURIs the client may use; required.
	RedirectURIs []string
	// PostLogoutRedirectURIs the client may return to after logout;
	// default: "/auth/signed-out" and "/" on each redirect URI's origin.
	PostLogoutRedirectURIs []string
	// AccessTokenLifetime decides how soon relying parties must refresh;
	// default 5 minutes.
	AccessTokenLifetime time.Duration
	// Users default to DefaultUsers.
	Users []User
	// Logger receives the provider's request log; nil discards it.
	Logger *slog.Logger
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is the provider's URL, such as http://127.0.0.1:34567.
	Issuer       string
	ClientID     string
	ClientSecret string

	storage *storage
	server  *http.Server
	done    chan error
}

// Start runs a provider with the default users and a client allowed to
// redirect to redirectURI, and stops it when the test ends.
func Start(t testing.TB, redirectURI string) *Provider {
	t.Helper()
	p, err := New(Options{RedirectURIs: []string{redirectURI}})
	if err != nil {
		t.Fatalf("start OpenID provider: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("stop OpenID provider: %v", err)
		}
	})
	return p
}

// New starts a provider listening on opts.Addr.
func New(opts Options) (*Provider, error) {
	if len(opts.RedirectURIs) == 0 {
		return nil, errors.New("oidcprovider: at least one redirect URI is required")
	}
	opts = withDefaults(opts)
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	issuer := "http://" + ln.Addr().String()

	c := &client{
		id: opts.ClientID, secret: opts.ClientSecret, redirectURIs: opts.RedirectURIs,
		postLogoutRedirectURIs: opts.PostLogoutRedirectURIs, idTokenLifetime: time.Hour,
	}
	st, err := newStorage(c, opts.Users, opts.AccessTokenLifetime)
	if err != nil {
		ln.Close()
		return nil, err
	}
	handler, err := newHandler(issuer, st, opts.Logger)
	if err != nil {
		ln.Close()
		return nil, err
	}

	p := &Provider{
		Issuer: issuer, ClientID: opts.ClientID, ClientSecret: opts.ClientSecret, storage: st,
		server: &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}, done: make(chan error, 1),
	}
	go func() { p.done <- p.server.Serve(ln) }()
	return p, nil
}

func withDefaults(o Options) Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.ClientID == "" {
		o.ClientID = "palisade"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "palisade-e2e-secret"
	}
	if o.AccessTokenLifetime == 0 {
		o.AccessTokenLifetime = 5 * time.Minute
	}
	if o.Users == nil {
		o.Users = DefaultUsers()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PostLogoutRedirectURIs == nil {
		for _, r := range o.RedirectURIs {
			if u, err := url.Parse(r); err == nil {
				origin := u.Scheme + "://" + u.Host
				o.PostLogoutRedirectURIs = append(o.PostLogoutRedirectURIs, origin+"/auth/signed-out", origin+"/")
			}
		}
	}
	return o
}

func newHandler(issuer string, st *storage, log *slog.Logger) (http.Handler, error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	cfg := &op.Config{
		CryptoKey:                key,
		DefaultLogoutRedirectURI: loggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.English},
		SupportedScopes:          []string{"openid", "profile", "email", "offline_access", "groups"},
		SupportedClaims:          append(append([]string{}, op.DefaultSupportedClaims...), "groups"),
	}
	// The issuer is plain http on loopback, which op refuses without
	// WithAllowInsecure.
	prov, err := op.NewProvider(cfg, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		return nil, fmt.Errorf("create OpenID provider: %w", err)
	}

	mux := http.NewServeMux()
	l := &loginPage{storage: st, callback: op.AuthCallbackURL(prov)}
	interceptor := op.NewIssuerInterceptor(prov.IssuerFromRequest)
	mux.HandleFunc("GET "+loginPath, l.show)
	mux.HandleFunc("POST "+loginPath, interceptor.HandlerFunc(l.submit))
	mux.HandleFunc("GET "+loggedOutPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><title>Signed out</title><h1>Signed out of the test provider</h1>`)
	})
	mux.Handle("/", prov)
	return logRequests(log, mux), nil
}

func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Debug("OpenID provider request", slog.String("method", r.Method), slog.String("path", r.URL.Path))
		next.ServeHTTP(w, r)
	})
}

// Close stops the provider.
func (p *Provider) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p.server.Shutdown(ctx)
	if serveErr := <-p.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}

// SetGroups replaces a user's groups; the next token refresh carries the
// new ones.
func (p *Provider) SetGroups(username string, groups ...string) {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	u := p.storage.userByUsernameLocked(username)
	if u == nil {
		panic("oidcprovider: no user " + username)
	}
	u.Groups = groups
}

// RevokeUser drops every refresh and access token of a user, as an admin
// disabling them at the provider would.
func (p *Provider) RevokeUser(username string) {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	if u := p.storage.userByUsernameLocked(username); u != nil {
		p.storage.revokeUserLocked(u.Subject, "")
	}
}

// Refreshes counts refresh token grants answered so far.
func (p *Provider) Refreshes() int {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	return p.storage.refreshes
}

// loginPage is the provider's sign-in screen: pick a user by name.
type loginPage struct {
	storage  *storage
	callback func(context.Context, string) string
}

var loginTemplate = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Test OpenID provider</title></head>
<body>
<h1>Test OpenID provider</h1>
<p>Sign in as one of: {{range $i, $u := .Users}}{{if $i}}, {{end}}<code>{{$u}}</code>{{end}}. There is no password.</p>
{{if .Error}}<p role="alert" data-testid="login-error">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.ID}}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autofocus data-testid="username">
<button type="submit" data-testid="sign-in">Sign in</button>
</form>
</body>
</html>`))

func (l *loginPage) show(w http.ResponseWriter, r *http.Request) {
	l.render(w, http.StatusOK, r.URL.Query().Get(queryAuthRequestID), "")
}

func (l *loginPage) submit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "cannot parse form", http.StatusBadRequest)
		return
	}
	id := r.PostForm.Get("id")
	if err := l.storage.completeLogin(id, r.PostForm.Get("username")); err != nil {
		l.render(w, http.StatusUnprocessableEntity, id, err.Error())
		return
	}
	http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
}

func (l *loginPage) render(w http.ResponseWriter, status int, id, errMsg string) {
	l.storage.mu.Lock()
	var names []string
	for _, u := range l.storage.users {
		names = append(names, u.Username)
	}
	l.storage.mu.Unlock()
	sort.Strings(names)

	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = loginTemplate.Execute(w, struct {
		ID, Error string
		Users     []string
	}{id, errMsg, names})
}
