package hosts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/palisadesec/palisade/internal/store"
)

// Token lifetimes: a day unless the admin says otherwise, and never more
// than a month, since an unused token lying around is a way in.
const (
	DefaultTokenTTL = 24 * time.Hour
	MaxTokenTTL     = 30 * 24 * time.Hour
)

// Prefixes of the secrets this package makes, so that a leaked one is
// recognisable in logs, pastes and secret scanners.
const (
	tokenPrefix      = "palisade_enrol_"
	credentialPrefix = "palisade_agent_"
)

// Errors callers branch on.
var (
	// ErrBadToken: the enrolment token is unknown, expired or spent.
	ErrBadToken = errors.New("enrolment token unknown, expired or already used")
	// ErrBadCredential: the agent credential is unknown or revoked.
	ErrBadCredential = errors.New("agent credential unknown or revoked")
	// ErrBadHostname: the host name an agent enrols with is unusable.
	ErrBadHostname = errors.New("bad host name")
	// ErrBadTTL: a token lifetime out of range.
	ErrBadTTL = errors.New("bad token lifetime")
)

// Service enrols hosts and takes in their snapshots.
type Service struct {
	store *store.Store
	log   *slog.Logger
}

// New returns a service on st.
func New(st *store.Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: st, log: log.With(slog.String("component", "hosts"))}
}

// NewToken is an enrolment token as made: the secret is shown once and
// never stored.
type NewToken struct {
	Secret string
	store.EnrolmentToken
}

// CreateToken makes a one-time enrolment token valid for ttl (0 means
// DefaultTokenTTL). createdBy names who asked, for the token list.
func (s *Service) CreateToken(ctx context.Context, ttl time.Duration, createdBy string) (NewToken, error) {
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < time.Minute || ttl > MaxTokenTTL {
		return NewToken{}, fmt.Errorf("%w: %s is not between 1m and %s", ErrBadTTL, ttl, MaxTokenTTL)
	}
	secret := newSecret(tokenPrefix)
	t, err := s.store.CreateEnrolmentToken(ctx, hashSecret(secret), createdBy, time.Now().Add(ttl))
	if err != nil {
		return NewToken{}, err
	}
	s.log.Info("Enrolment token created", slog.Int64("token_id", t.ID), slog.String("created_by", createdBy),
		slog.Time("expires_at", t.ExpiresAt))
	return NewToken{Secret: secret, EnrolmentToken: t}, nil
}

// Enrol spends token and creates a host called hostname. It returns the
// host and the credential its agent will send from now on.
func (s *Service) Enrol(ctx context.Context, token, hostname string) (store.Host, string, error) {
	if err := checkHostname(hostname); err != nil {
		return store.Host{}, "", err
	}
	if token == "" {
		return store.Host{}, "", ErrBadToken
	}
	credential := newSecret(credentialPrefix)
	h, err := s.store.EnrolHost(ctx, hashSecret(token), hostname, hashSecret(credential))
	if errors.Is(err, store.ErrNotFound) {
		return store.Host{}, "", ErrBadToken
	}
	if err != nil {
		return store.Host{}, "", err
	}
	s.log.Info("Host enrolled", slog.Int64("host_id", h.ID), slog.String("host_name", h.Name))
	return h, credential, nil
}

// Authenticate returns the id of the host whose agent holds credential.
func (s *Service) Authenticate(ctx context.Context, credential string) (int64, error) {
	if credential == "" {
		return 0, ErrBadCredential
	}
	id, err := s.store.HostIDByCredential(ctx, hashSecret(credential))
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrBadCredential
	}
	return id, err
}

// RevokeCredential cuts a host's agent off; its results stay. The agent
// needs a new enrolment token to send again.
func (s *Service) RevokeCredential(ctx context.Context, hostID int64) error {
	if err := s.store.RevokeHostCredential(ctx, hostID); err != nil {
		return err
	}
	s.log.Info("Host credential revoked", slog.Int64("host_id", hostID))
	return nil
}

// WithdrawToken deletes an enrolment token nobody used yet.
func (s *Service) WithdrawToken(ctx context.Context, tokenID int64) error {
	if err := s.store.DeleteEnrolmentToken(ctx, tokenID); err != nil {
		return err
	}
	s.log.Info("Enrolment token withdrawn", slog.Int64("token_id", tokenID))
	return nil
}

// DeleteHost removes a host with its snapshots, results, exemptions and
// assessment. An agent still running there is refused from then on.
func (s *Service) DeleteHost(ctx context.Context, hostID int64) error {
	if err := s.store.DeleteHost(ctx, hostID); err != nil {
		return err
	}
	s.log.Info("Host deleted", slog.Int64("host_id", hostID))
	return nil
}

// checkHostname accepts what /etc/hostname or a -hostname flag may hold:
// 1 to 253 bytes of printable text.
func checkHostname(name string) error {
	if name == "" || len(name) > 253 {
		return fmt.Errorf("%w: want 1 to 253 characters, got %d", ErrBadHostname, len(name))
	}
	if strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return fmt.Errorf("%w: %q holds a control character", ErrBadHostname, name)
	}
	return nil
}

// newSecret returns prefix and 256 random bits, base64url-encoded.
func newSecret(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("hosts: no randomness: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is what the database stores in place of a token or
// credential. The secrets hold 256 random bits, so a fast hash is enough:
// nothing can be guessed from it.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
