package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/palisadesec/palisade/internal/store"
)

// APITokenPrefix starts every API token, so that people and secret
// scanners recognise one in a log or a commit.
const APITokenPrefix = "pal_"

// apiTokenShown is how much of a token the token list shows: the prefix
// and eight random characters, 48 bits, enough to tell tokens apart and
// far too little to guess the rest.
const apiTokenShown = len(APITokenPrefix) + 8

// apiTokenTouchEvery throttles last-used updates to one write a minute
// per token, however busy the pipeline using it.
const apiTokenTouchEvery = time.Minute

// ErrBadAPIToken means a bearer token is not a live API token: unknown,
// malformed, revoked or expired.
var ErrBadAPIToken = errors.New("invalid, revoked or expired API token")

// APITokenSpec is a token to make.
type APITokenSpec struct {
	Name string
	Role Role
	// ExpiresAt is nil for a token that never expires.
	ExpiresAt *time.Time
	// CreatedBy is who made it: a user's name, or "cli".
	CreatedBy       string
	CreatedByUserID int64
}

// Validate reports what is wrong with a spec.
func (s APITokenSpec) Validate(now time.Time) error {
	var errs []error
	if n := utf8.RuneCountInString(strings.TrimSpace(s.Name)); n == 0 || n > 100 {
		errs = append(errs, errors.New("name: give 1 to 100 characters"))
	}
	if s.Role != RoleViewer && s.Role != RoleOperator && s.Role != RoleAdmin {
		errs = append(errs, errors.New("role: choose viewer, operator or admin"))
	}
	if s.ExpiresAt != nil && !s.ExpiresAt.After(now) {
		errs = append(errs, errors.New("expiry: must be in the future"))
	}
	return errors.Join(errs...)
}

// IssueAPIToken makes a token and stores its hash. The token itself is in
// the second result only: it cannot be shown again.
func IssueAPIToken(ctx context.Context, st *store.Store, spec APITokenSpec) (store.APIToken, string, error) {
	if err := spec.Validate(time.Now()); err != nil {
		return store.APIToken{}, "", err
	}
	token := newAPIToken()
	t := store.APIToken{
		Name: strings.TrimSpace(spec.Name), Prefix: token[:apiTokenShown], TokenHash: HashToken(token),
		Role: spec.Role.String(), CreatedByName: spec.CreatedBy, ExpiresAt: spec.ExpiresAt,
	}
	if spec.CreatedByUserID != 0 {
		id := spec.CreatedByUserID
		t.CreatedByUserID = &id
	}
	saved, err := st.CreateAPIToken(ctx, t)
	if err != nil {
		return saved, "", err
	}
	return saved, token, nil
}

func newAPIToken() string {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return APITokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// isAPIToken reports whether s has the shape newAPIToken makes, so that
// nothing else is ever hashed and looked up.
func isAPIToken(s string) bool {
	rest, ok := strings.CutPrefix(s, APITokenPrefix)
	return ok && isToken(rest)
}

// APITokenState says whether a token can be used at now: "active",
// "revoked" or "expired".
func APITokenState(t store.APIToken, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return "expired"
	}
	return "active"
}

// AuthenticateAPIToken returns the principal behind a bearer token, and
// records its use at most once a minute.
func (s *Service) AuthenticateAPIToken(ctx context.Context, token string) (Principal, error) {
	if s.store == nil || !isAPIToken(token) {
		return Principal{}, ErrBadAPIToken
	}
	t, err := s.store.APITokenByHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrBadAPIToken
	}
	if err != nil {
		return Principal{}, fmt.Errorf("load api token: %w", err)
	}
	now := time.Now()
	if state := APITokenState(t, now); state != "active" {
		s.log.Info("API token refused", slog.Int64("token_id", t.ID), slog.String("reason", state))
		return Principal{}, ErrBadAPIToken
	}
	role, err := ParseRole(t.Role)
	if err != nil {
		return Principal{}, fmt.Errorf("api token %d: %w", t.ID, err)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= apiTokenTouchEvery {
		if err := s.store.TouchAPIToken(ctx, t.ID, apiTokenTouchEvery); err != nil {
			s.log.Warn("API token last-used time not updated", slog.Int64("token_id", t.ID), slog.Any("error", err))
		}
	}
	return Principal{TokenID: t.ID, Name: t.Name, Role: role, CSRFBinding: fmt.Sprintf("token:%d", t.ID)}, nil
}

// TokenActorName is how the audit log names an API token.
func TokenActorName(name string, id int64) string {
	return fmt.Sprintf("%s (token %d)", name, id)
}
