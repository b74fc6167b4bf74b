package registries

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/palisadesec/palisade/internal/registry"
	"github.com/palisadesec/palisade/internal/secrets"
	"github.com/palisadesec/palisade/internal/store"
)

// Auth kinds.
const (
	AuthNone         = "none"
	AuthBasic        = "basic"
	AuthBearer       = "bearer"
	AuthDockerConfig = "dockerconfig"
)

// Credentials are what a registry needs to let Palisade pull.
type Credentials struct {
	Username         string `json:"username,omitempty"`
	Password         string `json:"password,omitempty"`
	Token            string `json:"token,omitempty"`
	DockerConfigJSON string `json:"docker_config_json,omitempty"`
}

// Settings are the editable fields of a registry connection.
type Settings struct {
	Name            string
	URL             string
	InsecureHTTP    bool
	CABundle        string
	AuthKind        string
	Credentials     Credentials
	IncludePatterns []string
	ExcludePatterns []string
	ScanOnPush      bool
	PollInterval    time.Duration // 0: no catalog polling
}

// Connection is a registry with its credentials opened.
type Connection struct {
	store.Registry
	Creds Credentials
}

// Manager adds, edits and opens registries.
type Manager struct {
	store   *store.Store
	box     *secrets.Box
	baseURL string
}

// NewManager returns a manager that seals with box and builds webhook URLs
// under baseURL (the console's public URL).
func NewManager(st *store.Store, box *secrets.Box, baseURL string) *Manager {
	return &Manager{store: st, box: box, baseURL: strings.TrimRight(baseURL, "/")}
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Limits on untrusted settings, so a form cannot store megabytes.
const (
	maxCABundle     = 256 << 10
	maxSecretLength = 64 << 10
	maxPatterns     = 100
)

// Validate checks settings and returns every problem found.
func (s *Settings) Validate() error {
	var errs []error
	if !namePattern.MatchString(s.Name) {
		errs = append(errs, errors.New("name: use 1-63 lowercase letters, digits, '.', '_' or '-'"))
	}
	u, err := url.Parse(s.URL)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		errs = append(errs, errors.New("url: must look like https://registry.example.com or http://127.0.0.1:5000"))
	case u.Path != "" && u.Path != "/":
		errs = append(errs, errors.New("url: give the registry's root, without a path"))
	case u.Scheme == "http" && !s.InsecureHTTP:
		errs = append(errs, errors.New("url: plain http needs the insecure (plain HTTP) option"))
	case u.Scheme == "https" && s.InsecureHTTP:
		errs = append(errs, errors.New("url: the plain HTTP option is for http:// URLs; https is always verified (add a CA bundle instead)"))
	}
	switch s.AuthKind {
	case AuthNone:
	case AuthBasic:
		if s.Credentials.Username == "" || s.Credentials.Password == "" {
			errs = append(errs, errors.New("credentials: basic auth needs a username and a password"))
		}
	case AuthBearer:
		if s.Credentials.Token == "" {
			errs = append(errs, errors.New("credentials: bearer auth needs a token"))
		}
	case AuthDockerConfig:
		var cfg struct {
			Auths map[string]json.RawMessage `json:"auths"`
		}
		if err := json.Unmarshal([]byte(s.Credentials.DockerConfigJSON), &cfg); err != nil || len(cfg.Auths) == 0 {
			errs = append(errs, errors.New("credentials: the Docker config file must be JSON with an \"auths\" object"))
		}
	default:
		errs = append(errs, fmt.Errorf("auth: unknown kind %q (none, basic, bearer, dockerconfig)", s.AuthKind))
	}
	if len(s.CABundle) > maxCABundle {
		errs = append(errs, fmt.Errorf("ca bundle: larger than %d KiB", maxCABundle>>10))
	}
	if len(s.Credentials.Password)+len(s.Credentials.Token)+len(s.Credentials.DockerConfigJSON) > maxSecretLength {
		errs = append(errs, errors.New("credentials: too long"))
	}
	errs = append(errs, checkPatterns("include", s.IncludePatterns)...)
	errs = append(errs, checkPatterns("exclude", s.ExcludePatterns)...)
	if s.PollInterval != 0 && s.PollInterval < time.Minute {
		errs = append(errs, errors.New("poll interval: at least one minute, or 0 for none"))
	}
	if len(errs) == 0 {
		return nil
	}
	return &InvalidSettingsError{Problems: errs}
}

// InvalidSettingsError lists every problem Validate found, so a form can
// show them all at once. It reads like errors.Join of the problems.
type InvalidSettingsError struct {
	Problems []error
}

func (e *InvalidSettingsError) Error() string {
	return errors.Join(e.Problems...).Error()
}

// Unwrap returns the problems.
func (e *InvalidSettingsError) Unwrap() []error {
	return e.Problems
}

func checkPatterns(field string, patterns []string) []error {
	if len(patterns) > maxPatterns {
		return []error{fmt.Errorf("%s patterns: at most %d", field, maxPatterns)}
	}
	var errs []error
	for _, p := range patterns {
		if err := registry.ValidatePattern(p); err != nil || len(p) > 255 {
			errs = append(errs, fmt.Errorf("%s patterns: %q is not a valid pattern", field, p))
		}
	}
	return errs
}

// Add validates and stores a new registry with a fresh webhook token and
// secret.
func (m *Manager) Add(ctx context.Context, s Settings) (Connection, string, error) {
	if err := s.Validate(); err != nil {
		return Connection{}, "", err
	}
	token, secret := randomToken(16), randomToken(24)
	r, err := m.store.CreateRegistry(ctx, store.Registry{
		Name: s.Name, URL: strings.TrimRight(s.URL, "/"), InsecureHTTP: s.InsecureHTTP, CABundle: s.CABundle,
		AuthKind: s.AuthKind, Credentials: m.sealCredentials(s.Name, s.AuthKind, s.Credentials),
		IncludePatterns: s.IncludePatterns, ExcludePatterns: s.ExcludePatterns, ScanOnPush: s.ScanOnPush,
		PollInterval: durationPtr(s.PollInterval), WebhookToken: token,
		WebhookSecret: m.box.Seal([]byte(secret), webhookContext(token)),
	})
	if err != nil {
		return Connection{}, "", err
	}
	return Connection{Registry: r, Creds: s.Credentials}, secret, nil
}

// Update replaces a registry's settings. Empty credentials keep the stored
// ones, so an edit form need not show secrets.
func (m *Manager) Update(ctx context.Context, id int64, s Settings) (Connection, error) {
	old, err := m.Open(ctx, id)
	if err != nil {
		return Connection{}, err
	}
	if s.AuthKind == old.AuthKind && s.Credentials == (Credentials{Username: s.Credentials.Username}) {
		keep := old.Creds
		keep.Username = s.Credentials.Username
		s.Credentials = keep
	}
	if err := s.Validate(); err != nil {
		return Connection{}, err
	}
	r := old.Registry
	r.Name, r.URL, r.InsecureHTTP, r.CABundle = s.Name, strings.TrimRight(s.URL, "/"), s.InsecureHTTP, s.CABundle
	r.AuthKind, r.Credentials = s.AuthKind, m.sealCredentials(s.Name, s.AuthKind, s.Credentials)
	r.IncludePatterns, r.ExcludePatterns = s.IncludePatterns, s.ExcludePatterns
	r.ScanOnPush, r.PollInterval = s.ScanOnPush, durationPtr(s.PollInterval)
	updated, err := m.store.UpdateRegistry(ctx, r)
	if err != nil {
		return Connection{}, err
	}
	return Connection{Registry: updated, Creds: s.Credentials}, nil
}

// Open loads a registry and decrypts its credentials.
func (m *Manager) Open(ctx context.Context, id int64) (Connection, error) {
	r, err := m.store.RegistryByID(ctx, id)
	if err != nil {
		return Connection{}, err
	}
	return m.open(r)
}

func (m *Manager) open(r store.Registry) (Connection, error) {
	c := Connection{Registry: r}
	if len(r.Credentials) == 0 {
		return c, nil
	}
	plain, err := m.box.Open(r.Credentials, credentialsContext(r.Name, r.AuthKind))
	if err != nil {
		return c, fmt.Errorf("registry %s: %w", r.Name, err)
	}
	if err := json.Unmarshal(plain, &c.Creds); err != nil {
		return c, fmt.Errorf("registry %s: stored credentials unreadable: %w", r.Name, err)
	}
	return c, nil
}

// WebhookURL is the address the registry should send notifications to.
func (m *Manager) WebhookURL(r store.Registry) string {
	return m.baseURL + "/hooks/registry/" + r.WebhookToken
}

// WebhookSecret opens the secret the registry must send, for showing it
// to an admin again.
func (m *Manager) WebhookSecret(r store.Registry) (string, error) {
	plain, err := m.box.Open(r.WebhookSecret, webhookContext(r.WebhookToken))
	return string(plain), err
}

// Authenticate finds the registry a webhook call is for and checks the
// secret it sent, as "Bearer SECRET" or the bare secret (Harbor sends the
// auth header value as configured). It returns store.ErrNotFound for an
// unknown token and ErrBadSecret for a wrong secret.
func (m *Manager) Authenticate(ctx context.Context, token, authorization string) (Connection, error) {
	if len(token) > 128 {
		return Connection{}, store.ErrNotFound
	}
	r, err := m.store.RegistryByWebhookToken(ctx, token)
	if err != nil {
		return Connection{}, err
	}
	want, err := m.WebhookSecret(r)
	if err != nil {
		return Connection{}, err
	}
	got := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(authorization), "Bearer "))
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return Connection{}, ErrBadSecret
	}
	return m.open(r)
}

// ErrBadSecret means a webhook call carried the wrong secret.
var ErrBadSecret = errors.New("webhook secret does not match")

func (m *Manager) sealCredentials(name, kind string, c Credentials) []byte {
	if kind == AuthNone {
		return nil
	}
	plain, err := json.Marshal(c)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	return m.box.Seal(plain, credentialsContext(name, kind))
}

// credentialsContext binds sealed credentials to the registry's name and
// auth kind: credentials copied onto another registry's row do not open.
func credentialsContext(name, kind string) string {
	return "registry:" + name + ":" + kind + ":credentials"
}

func webhookContext(token string) string {
	return "registry-webhook:" + token
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	if n == 16 {
		return hex.EncodeToString(b)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func durationPtr(d time.Duration) *time.Duration {
	if d == 0 {
		return nil
	}
	return &d
}

// List returns every registry (credentials still sealed).
func (m *Manager) List(ctx context.Context) ([]store.Registry, error) {
	return m.store.Registries(ctx)
}

// ByName returns one registry (credentials still sealed).
func (m *Manager) ByName(ctx context.Context, name string) (store.Registry, error) {
	return m.store.RegistryByName(ctx, name)
}

// Remove disconnects the registry named name.
func (m *Manager) Remove(ctx context.Context, name string) error {
	r, err := m.store.RegistryByName(ctx, name)
	if err != nil {
		return err
	}
	return m.store.DeleteRegistry(ctx, r.ID)
}
