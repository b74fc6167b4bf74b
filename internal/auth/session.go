package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"

	"github.com/palisadesec/palisade/internal/store"
)

// ErrNoSession means the session cookie names no live session: it is
// unknown, revoked or timed out, or it ended because the provider refused
// to refresh it.
var ErrNoSession = errors.New("no valid session")

// Authenticate returns the principal behind a session token. When the
// provider's access token has run out and a refresh token is at hand, it
// refreshes the claims first and maps the role again, so group changes at
// the provider apply without a new sign-in. A refresh the provider refuses
// ends the session; an unreachable provider returns ErrProviderUnavailable
// and keeps it for the next try.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if s.LocalMode() {
		return LocalAdmin(), nil
	}
	if !isToken(token) {
		return Principal{}, ErrNoSession
	}
	sess, u, err := s.store.SessionByTokenHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, fmt.Errorf("load session: %w", err)
	}

	now := time.Now()
	if reason := s.expired(sess, now); reason != "" {
		s.end(ctx, s.store.DeleteSession, sess, u, reason)
		return Principal{}, ErrNoSession
	}
	if needsRefresh(sess, now) {
		if u, err = s.refresh(ctx, sess.ID, u); err != nil {
			return Principal{}, err
		}
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.store.TouchSession(ctx, sess.ID, touchEvery); err != nil {
			s.log.Warn("Session last-seen time not updated", slog.Int64("session_id", sess.ID), slog.Any("error", err))
		}
	}

	role, err := ParseRole(u.Role)
	if err != nil {
		return Principal{}, fmt.Errorf("user %d: %w", u.ID, err)
	}
	return Principal{
		UserID: u.ID, Name: u.Name, Email: u.Email, Role: role,
		SessionID: sess.ID, CSRFBinding: SessionBinding(token),
	}, nil
}

// expired says why a session has timed out, or "" while it is live. The
// absolute limit is also checked against the current setting, so that
// shortening it applies to sessions already running.
func (s *Service) expired(sess store.Session, now time.Time) string {
	switch {
	case !now.Before(sess.ExpiresAt), !now.Before(sess.CreatedAt.Add(s.cfg.SessionAbsoluteTimeout)):
		return "absolute timeout"
	case now.Sub(sess.LastSeenAt) >= s.cfg.SessionIdleTimeout:
		return "idle timeout"
	}
	return ""
}

func needsRefresh(sess store.Session, now time.Time) bool {
	return len(sess.RefreshToken) > 0 && sess.AccessTokenExpiresAt != nil && !now.Before(*sess.AccessTokenExpiresAt)
}

// refresh renews the session's tokens with its refresh token, holding the
// session row locked so that concurrent requests refresh once: providers
// that rotate refresh tokens refuse the second use of one.
func (s *Service) refresh(ctx context.Context, sessionID int64, u store.User) (store.User, error) {
	p, err := s.discover(ctx)
	if err != nil {
		return u, err
	}
	out, ended := u, ""
	err = s.store.InTx(ctx, func(tx pgx.Tx) error {
		sess, err := s.store.LockSessionTx(ctx, tx, sessionID)
		if errors.Is(err, store.ErrNotFound) {
			ended = "revoked"
			return nil
		}
		if err != nil {
			return err
		}
		if !needsRefresh(sess, time.Now()) {
			// Another request refreshed while this one waited for the lock.
			out, err = s.store.UserByID(ctx, u.ID)
			return err
		}
		out, ended, err = s.refreshLocked(ctx, tx, p, sess, u)
		return err
	})
	if err != nil {
		return u, err
	}
	if ended != "" {
		return u, ErrNoSession
	}
	return out, nil
}

// refreshLocked does the refresh for refresh. It returns why the session
// ended when the provider refused; an unreachable provider is an error.
func (s *Service) refreshLocked(ctx context.Context, tx pgx.Tx, p *provider, sess store.Session, u store.User) (store.User, string, error) {
	deleteInTx := func(ctx context.Context, id int64) error { return s.store.DeleteSessionTx(ctx, tx, id) }
	rt, err := s.open(sess.TokenHash, "refresh_token", sess.RefreshToken)
	if err != nil {
		return u, s.end(ctx, deleteInTx, sess, u, "refresh token cannot be decrypted"), nil
	}
	tok, err := p.oauth.TokenSource(s.clientContext(ctx), &oauth2.Token{RefreshToken: rt}).Token()
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		return u, s.end(ctx, deleteInTx, sess, u, "provider refused the refresh: "+re.ErrorCode), nil
	case err != nil:
		return u, "", fmt.Errorf("%w: refresh tokens: %w", ErrProviderUnavailable, err)
	}

	id, rawID, err := s.refreshedIdentity(ctx, p, tok, u)
	if err != nil {
		return u, s.end(ctx, deleteInTx, sess, u, err.Error()), nil
	}
	m := s.mapper.Map(id.claims)
	if m.Role == RoleNone {
		return u, s.end(ctx, deleteInTx, sess, u, "role claim no longer maps: "+m.Reason()), nil
	}
	nu := id.user(m)
	nu.ID = u.ID
	saved, err := s.store.UpdateUserClaimsTx(ctx, tx, nu)
	if err != nil {
		return u, "", err
	}
	idToken := sess.IDToken
	if rawID != "" {
		idToken = s.seal(sess.TokenHash, "id_token", rawID)
	}
	err = s.store.UpdateSessionTokensTx(ctx, tx, sess.ID, s.seal(sess.TokenHash, "refresh_token", tok.RefreshToken), idToken, accessExpiry(tok, id))
	if err != nil {
		return u, "", err
	}
	s.log.Debug("Session refreshed", slog.Int64("session_id", sess.ID), slog.String("role", saved.Role))
	if saved.Role != u.Role {
		s.auditRoleChange(ctx, tx, u, saved, m)
	}
	return saved, "", nil
}

// refreshedIdentity reads the claims a refresh brought: from a new ID
// token when the provider sent one (verified like at sign-in, and for the
// same subject), else from the userinfo endpoint over the old claims.
func (s *Service) refreshedIdentity(ctx context.Context, p *provider, tok *oauth2.Token, u store.User) (identity, string, error) {
	if raw, _ := tok.Extra("id_token").(string); raw != "" {
		idt, raw, err := s.verifyIDToken(ctx, p, tok)
		if err != nil {
			return identity{}, "", err
		}
		if idt.Subject != u.Subject || idt.Issuer != u.Issuer {
			return identity{}, "", errors.New("refreshed ID token is for another subject")
		}
		id, err := readIdentity(idt)
		return id, raw, err
	}

	claims := map[string]any{}
	if err := json.Unmarshal(u.Claims, &claims); err != nil {
		return identity{}, "", fmt.Errorf("read stored claims: %w", err)
	}
	if p.oidc.UserInfoEndpoint() != "" {
		info, err := p.oidc.UserInfo(s.clientContext(ctx), oauth2.StaticTokenSource(tok))
		if err != nil {
			return identity{}, "", fmt.Errorf("read userinfo after refresh: %w", err)
		}
		if info.Subject != u.Subject {
			return identity{}, "", errors.New("userinfo after refresh is for another subject")
		}
		if err := info.Claims(&claims); err != nil {
			return identity{}, "", fmt.Errorf("read userinfo claims: %w", err)
		}
	}
	raw, err := json.Marshal(claims)
	if err != nil {
		return identity{}, "", err
	}
	id, err := identityFromClaims(u.Issuer, u.Subject, raw)
	return id, "", err
}

func (s *Service) auditRoleChange(ctx context.Context, tx pgx.Tx, before, after store.User, m Mapping) {
	err := s.store.RecordAuditTx(ctx, tx, store.AuditEntry{
		ActorKind: store.ActorSystem, ActorName: "token refresh", Action: "auth.role_changed",
		ResourceKind: "user", ResourceID: fmt.Sprint(after.ID),
		Details: map[string]any{"from": before.Role, "to": after.Role, "reason": m.Reason(), "groups": nonNilStrings(m.Values)},
	})
	if err != nil {
		s.log.Error("Audit entry not recorded", slog.String("action", "auth.role_changed"), slog.Any("error", err))
	}
	s.log.Info("Role changed on token refresh", slog.Int64("user_id", after.ID),
		slog.String("from", before.Role), slog.String("to", after.Role))
}

// end deletes a session that may no longer be used, records why, and
// returns the reason.
func (s *Service) end(ctx context.Context, del func(context.Context, int64) error, sess store.Session, u store.User, reason string) string {
	if err := del(ctx, sess.ID); err != nil {
		s.log.Warn("Ended session not deleted", slog.Int64("session_id", sess.ID), slog.Any("error", err))
	}
	s.audit(ctx, store.AuditEntry{
		ActorKind: store.ActorSystem, ActorName: "session check", Action: "auth.session_ended",
		ResourceKind: "user", ResourceID: fmt.Sprint(u.ID),
		Details: map[string]any{"session_id": sess.ID, "reason": reason},
	})
	s.log.Info("Session ended", slog.Int64("session_id", sess.ID), slog.Int64("user_id", u.ID), slog.String("reason", reason))
	return reason
}

// SignOut revokes the session behind token and returns where to send the
// browser next: the provider's logout endpoint when it advertises one, so
// the provider's own session ends too, else "".
func (s *Service) SignOut(ctx context.Context, token, sourceIP string) (string, error) {
	if s.LocalMode() || !isToken(token) {
		return "", nil
	}
	sess, u, err := s.store.SessionByTokenHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load session: %w", err)
	}
	if err := s.store.DeleteSession(ctx, sess.ID); err != nil {
		return "", err
	}
	s.audit(ctx, store.AuditEntry{
		ActorKind: store.ActorUser, ActorUserID: &u.ID, ActorName: u.Name, Action: "auth.sign_out",
		ResourceKind: "user", ResourceID: fmt.Sprint(u.ID), SourceIP: sourceIP,
		Details: map[string]any{"session_id": sess.ID},
	})
	s.log.Info("User signed out", slog.Int64("user_id", u.ID), slog.String("user", u.Name))

	idToken, err := s.open(sess.TokenHash, "id_token", sess.IDToken)
	if err != nil {
		idToken = ""
	}
	// Only a provider discovered already: signing out must not wait for
	// one that is down.
	s.mu.Lock()
	p := s.prov
	s.mu.Unlock()
	return s.endSessionURL(p, idToken), nil
}

// Profile is what a user's own page shows: the stored user, the claims of
// the last sign-in or refresh, and how the current settings map them.
type Profile struct {
	User    store.User
	Claims  map[string]any
	Mapping Mapping
	Mapper  Mapper
}

// Profile loads the profile of a signed-in principal.
func (s *Service) Profile(ctx context.Context, p Principal) (Profile, error) {
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return Profile{}, err
	}
	claims := map[string]any{}
	if err := json.Unmarshal(u.Claims, &claims); err != nil {
		return Profile{}, fmt.Errorf("read stored claims of user %d: %w", u.ID, err)
	}
	return Profile{User: u, Claims: claims, Mapping: s.mapper.Map(claims), Mapper: s.mapper}, nil
}

// RevokeUserSessions ends every session of a user at once, for an admin
// who must cut someone off before their next token refresh would. It
// returns how many sessions ended.
func (s *Service) RevokeUserSessions(ctx context.Context, userID int64) (int64, error) {
	if s.store == nil {
		return 0, errors.New("revoke sessions: no database configured")
	}
	if _, err := s.store.UserByID(ctx, userID); err != nil {
		return 0, err
	}
	return s.store.DeleteUserSessions(ctx, userID)
}
