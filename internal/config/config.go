package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting Palisade reads from its environment.
type Config struct {
	DatabaseURL      string
	DatabaseMaxConns int32
	MigrateOnStart   bool

	ListenAddr      string
	BaseURL         *url.URL
	MaxBodyBytes    int64
	ShutdownTimeout time.Duration

	LogLevel  slog.Level
	LogFormat string

	SecretKey string

	RunWorkers  bool
	WorkerCount int

	OIDCIssuerURL      string
	OIDCClientID       string
	OIDCClientSecret   string
	OIDCScopes         []string
	OIDCRoleClaim      string
	OIDCAdminGroups    []string
	OIDCOperatorGroups []string
	OIDCViewerGroups   []string
	OIDCDefaultRole    string

	SessionIdleTimeout     time.Duration
	SessionAbsoluteTimeout time.Duration

	FeedBaseURL          string
	FeedEcosystems       []string
	FeedSyncInterval     time.Duration
	FeedMaxDownloadBytes int64

	UnhealthySeverities []string
	ScanMaxImageBytes   int64

	WebhookAllowPrivate bool
}

// LocalMode reports whether no OIDC provider is configured. In local mode the
// console listens on loopback only and everyone is an admin.
func (c *Config) LocalMode() bool {
	return c.OIDCIssuerURL == ""
}

// option describes one environment variable: its default, whether it is a
// secret (and so also readable from a NAME_FILE twin), and how to parse it.
type option struct {
	name   string
	def    string
	secret bool
	help   string
	parse  func(c *Config, v string) error
}

// Option is the public view of one setting, used to document them.
type Option struct {
	Name    string
	Default string
	Secret  bool
	Help    string
}

// Options lists every setting with its default, in table order.
func Options() []Option {
	out := make([]Option, 0, len(options))
	for _, o := range options {
		out = append(out, Option{Name: o.name, Default: o.def, Secret: o.secret, Help: o.help})
	}
	return out
}

var options = []option{
	{name: "PALISADE_DATABASE_URL", def: "postgres://localhost:5432/palisade?sslmode=disable", secret: true,
		help: "PostgreSQL connection URL",
		parse: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
				return errors.New("must be a postgres:// URL")
			}
			c.DatabaseURL = v
			return nil
		}},
	{name: "PALISADE_DATABASE_MAX_CONNS", def: "10", help: "largest number of open database connections",
		parse: func(c *Config, v string) error {
			n, err := parseIntRange(v, 2, 1000)
			c.DatabaseMaxConns = int32(n)
			return err
		}},
	{name: "PALISADE_MIGRATE_ON_START", def: "true", help: "apply database migrations when serve or worker starts",
		parse: func(c *Config, v string) (err error) { c.MigrateOnStart, err = parseBool(v); return }},
	{name: "PALISADE_LISTEN_ADDR", def: "127.0.0.1:8080", help: "host:port the HTTP server listens on",
		parse: func(c *Config, v string) error {
			if err := checkListenAddr(v); err != nil {
				return err
			}
			c.ListenAddr = v
			return nil
		}},
	{name: "PALISADE_BASE_URL", def: "", help: "public URL of the console, used in links, webhooks and OIDC redirects (default: http://LISTEN_ADDR)",
		parse: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("must be an absolute http or https URL")
			}
			u.Path = strings.TrimRight(u.Path, "/")
			c.BaseURL = u
			return nil
		}},
	{name: "PALISADE_MAX_BODY_BYTES", def: "1048576", help: "largest request body the server accepts, in bytes",
		parse: func(c *Config, v string) (err error) {
			n, err := parseIntRange(v, 1024, 1<<30)
			c.MaxBodyBytes = int64(n)
			return err
		}},
	{name: "PALISADE_SHUTDOWN_TIMEOUT", def: "30s", help: "how long in-flight requests and jobs get to finish on shutdown",
		parse: func(c *Config, v string) (err error) {
			c.ShutdownTimeout, err = parseDuration(v, time.Second, time.Hour)
			return
		}},
	{name: "PALISADE_LOG_LEVEL", def: "info", help: "debug, info, warn or error",
		parse: func(c *Config, v string) error {
			if c.LogLevel.UnmarshalText([]byte(v)) != nil {
				return fmt.Errorf("must be debug, info, warn or error, got %q", v)
			}
			return nil
		}},
	{name: "PALISADE_LOG_FORMAT", def: "text", help: "text or json",
		parse: func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return errors.New(`must be "text" or "json"`)
			}
			c.LogFormat = v
			return nil
		}},
	{name: "PALISADE_SECRET_KEY", def: "", secret: true,
		help: "at least 32 characters; encrypts stored credentials (generate with: openssl rand -hex 32)",
		parse: func(c *Config, v string) error {
			if v != "" && len(v) < 32 {
				return errors.New("must be at least 32 characters")
			}
			c.SecretKey = v
			return nil
		}},
	{name: "PALISADE_RUN_WORKERS", def: "true", help: "whether serve also runs background job workers",
		parse: func(c *Config, v string) (err error) { c.RunWorkers, err = parseBool(v); return }},
	{name: "PALISADE_WORKER_COUNT", def: "4", help: "background jobs run at once per process",
		parse: func(c *Config, v string) (err error) { c.WorkerCount, err = parseIntRange(v, 1, 1000); return }},
	{name: "PALISADE_OIDC_ISSUER_URL", def: "", help: "OpenID provider issuer URL; empty means local mode (loopback only, everyone admin)",
		parse: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("must be an absolute http or https URL")
			}
			c.OIDCIssuerURL = v
			return nil
		}},
	{name: "PALISADE_OIDC_CLIENT_ID", def: "", help: "OIDC client ID",
		parse: func(c *Config, v string) error { c.OIDCClientID = v; return nil }},
	{name: "PALISADE_OIDC_CLIENT_SECRET", def: "", secret: true, help: "OIDC client secret (empty for a public client using PKCE only)",
		parse: func(c *Config, v string) error { c.OIDCClientSecret = v; return nil }},
	{name: "PALISADE_OIDC_SCOPES", def: "openid,profile,email,offline_access", help: "comma-separated scopes to request",
		parse: func(c *Config, v string) error {
			c.OIDCScopes = parseList(v)
			if !slices.Contains(c.OIDCScopes, "openid") {
				return errors.New(`must include "openid"`)
			}
			return nil
		}},
	{name: "PALISADE_OIDC_ROLE_CLAIM", def: "groups", help: "ID token claim holding the user's groups or roles",
		parse: func(c *Config, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			c.OIDCRoleClaim = v
			return nil
		}},
	{name: "PALISADE_OIDC_ADMIN_GROUPS", def: "palisade-admins", help: "comma-separated claim values that grant the admin role",
		parse: func(c *Config, v string) error { c.OIDCAdminGroups = parseList(v); return nil }},
	{name: "PALISADE_OIDC_OPERATOR_GROUPS", def: "palisade-operators", help: "comma-separated claim values that grant the operator role",
		parse: func(c *Config, v string) error { c.OIDCOperatorGroups = parseList(v); return nil }},
	{name: "PALISADE_OIDC_VIEWER_GROUPS", def: "palisade-viewers", help: "comma-separated claim values that grant the viewer role",
		parse: func(c *Config, v string) error { c.OIDCViewerGroups = parseList(v); return nil }},
	{name: "PALISADE_OIDC_DEFAULT_ROLE", def: "none", help: "role for users no group maps: viewer, operator, admin, or none to refuse sign-in",
		parse: func(c *Config, v string) error {
			switch v {
			case "none", "viewer", "operator", "admin":
				c.OIDCDefaultRole = v
				return nil
			}
			return errors.New("must be none, viewer, operator or admin")
		}},
	{name: "PALISADE_SESSION_IDLE_TIMEOUT", def: "8h", help: "a session ends after this long without a request",
		parse: func(c *Config, v string) (err error) {
			c.SessionIdleTimeout, err = parseDuration(v, time.Minute, 30*24*time.Hour)
			return
		}},
	{name: "PALISADE_SESSION_ABSOLUTE_TIMEOUT", def: "24h", help: "a session ends this long after sign-in, however active",
		parse: func(c *Config, v string) (err error) {
			c.SessionAbsoluteTimeout, err = parseDuration(v, time.Minute, 90*24*time.Hour)
			return
		}},
	{name: "PALISADE_FEED_BASE_URL", def: "https://osv-vulnerabilities.storage.googleapis.com",
		help: "where advisory feeds are downloaded from: BASE/ECOSYSTEM/all.zip, as the public OSV bucket lays them out",
		parse: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("must be an absolute http or https URL")
			}
			c.FeedBaseURL = strings.TrimRight(v, "/")
			return nil
		}},
	{name: "PALISADE_FEED_ECOSYSTEMS", def: "Debian,Ubuntu,Alpine,Red Hat,SUSE,Go,npm,PyPI,Maven,crates.io,RubyGems,NuGet,Packagist",
		help: "comma-separated OSV ecosystems to sync",
		parse: func(c *Config, v string) error {
			c.FeedEcosystems = parseList(v)
			for _, e := range c.FeedEcosystems {
				if strings.ContainsAny(e, "/\\?#") || strings.Contains(e, "..") {
					return fmt.Errorf("%q is not an ecosystem name", e)
				}
			}
			if len(c.FeedEcosystems) == 0 {
				return errors.New("must name at least one ecosystem")
			}
			return nil
		}},
	{name: "PALISADE_FEED_SYNC_INTERVAL", def: "6h", help: "how often advisory feeds are synced; 0 turns scheduled syncs off",
		parse: func(c *Config, v string) (err error) {
			if v == "0" {
				c.FeedSyncInterval = 0
				return nil
			}
			c.FeedSyncInterval, err = parseDuration(v, time.Minute, 30*24*time.Hour)
			return
		}},
	{name: "PALISADE_FEED_MAX_DOWNLOAD_BYTES", def: "2147483648", help: "largest advisory feed download accepted, in bytes",
		parse: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1<<20 {
				return fmt.Errorf("must be a whole number of at least 1048576, got %q", v)
			}
			c.FeedMaxDownloadBytes = n
			return nil
		}},
	{name: "PALISADE_UNHEALTHY_SEVERITIES", def: "critical,high,unknown",
		help: "severities of open findings that make an image unhealthy (critical, high, medium, low, none, unknown)",
		parse: func(c *Config, v string) error {
			c.UnhealthySeverities = parseList(v)
			for _, s := range c.UnhealthySeverities {
				if !slices.Contains([]string{"critical", "high", "medium", "low", "none", "unknown"}, s) {
					return fmt.Errorf("%q is not a severity (critical, high, medium, low, none, unknown)", s)
				}
			}
			if len(c.UnhealthySeverities) == 0 {
				return errors.New("must name at least one severity")
			}
			return nil
		}},
	{name: "PALISADE_SCAN_MAX_IMAGE_BYTES", def: "10737418240", help: "largest image (uncompressed, all layers) a scan accepts, in bytes",
		parse: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1<<20 {
				return fmt.Errorf("must be a whole number of at least 1048576, got %q", v)
			}
			c.ScanMaxImageBytes = n
			return nil
		}},
	{name: "PALISADE_WEBHOOK_ALLOW_PRIVATE", def: "false",
		help:  "let outgoing webhooks reach loopback and private addresses (link-local and metadata addresses are always refused)",
		parse: func(c *Config, v string) (err error) { c.WebhookAllowPrivate, err = parseBool(v); return }},
}

// Load reads every setting from the process environment.
func Load() (*Config, error) {
	return LoadFrom(os.Getenv, os.ReadFile)
}

// LoadFrom reads every setting through getenv, reading NAME_FILE twins of
// secrets through readFile. It reports every bad variable at once, each
// message naming its variable, so one restart fixes them all.
func LoadFrom(getenv func(string) string, readFile func(string) ([]byte, error)) (*Config, error) {
	c := &Config{}
	var problems []error
	for _, o := range options {
		v, err := lookup(o, getenv, readFile)
		if err == nil {
			err = o.parse(c, v)
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", o.name, err))
		}
	}
	problems = append(problems, c.validate()...)
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if c.BaseURL == nil {
		c.BaseURL = &url.URL{Scheme: "http", Host: c.ListenAddr}
	}
	return c, nil
}

func lookup(o option, getenv func(string) string, readFile func(string) ([]byte, error)) (string, error) {
	v := getenv(o.name)
	if !o.secret {
		if v == "" {
			return o.def, nil
		}
		return v, nil
	}
	path := getenv(o.name + "_FILE")
	switch {
	case path != "" && v != "":
		return "", fmt.Errorf("set either %s or %s_FILE, not both", o.name, o.name)
	case path != "":
		b, err := readFile(path)
		if err != nil {
			return "", fmt.Errorf("read %s_FILE: %w", o.name, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	case v == "":
		return o.def, nil
	}
	return v, nil
}

// validate checks combinations that single parsers cannot see.
func (c *Config) validate() []error {
	var problems []error
	if c.OIDCIssuerURL != "" && c.OIDCClientID == "" {
		problems = append(problems, errors.New("PALISADE_OIDC_CLIENT_ID: required when PALISADE_OIDC_ISSUER_URL is set"))
	}
	if c.LocalMode() && c.ListenAddr != "" && !isLoopback(c.ListenAddr) {
		problems = append(problems, errors.New(
			"PALISADE_LISTEN_ADDR: local mode (no PALISADE_OIDC_ISSUER_URL) only listens on a loopback address; configure OIDC to listen on "+c.ListenAddr))
	}
	if c.SessionAbsoluteTimeout > 0 && c.SessionIdleTimeout > c.SessionAbsoluteTimeout {
		problems = append(problems, errors.New("PALISADE_SESSION_IDLE_TIMEOUT: must not exceed PALISADE_SESSION_ABSOLUTE_TIMEOUT"))
	}
	return problems
}

// RequireSecretKey is called by commands that encrypt or decrypt stored
// credentials; others (migrate, version) run without a key.
func (c *Config) RequireSecretKey() error {
	if c.SecretKey == "" {
		return errors.New("PALISADE_SECRET_KEY: required (at least 32 characters, e.g. from: openssl rand -hex 32)")
	}
	return nil
}

func checkListenAddr(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("must be host:port, got %q", v)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port must be 0-65535, got %q", port)
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		return fmt.Errorf("host must be an IP address or localhost, got %q", host)
	}
	return nil
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("must be true or false, got %q", v)
	}
	return b, nil
}

func parseIntRange(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("must be a whole number from %d to %d, got %q", lo, hi, v)
	}
	return n, nil
}

func parseDuration(v string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("must be a duration from %s to %s (like 30s or 6h), got %q", lo, hi, v)
	}
	return d, nil
}

func parseList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
