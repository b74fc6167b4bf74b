package auth

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/palisadesec/palisade/internal/store"
)

// discoveryRetry spaces out discovery attempts while the provider is down,
// so a burst of sign-ins does not become a burst of requests to it.
const discoveryRetry = 5 * time.Second

// ErrProviderUnavailable means the OpenID provider could not be reached or
// answered nonsense; sign-in works again once it answers.
var ErrProviderUnavailable = errors.New("the OpenID provider is unavailable")

// ErrSignInFailed means the provider's answer did not check out: the code
// exchange failed or the ID token is invalid. Starting again may work; if
// it keeps failing, the provider or the client settings are wrong.
var ErrSignInFailed = errors.New("sign-in failed")

// ProviderError is an error the provider sent back to the callback, such
// as access_denied when a person cancels at its login page.
type ProviderError struct {
	Code        string
	Description string
}

func (e *ProviderError) Error() string {
	if e.Description == "" {
		return "OpenID provider refused the sign-in: " + e.Code
	}
	return fmt.Sprintf("OpenID provider refused the sign-in: %s: %s", e.Code, e.Description)
}

// RefusedError is a sign-in that the provider accepted but whose claims
// map to no role while PALISADE_OIDC_DEFAULT_ROLE is none.
type RefusedError struct {
	Issuer  string
	Subject string
	Name    string
	Email   string
	Mapping Mapping
	// Mapper is the configuration the claims were held against.
	Mapper Mapper
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("sign-in of %s refused: %s", e.Subject, e.Mapping.Reason())
}

// provider is the discovered OpenID provider.
type provider struct {
	oidc       *oidc.Provider
	verifier   *oidc.IDTokenVerifier
	oauth      oauth2.Config
	endSession string
}

// Discover fetches the provider's configuration unless it already has it.
// Sign-in calls it; call it at startup to learn early of a bad issuer.
func (s *Service) Discover(ctx context.Context) error {
	_, err := s.discover(ctx)
	return err
}

func (s *Service) discover(ctx context.Context) (*provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prov != nil {
		return s.prov, nil
	}
	if s.lastErr != nil && time.Since(s.lastFailure) < discoveryRetry {
		return nil, s.lastErr
	}

	p, err := s.fetchProvider(ctx)
	if err != nil {
		s.lastErr = fmt.Errorf("%w: discover %s: %w", ErrProviderUnavailable, s.cfg.OIDCIssuerURL, err)
		s.lastFailure = time.Now()
		s.log.Warn("OpenID provider discovery failed", slog.String("issuer", s.cfg.OIDCIssuerURL), slog.Any("error", err))
		return nil, s.lastErr
	}
	s.prov, s.lastErr = p, nil
	s.log.Info("OpenID provider discovered", slog.String("issuer", s.cfg.OIDCIssuerURL),
		slog.Bool("end_session", p.endSession != ""))
	return p, nil
}

func (s *Service) fetchProvider(ctx context.Context) (*provider, error) {
	op, err := oidc.NewProvider(s.clientContext(ctx), s.cfg.OIDCIssuerURL)
	if err != nil {
		return nil, err
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := op.Claims(&extra); err != nil {
		return nil, fmt.Errorf("read discovery document: %w", err)
	}
	return &provider{
		oidc:     op,
		verifier: op.Verifier(&oidc.Config{ClientID: s.cfg.OIDCClientID}),
		oauth: oauth2.Config{
			ClientID:     s.cfg.OIDCClientID,
			ClientSecret: s.cfg.OIDCClientSecret,
			Endpoint:     op.Endpoint(),
			RedirectURL:  s.cfg.BaseURL.String() + "/auth/callback",
			Scopes:       s.cfg.OIDCScopes,
		},
		endSession: extra.EndSession,
	}, nil
}

// clientContext makes go-oidc and oauth2 use our HTTP client, with its
// timeout, for calls to the provider.
func (s *Service) clientContext(ctx context.Context) context.Context {
	ctx = oidc.ClientContext(ctx, s.client)
	return context.WithValue(ctx, oauth2.HTTPClient, s.client)
}

// BeginSignIn starts the authorization code flow: it returns the
// provider's authorization URL and the cookie that binds the flow's
// state, nonce and PKCE verifier to this browser. next is where to go
// after sign-in; anything but a local path becomes "/".
func (s *Service) BeginSignIn(ctx context.Context, next string) (string, *http.Cookie, error) {
	p, err := s.discover(ctx)
	if err != nil {
		return "", nil, err
	}
	f := flow{
		State:    newToken(),
		Nonce:    newToken(),
		Verifier: oauth2.GenerateVerifier(),
		Next:     SafeNext(next),
		Expires:  time.Now().Add(flowLifetime),
	}
	authURL := p.oauth.AuthCodeURL(f.State, oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce))
	return authURL, s.flowCookie(f), nil
}

// Callback is what the provider's redirect and the browser's cookies
// bring back to /auth/callback.
type Callback struct {
	State            string
	Code             string
	Error            string
	ErrorDescription string
	// FlowCookie is the value of the cookie named FlowCookieName(State).
	FlowCookie string
	// OldSession is the session cookie the browser still had, if any: it
	// is revoked, so each sign-in starts a new session.
	OldSession string
	SourceIP   string
	UserAgent  string
}

// SignedIn is a finished sign-in.
type SignedIn struct {
	// Token goes into the session cookie; only its hash is stored.
	Token     string
	ExpiresAt time.Time
	Next      string
	User      store.User
	Mapping   Mapping
}

// FinishSignIn completes the flow: it checks the state against the
// browser's cookie, exchanges the code with the PKCE verifier, verifies
// the ID token (signature, issuer, audience, expiry, nonce), maps the
// role, saves the user and starts a session. A refused sign-in returns
// *RefusedError and is recorded in the audit log.
func (s *Service) FinishSignIn(ctx context.Context, cb Callback) (SignedIn, error) {
	f, err := s.readFlow(cb.FlowCookie, cb.State, time.Now())
	if err != nil {
		return SignedIn{}, err
	}
	if cb.Error != "" {
		return SignedIn{}, &ProviderError{Code: cb.Error, Description: cb.ErrorDescription}
	}
	p, err := s.discover(ctx)
	if err != nil {
		return SignedIn{}, err
	}
	tok, err := p.oauth.Exchange(s.clientContext(ctx), cb.Code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return SignedIn{}, fmt.Errorf("%w: exchange authorization code: %w", ErrSignInFailed, err)
	}
	idt, rawID, err := s.verifyIDToken(ctx, p, tok)
	if err != nil {
		return SignedIn{}, fmt.Errorf("%w: %w", ErrSignInFailed, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return SignedIn{}, fmt.Errorf("%w: verify ID token: nonce does not match the sign-in's", ErrSignInFailed)
	}

	id, err := readIdentity(idt)
	if err != nil {
		return SignedIn{}, err
	}
	mapping := s.mapper.Map(id.claims)
	if mapping.Role == RoleNone {
		return SignedIn{}, s.refuse(ctx, id, mapping, cb.SourceIP)
	}
	u, err := s.store.UpsertUserSignIn(ctx, id.user(mapping))
	if err != nil {
		return SignedIn{}, err
	}
	return s.startSession(ctx, u, mapping, tok, id, rawID, f.Next, cb)
}

func (s *Service) startSession(ctx context.Context, u store.User, m Mapping, tok *oauth2.Token, id identity, rawID, next string, cb Callback) (SignedIn, error) {
	s.revokeOld(ctx, cb.OldSession)
	if n, err := s.store.DeleteExpiredSessions(ctx, s.cfg.SessionIdleTimeout); err != nil {
		s.log.Warn("Expired sessions not removed", slog.Any("error", err))
	} else if n > 0 {
		s.log.Debug("Expired sessions removed", slog.Int64("count", n))
	}

	token := newToken()
	hash := HashToken(token)
	sess := store.Session{
		TokenHash: hash, UserID: u.ID, ExpiresAt: time.Now().Add(s.cfg.SessionAbsoluteTimeout),
		IDToken: s.seal(hash, "id_token", rawID), AccessTokenExpiresAt: accessExpiry(tok, id),
		SourceIP: cb.SourceIP, UserAgent: truncate(cb.UserAgent, 512),
	}
	if tok.RefreshToken != "" {
		sess.RefreshToken = s.seal(hash, "refresh_token", tok.RefreshToken)
	}
	created, err := s.store.CreateSession(ctx, sess)
	if err != nil {
		return SignedIn{}, err
	}

	s.audit(ctx, store.AuditEntry{
		ActorKind: store.ActorUser, ActorUserID: &u.ID, ActorName: u.Name, Action: "auth.sign_in",
		ResourceKind: "user", ResourceID: fmt.Sprint(u.ID), SourceIP: cb.SourceIP,
		Details: map[string]any{
			"role": m.Role.String(), "reason": m.Reason(), "groups": nonNilStrings(m.Values),
			"session_id": created.ID, "refresh_token": tok.RefreshToken != "",
		},
	})
	s.log.Info("User signed in", slog.Int64("user_id", u.ID), slog.String("user", u.Name),
		slog.String("role", u.Role), slog.Int64("session_id", created.ID))
	return SignedIn{Token: token, ExpiresAt: created.ExpiresAt, Next: next, User: u, Mapping: m}, nil
}

// revokeOld ends the session the browser had before signing in again.
func (s *Service) revokeOld(ctx context.Context, token string) {
	if token == "" || !isToken(token) {
		return
	}
	old, _, err := s.store.SessionByTokenHash(ctx, HashToken(token))
	if err != nil {
		return
	}
	if err := s.store.DeleteSession(ctx, old.ID); err != nil {
		s.log.Warn("Previous session not revoked", slog.Int64("session_id", old.ID), slog.Any("error", err))
	}
}

func (s *Service) refuse(ctx context.Context, id identity, m Mapping, ip string) error {
	refused := &RefusedError{Issuer: id.issuer, Subject: id.subject, Name: id.name, Email: id.email, Mapping: m, Mapper: s.mapper}
	s.audit(ctx, store.AuditEntry{
		ActorKind: store.ActorAnonymous, ActorName: id.name, Action: "auth.sign_in_refused",
		ResourceKind: "user", ResourceID: id.subject, SourceIP: ip,
		Details: map[string]any{
			"issuer": id.issuer, "subject": id.subject, "email": id.email, "claim": m.Claim,
			"claim_present": m.Present, "groups": nonNilStrings(m.Values), "reason": m.Reason(),
		},
	})
	s.log.Warn("Sign-in refused", slog.String("subject", id.subject), slog.String("user", id.name),
		slog.Any("groups", m.Values), slog.String("reason", m.Reason()))
	return refused
}

// verifyIDToken checks the ID token in tok: signature, issuer, audience
// and expiry, and the access token hash when the token carries one.
func (s *Service) verifyIDToken(ctx context.Context, p *provider, tok *oauth2.Token) (*oidc.IDToken, string, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, "", errors.New("the provider's token response has no id_token")
	}
	idt, err := p.verifier.Verify(s.clientContext(ctx), raw)
	if err != nil {
		return nil, "", fmt.Errorf("verify ID token: %w", err)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, "", fmt.Errorf("verify ID token: %w", err)
		}
	}
	return idt, raw, nil
}

// identity is what an ID token says about its user.
type identity struct {
	issuer, subject, name, email string
	claims                       map[string]any
	rawClaims                    json.RawMessage
	// expiry is the ID token's; zero for claims read from userinfo.
	expiry time.Time
}

func readIdentity(idt *oidc.IDToken) (identity, error) {
	var raw json.RawMessage
	if err := idt.Claims(&raw); err != nil {
		return identity{}, fmt.Errorf("read ID token claims: %w", err)
	}
	id, err := identityFromClaims(idt.Issuer, idt.Subject, raw)
	id.expiry = idt.Expiry
	return id, err
}

func identityFromClaims(issuer, subject string, raw json.RawMessage) (identity, error) {
	id := identity{issuer: issuer, subject: subject, rawClaims: raw}
	if err := json.Unmarshal(raw, &id.claims); err != nil {
		return identity{}, fmt.Errorf("read ID token claims: %w", err)
	}
	id.email, _ = id.claims["email"].(string)
	for _, k := range []string{"name", "preferred_username", "email"} {
		if v, _ := id.claims[k].(string); v != "" {
			id.name = v
			break
		}
	}
	if id.name == "" {
		id.name = subject
	}
	return id, nil
}

func (id identity) user(m Mapping) store.User {
	return store.User{
		Issuer: id.issuer, Subject: id.subject, Email: id.email, Name: id.name,
		Role: m.Role.String(), Groups: m.Values, Claims: id.rawClaims,
	}
}

// accessExpiry is when the claims are due for a refresh: when the access
// token runs out, or, from a provider that does not say, when the ID token
// does. nil (neither known) means never.
func accessExpiry(tok *oauth2.Token, id identity) *time.Time {
	t := tok.Expiry
	if t.IsZero() {
		t = id.expiry
	}
	if t.IsZero() {
		return nil
	}
	return &t
}

// seal encrypts a provider token for one session row: the context binds
// it to the session's token hash, so it opens nowhere else.
func (s *Service) seal(hash []byte, field, value string) []byte {
	if value == "" {
		return nil
	}
	return s.box.Seal([]byte(value), sealContext(hash, field))
}

func (s *Service) open(hash []byte, field string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	b, err := s.box.Open(sealed, sealContext(hash, field))
	return string(b), err
}

func sealContext(hash []byte, field string) string {
	return "session:" + hex.EncodeToString(hash) + ":" + field
}

// endSessionURL is the provider's RP-initiated logout URL, or "" when the
// provider advertises none.
func (s *Service) endSessionURL(p *provider, idToken string) string {
	if p == nil || p.endSession == "" {
		return ""
	}
	u, err := url.Parse(p.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	q.Set("client_id", s.cfg.OIDCClientID)
	q.Set("post_logout_redirect_uri", s.cfg.BaseURL.String()+"/auth/signed-out")
	u.RawQuery = q.Encode()
	return u.String()
}

func (s *Service) audit(ctx context.Context, e store.AuditEntry) {
	if err := s.store.RecordAudit(ctx, e); err != nil {
		s.log.Error("Audit entry not recorded", slog.String("action", e.Action), slog.Any("error", err))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
