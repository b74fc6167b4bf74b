package web

import (
	"net/url"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/config"
)

// defaultAuth is the auth service when Deps has none: local mode needs no
// database. Outside local mode the caller must provide one.
func defaultAuth(cfg *config.Config) *auth.Service {
	if !cfg.LocalMode() {
		panic("web: Deps.Auth is required when PALISADE_OIDC_ISSUER_URL is set")
	}
	s, err := auth.New(auth.Options{Config: cfg})
	if err != nil {
		panic("web: local auth: " + err.Error())
	}
	return s
}

// formActionOrigins are the origins besides our own that a form may end
// up at through redirects: the provider's, for RP-initiated logout after
// POST /auth/logout, since browsers apply the CSP form-action directive to
// the redirects after a form submission. The issuer's origin stands for
// the provider's end_session_endpoint, which the CSP must name before
// discovery; providers serve both from one origin.
func formActionOrigins(cfg *config.Config) []string {
	if cfg.LocalMode() {
		return nil
	}
	iss, err := url.Parse(cfg.OIDCIssuerURL)
	if err != nil || (iss.Scheme == cfg.BaseURL.Scheme && iss.Host == cfg.BaseURL.Host) {
		return nil
	}
	return []string{iss.Scheme + "://" + iss.Host}
}
