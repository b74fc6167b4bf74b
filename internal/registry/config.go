package registry

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Default limits and timeouts, used when the Config leaves them zero.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxManifestBytes = 4 << 20
	DefaultMaxListBytes     = 8 << 20
)

// AuthKind says how Palisade authenticates to a registry.
type AuthKind string

// The kinds of credentials a registry can be given.
const (
	AuthNone         AuthKind = "none"
	AuthBasic        AuthKind = "basic"
	AuthBearer       AuthKind = "bearer"
	AuthDockerConfig AuthKind = "dockerconfig"
)

// Auth holds the credentials for one registry. Which fields count depends
// on Kind: Username and Password for basic, Token for bearer, and
// DockerConfigJSON (the content of a ~/.docker/config.json) for
// dockerconfig, from which the entry for the registry's host is used.
type Auth struct {
	Kind             AuthKind
	Username         string
	Password         string
	Token            string
	DockerConfigJSON string
}

// Config describes how to reach one registry.
type Config struct {
	// URL is https://host[:port], or http://host:port together with
	// Insecure. Without a scheme, Insecure picks http, else https.
	URL string
	// Insecure allows plain HTTP, for local registries. It never turns
	// off certificate checks on https.
	Insecure bool
	// CABundlePEM holds extra CA certificates to trust, in PEM, on top of
	// the system pool.
	CABundlePEM string
	Auth        Auth
	// Timeout bounds each of: connecting, the TLS handshake, waiting for
	// response headers, and any pause while reading a response body.
	// Whole transfers are bounded by the caller's context instead.
	// Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxManifestBytes limits manifests and indexes; zero means
	// DefaultMaxManifestBytes.
	MaxManifestBytes int64
	// MaxListBytes limits each catalog or tag list page; zero means
	// DefaultMaxListBytes.
	MaxListBytes int64
	// UserAgent is sent with every request; empty means
	// "palisade/<version>".
	UserAgent string
}

// endpoint is a parsed registry URL.
type endpoint struct {
	scheme string // "http" or "https"
	host   string // host[:port], as sent in requests
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxManifestBytes <= 0 {
		c.MaxManifestBytes = DefaultMaxManifestBytes
	}
	if c.MaxListBytes <= 0 {
		c.MaxListBytes = DefaultMaxListBytes
	}
	if c.Auth.Kind == "" {
		c.Auth.Kind = AuthNone
	}
	return c
}

// parseURL checks the registry URL against Insecure and returns where
// requests go.
func parseURL(raw string, insecure bool) (endpoint, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return endpoint{}, errors.New("registry URL is empty")
	}
	if !strings.Contains(raw, "://") {
		scheme := "https"
		if insecure {
			scheme = "http"
		}
		raw = scheme + "://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("registry URL %q: %w", raw, err)
	}
	switch {
	case u.Host == "":
		return endpoint{}, fmt.Errorf("registry URL %q has no host", raw)
	case u.User != nil:
		return endpoint{}, fmt.Errorf("registry URL %q carries credentials; "+
			"put them in the registry's auth settings", u.Redacted())
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "":
		return endpoint{}, fmt.Errorf("registry URL %q has a path or query; give only scheme, host and port", raw)
	}
	switch u.Scheme {
	case "https":
		if insecure {
			return endpoint{}, fmt.Errorf("registry URL %q is https but Insecure (plain HTTP) is set; "+
				"use http:// or unset Insecure", raw)
		}
	case "http":
		if !insecure {
			return endpoint{}, fmt.Errorf("registry URL %q is plain HTTP; set Insecure to allow it", raw)
		}
	default:
		return endpoint{}, fmt.Errorf("registry URL %q: scheme must be https or http", raw)
	}
	return endpoint{scheme: u.Scheme, host: strings.ToLower(u.Host)}, nil
}
