package registry

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// dockerHubHosts are the names Docker Hub goes by in docker config files.
var dockerHubHosts = []string{"index.docker.io", "registry-1.docker.io", "docker.io"}

// authenticator turns Auth into what go-containerregistry sends. The
// credentials are checked here, once, so that a bad registry setting is
// reported when the client is made, not on the first scan.
func authenticator(a Auth, host string) (authn.Authenticator, error) {
	switch a.Kind {
	case AuthNone, "":
		return authn.Anonymous, nil
	case AuthBasic:
		if a.Username == "" || a.Password == "" {
			return nil, errors.New("basic auth needs a username and a password")
		}
		return authn.FromConfig(authn.AuthConfig{Username: a.Username, Password: a.Password}), nil
	case AuthBearer:
		if a.Token == "" {
			return nil, errors.New("bearer auth needs a token")
		}
		// A registry token is sent as is: "Authorization: Bearer TOKEN",
		// with no exchange at a token server.
		return authn.FromConfig(authn.AuthConfig{RegistryToken: a.Token}), nil
	case AuthDockerConfig:
		cfg, err := dockerConfigAuth([]byte(a.DockerConfigJSON), host)
		if err != nil {
			return nil, err
		}
		return authn.FromConfig(cfg), nil
	default:
		return nil, fmt.Errorf("unknown auth kind %q (want none, basic, bearer or dockerconfig)", a.Kind)
	}
}

// dockerConfig is the part of ~/.docker/config.json that holds credentials.
type dockerConfig struct {
	Auths       map[string]dockerAuth `json:"auths"`
	CredsStore  string                `json:"credsStore"`
	CredHelpers map[string]string     `json:"credHelpers"`
}

type dockerAuth struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// dockerConfigAuth picks the credentials for host from a docker config.
// Keys in "auths" may be a bare host, a URL ("https://host/v1/") or, for
// Docker Hub, any of its names.
func dockerConfigAuth(raw []byte, host string) (authn.AuthConfig, error) {
	var cfg dockerConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return authn.AuthConfig{}, fmt.Errorf("parse docker config: %w", err)
	}

	for key, entry := range cfg.Auths {
		if !sameRegistryHost(authKeyHost(key), host) {
			continue
		}
		ac, err := entry.authConfig()
		if err != nil {
			return authn.AuthConfig{}, fmt.Errorf("docker config entry %q: %w", key, err)
		}
		return ac, nil
	}

	if helper := cfg.CredHelpers[host]; helper != "" || cfg.CredsStore != "" {
		return authn.AuthConfig{}, fmt.Errorf("docker config keeps the credentials for %s in a credential helper, "+
			"which Palisade cannot call; paste a config with an \"auths\" entry instead", host)
	}
	keys := make([]string, 0, len(cfg.Auths))
	for key := range cfg.Auths {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return authn.AuthConfig{}, fmt.Errorf("docker config has no credentials for %s (it has: %s)",
		host, strings.Join(keys, ", "))
}

func (d dockerAuth) authConfig() (authn.AuthConfig, error) {
	ac := authn.AuthConfig{
		Username:      d.Username,
		Password:      d.Password,
		IdentityToken: d.IdentityToken,
		RegistryToken: d.RegistryToken,
	}
	if d.Auth != "" {
		user, pass, err := decodeAuthField(d.Auth)
		if err != nil {
			return authn.AuthConfig{}, err
		}
		ac.Username, ac.Password = user, pass
	}
	if ac.Username == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
		return authn.AuthConfig{}, errors.New("no credentials in it (want auth, username/password or a token)")
	}
	return ac, nil
}

// decodeAuthField decodes the "auth" field: base64 of "user:password".
func decodeAuthField(s string) (string, string, error) {
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// Some tools write it without padding.
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil {
		return "", "", fmt.Errorf("auth field is not base64: %w", err)
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok || user == "" {
		return "", "", errors.New("auth field does not decode to user:password")
	}
	return user, pass, nil
}

// authKeyHost reduces a docker config key to host[:port].
func authKeyHost(key string) string {
	key = strings.TrimSpace(strings.ToLower(key))
	if i := strings.Index(key, "://"); i >= 0 {
		key = key[i+3:]
	}
	host, _, _ := strings.Cut(key, "/")
	return host
}

func sameRegistryHost(a, b string) bool {
	if a == b {
		return true
	}
	return slices.Contains(dockerHubHosts, a) && slices.Contains(dockerHubHosts, b)
}
