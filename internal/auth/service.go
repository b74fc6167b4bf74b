package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/secrets"
	"github.com/palisadesec/palisade/internal/store"
)

// SessionCookie names the cookie that carries the session token.
const SessionCookie = "palisade_session"

// touchEvery throttles last-seen updates: a busy session writes at most
// once a minute, so the idle timeout is accurate to about a minute.
const touchEvery = time.Minute

// LocalAdminName is who everyone is in local mode.
const LocalAdminName = "local admin"

// Principal is who is making a request.
type Principal struct {
	// Local is set in local mode, where everyone is an admin.
	Local     bool
	UserID    int64
	Name      string
	Email     string
	Role      Role
	SessionID int64
	// TokenID is set when an API token authenticated the request; Name is
	// then the token's name and Role its role.
	TokenID int64
	// CSRFBinding is what this principal's CSRF tokens are bound to; empty
	// for the anonymous and for local mode, which bind to a browser cookie.
	CSRFBinding string
}

// Anonymous reports whether nobody is signed in.
func (p Principal) Anonymous() bool {
	return !p.Local && p.UserID == 0 && p.TokenID == 0
}

// Options are what New needs.
type Options struct {
	Config *config.Config
	Store  *store.Store
	Logger *slog.Logger
	// HTTPClient talks to the OpenID provider; nil means one with a
	// 10-second timeout.
	HTTPClient *http.Client
}

// Service signs people in and out and tells who is behind a request.
type Service struct {
	cfg    *config.Config
	store  *store.Store
	log    *slog.Logger
	client *http.Client
	mapper Mapper
	keys   keys
	box    *secrets.Box
	secure bool

	mu          sync.Mutex
	prov        *provider
	lastFailure time.Time
	lastErr     error
}

// New builds the service. In OIDC mode it needs PALISADE_SECRET_KEY to
// seal refresh tokens; it does not contact the provider until the first
// sign-in, so the console starts while the provider is down.
func New(o Options) (*Service, error) {
	cfg := o.Config
	s := &Service{cfg: cfg, store: o.Store, log: o.Logger, client: o.HTTPClient}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 10 * time.Second}
	}
	s.secure = cfg.BaseURL != nil && cfg.BaseURL.Scheme == "https"
	var err error
	if s.keys, err = deriveKeys(cfg.SecretKey); err != nil {
		return nil, err
	}
	if cfg.LocalMode() {
		return s, nil
	}

	if o.Store == nil {
		return nil, errors.New("auth: a store is required when PALISADE_OIDC_ISSUER_URL is set")
	}
	if s.box, err = secrets.New(cfg.SecretKey); err != nil {
		return nil, fmt.Errorf("PALISADE_SECRET_KEY: required to seal refresh tokens: %w", err)
	}
	def, err := ParseRole(cfg.OIDCDefaultRole)
	if err != nil {
		return nil, fmt.Errorf("PALISADE_OIDC_DEFAULT_ROLE: %w", err)
	}
	s.mapper = Mapper{
		Claim: cfg.OIDCRoleClaim, Admin: cfg.OIDCAdminGroups, Operator: cfg.OIDCOperatorGroups,
		Viewer: cfg.OIDCViewerGroups, Default: def,
	}
	return s, nil
}

// LocalMode reports whether no provider is configured.
func (s *Service) LocalMode() bool {
	return s.cfg.LocalMode()
}

// Mapper returns the configured claim-to-role mapping.
func (s *Service) Mapper() Mapper {
	return s.mapper
}

// LocalAdmin is the principal of every request in local mode.
func LocalAdmin() Principal {
	return Principal{Local: true, Name: LocalAdminName, Role: RoleAdmin}
}

// SessionCookieFor returns the cookie that carries token until expires.
func (s *Service) SessionCookieFor(token string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	}
}

// ClearSessionCookie returns a cookie that deletes the session cookie.
func (s *Service) ClearSessionCookie() *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	}
}

// SecureCookies reports whether cookies carry the Secure flag, which they
// do when PALISADE_BASE_URL is https.
func (s *Service) SecureCookies() bool {
	return s.secure
}

// RecordAudit appends an entry to the audit log with p as the actor;
// features call it for every action that changes something.
func (s *Service) RecordAudit(ctx context.Context, p Principal, e store.AuditEntry) error {
	if s.store == nil {
		return errors.New("record audit: no database configured")
	}
	switch {
	case p.Local:
		e.ActorKind, e.ActorName = store.ActorUser, LocalAdminName
	case p.UserID != 0:
		id := p.UserID
		e.ActorKind, e.ActorUserID, e.ActorName = store.ActorUser, &id, p.Name
	case p.TokenID != 0:
		e.ActorKind, e.ActorName = store.ActorToken, TokenActorName(p.Name, p.TokenID)
	case e.ActorKind == "":
		e.ActorKind = store.ActorAnonymous
	}
	return s.store.RecordAudit(ctx, e)
}
