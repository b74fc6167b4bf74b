package auth

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// tokenBytes is the size of session tokens and sign-in secrets: 256 bits.
const tokenBytes = 32

// newToken returns 256 random bits, base64url-encoded without padding
// (43 characters).
func newToken() string {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// isToken reports whether s has the shape newToken makes, so that values
// from cookies and query strings can be trusted as names and keys.
func isToken(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// HashToken returns the SHA-256 of a session token: what the sessions
// table stores in place of the token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// keys are the secrets derived from PALISADE_SECRET_KEY for each use, so
// that no two uses share a key.
type keys struct {
	csrf []byte
	flow []byte
}

func deriveKeys(secret string) (keys, error) {
	if secret == "" {
		// Only tests and local mode get here: serve refuses to start
		// without PALISADE_SECRET_KEY. A random key works for one process.
		secret = newToken()
	}
	csrf, err := hkdf.Key(sha256.New, []byte(secret), nil, "palisade csrf v1", 32)
	if err != nil {
		return keys{}, fmt.Errorf("derive csrf key: %w", err)
	}
	flow, err := hkdf.Key(sha256.New, []byte(secret), nil, "palisade sign-in flow v1", 32)
	if err != nil {
		return keys{}, fmt.Errorf("derive sign-in key: %w", err)
	}
	return keys{csrf: csrf, flow: flow}, nil
}

// SessionBinding is what a session's CSRF tokens are bound to: the hash of
// its token, never the token itself.
func SessionBinding(token string) string {
	return "session:" + hex.EncodeToString(HashToken(token))
}

// BrowserBinding is what CSRF tokens are bound to without a session: a
// random value in a cookie of the browser's own.
func BrowserBinding(cookieValue string) string {
	return "browser:" + cookieValue
}

// NewBrowserSecret returns a value for the browser's CSRF cookie.
func NewBrowserSecret() string { return newToken() }

// ValidBrowserSecret reports whether a CSRF cookie holds a value
// NewBrowserSecret could have made.
func ValidBrowserSecret(s string) bool { return isToken(s) }

// CSRFToken returns a token for forms and htmx requests bound to binding.
// Each call masks the token with fresh random bytes, so that pages never
// repeat it (compression side channels such as BREACH learn nothing).
func (s *Service) CSRFToken(binding string) string {
	raw := s.csrfRaw(binding)
	out := make([]byte, 2*len(raw))
	if _, err := rand.Read(out[:len(raw)]); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	subtle.XORBytes(out[len(raw):], out[:len(raw)], raw)
	return base64.RawURLEncoding.EncodeToString(out)
}

// ValidCSRF reports whether token was made by CSRFToken for binding.
func (s *Service) ValidCSRF(binding, token string) bool {
	if binding == "" {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 2*sha256.Size {
		return false
	}
	raw := make([]byte, sha256.Size)
	subtle.XORBytes(raw, b[:sha256.Size], b[sha256.Size:])
	return hmac.Equal(raw, s.csrfRaw(binding))
}

func (s *Service) csrfRaw(binding string) []byte {
	m := hmac.New(sha256.New, s.keys.csrf)
	m.Write([]byte(binding))
	return m.Sum(nil)
}
