package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// flowLifetime bounds how long a person may take at the provider's login
// page before the sign-in has to start again.
const flowLifetime = 10 * time.Minute

// flowCookiePrefix starts the name of each sign-in cookie; the rest of the
// name comes from the state, so sign-ins started in two tabs do not
// overwrite each other.
const flowCookiePrefix = "palisade_signin_"

// flow is what the callback must see again: it travels in a cookie signed
// with a key derived from PALISADE_SECRET_KEY, so it is bound to the
// browser that started the sign-in and cannot be forged.
type flow struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	Next     string    `json:"x"`
	Expires  time.Time `json:"e"`
}

// ErrSignInExpired means the callback did not match a sign-in this
// browser started recently: the cookie is missing, altered or too old, or
// the state differs. Starting again fixes it.
var ErrSignInExpired = errors.New("sign-in expired or was started in another browser; start again")

// FlowCookieName returns the name of the sign-in cookie for state, or ""
// when state does not look like one Palisade makes.
func FlowCookieName(state string) string {
	if !isToken(state) {
		return ""
	}
	return flowCookiePrefix + state[:16]
}

func (s *Service) flowCookie(f flow) *http.Cookie {
	payload, _ := json.Marshal(f)
	enc := base64.RawURLEncoding.EncodeToString(payload)
	return &http.Cookie{
		Name:     FlowCookieName(f.State),
		Value:    enc + "." + s.sign(enc),
		Path:     "/auth/callback",
		MaxAge:   int(flowLifetime / time.Second),
		HttpOnly: true,
		Secure:   s.secure,
		// Lax, not Strict: the provider sends the browser back with a
		// top-level GET from its own site, which must carry the cookie.
		SameSite: http.SameSiteLaxMode,
	}
}

// ClearFlowCookie returns a cookie that deletes the sign-in cookie for state.
func (s *Service) ClearFlowCookie(state string) *http.Cookie {
	return &http.Cookie{Name: FlowCookieName(state), Path: "/auth/callback", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
}

func (s *Service) readFlow(value, state string, now time.Time) (flow, error) {
	enc, sig, ok := strings.Cut(value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(enc))) {
		return flow{}, ErrSignInExpired
	}
	payload, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return flow{}, ErrSignInExpired
	}
	var f flow
	if err := json.Unmarshal(payload, &f); err != nil {
		return flow{}, ErrSignInExpired
	}
	if !hmac.Equal([]byte(f.State), []byte(state)) || now.After(f.Expires) {
		return flow{}, ErrSignInExpired
	}
	return f, nil
}

func (s *Service) sign(v string) string {
	m := hmac.New(sha256.New, s.keys.flow)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SafeNext returns next when it is a path on this site, and "/" otherwise,
// so that ?next= cannot send people to another site after sign-in.
func SafeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	// Coming back to the sign-in routes themselves would loop.
	if u.Path == "/auth" || strings.HasPrefix(u.Path, "/auth/") {
		return "/"
	}
	return u.RequestURI()
}
