package auth

import (
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/palisadesec/palisade/internal/config"
)

func localService(t *testing.T, secret string) *Service {
	t.Helper()
	cfg, err := config.LoadFrom(func(k string) string {
		if k == "PALISADE_SECRET_KEY" {
			return secret
		}
		return ""
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const testSecret = "test-secret-key-0123456789abcdef0123456789"

func TestHashToken(t *testing.T) {
	// SHA-256 of "abc", from FIPS 180-2 appendix B.1.
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := hex.EncodeToString(HashToken("abc")); got != want {
		t.Errorf("HashToken(abc) = %s, want %s", got, want)
	}
	tok := newToken()
	if len(tok) != 43 || !isToken(tok) {
		t.Errorf("newToken() = %q: want 43 base64url characters (256 bits)", tok)
	}
	if isToken(tok[:42]) || isToken(tok[:42]+"!") {
		t.Error("isToken accepted a malformed token")
	}
}

func TestCSRFTokens(t *testing.T) {
	s := localService(t, testSecret)
	other := localService(t, "another-secret-key-0123456789abcdef01234")
	binding := SessionBinding("session-token")

	a, b := s.CSRFToken(binding), s.CSRFToken(binding)
	if a == b {
		t.Error("two CSRF tokens for one binding are equal: the mask is not random")
	}
	tests := []struct {
		name    string
		svc     *Service
		binding string
		token   string
		want    bool
	}{
		{name: "first token", svc: s, binding: binding, token: a, want: true},
		{name: "second token", svc: s, binding: binding, token: b, want: true},
		{name: "same secret in another process", svc: localService(t, testSecret), binding: binding, token: a, want: true},
		{name: "another session", svc: s, binding: SessionBinding("other-token"), token: a, want: false},
		{name: "browser binding", svc: s, binding: BrowserBinding("session-token"), token: a, want: false},
		{name: "another secret key", svc: other, binding: binding, token: a, want: false},
		{name: "empty token", svc: s, binding: binding, token: "", want: false},
		{name: "empty binding", svc: s, binding: "", token: s.CSRFToken(""), want: false},
		{name: "truncated", svc: s, binding: binding, token: a[:len(a)-2], want: false},
		{name: "flipped character", svc: s, binding: binding, token: flip(a), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.svc.ValidCSRF(tt.binding, tt.token); got != tt.want {
				t.Errorf("ValidCSRF = %v, want %v", got, tt.want)
			}
		})
	}
}

func flip(s string) string {
	c := byte('A')
	if s[5] == 'A' {
		c = 'B'
	}
	return s[:5] + string(c) + s[6:]
}

func TestSafeNext(t *testing.T) {
	tests := []struct {
		name, next, want string
	}{
		{name: "empty", next: "", want: "/"},
		{name: "local path", next: "/images", want: "/images"},
		{name: "local path with query", next: "/images?severity=high&page=2", want: "/images?severity=high&page=2"},
		{name: "absolute URL", next: "https://evil.example/", want: "/"},
		{name: "scheme-relative", next: "//evil.example/x", want: "/"},
		{name: "backslash trick", next: "/\\evil.example", want: "/"},
		{name: "backslash later", next: "/a\\b", want: "/"},
		{name: "relative path", next: "images", want: "/"},
		{name: "javascript", next: "javascript:alert(1)", want: "/"},
		{name: "newline", next: "/a\r\nLocation: https://evil.example", want: "/"},
		{name: "tab", next: "/\t/evil.example", want: "/"},
		{name: "sign-in route loops", next: "/auth/login?next=/x", want: "/"},
		{name: "encoded slashes stay a path", next: "/%2F%2Fevil.example", want: "/%2F%2Fevil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SafeNext(tt.next); got != tt.want {
				t.Errorf("SafeNext(%q) = %q, want %q", tt.next, got, tt.want)
			}
		})
	}
}

func TestFlowCookie(t *testing.T) {
	s := localService(t, testSecret)
	now := time.Now()
	f := flow{State: newToken(), Nonce: "n", Verifier: "v", Next: "/images", Expires: now.Add(flowLifetime)}
	ck := s.flowCookie(f)

	if ck.Name != FlowCookieName(f.State) || !strings.HasPrefix(ck.Name, "palisade_signin_") {
		t.Errorf("cookie name = %q, want palisade_signin_ and the state's first 16 characters", ck.Name)
	}
	if !ck.HttpOnly || ck.Path != "/auth/callback" || ck.MaxAge != 600 || ck.Secure {
		t.Errorf("cookie = %+v: want HttpOnly, Path /auth/callback, MaxAge 600, not Secure on http", ck)
	}
	got, err := s.readFlow(ck.Value, f.State, now)
	if err != nil || got.Nonce != "n" || got.Verifier != "v" || got.Next != "/images" {
		t.Fatalf("readFlow = %+v, %v; want the flow back", got, err)
	}

	enc, sig, _ := strings.Cut(ck.Value, ".")
	forged := s.flowCookie(flow{State: f.State, Nonce: "attacker", Expires: now.Add(time.Hour)})
	forgedPayload, _, _ := strings.Cut(forged.Value, ".")
	tests := []struct {
		name, value, state string
		at                 time.Time
	}{
		{name: "other state", value: ck.Value, state: newToken(), at: now},
		{name: "expired", value: ck.Value, state: f.State, at: now.Add(flowLifetime + time.Second)},
		{name: "payload swapped under the old signature", value: forgedPayload + "." + sig, state: f.State, at: now},
		{name: "no signature", value: enc, state: f.State, at: now},
		{name: "signed by another key", value: localService(t, "another-secret-key-0123456789abcdef01234").flowCookie(f).Value, state: f.State, at: now},
		{name: "empty", value: "", state: f.State, at: now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.readFlow(tt.value, tt.state, tt.at); err != ErrSignInExpired {
				t.Errorf("readFlow = %v, want ErrSignInExpired", err)
			}
		})
	}
	if FlowCookieName("short") != "" || FlowCookieName(url.QueryEscape("../../"+strings.Repeat("a", 40))) != "" {
		t.Error("FlowCookieName accepted a state Palisade cannot have made")
	}
}
