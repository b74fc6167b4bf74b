package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/palisadesec/palisade/internal/config"
)

// fakeReadiness stands in for the database so readiness answers can be
// forced; the real database path is covered by the e2e suite.
type fakeReadiness struct{ err error }

func (f fakeReadiness) CheckSchema(context.Context) error { return f.err }

func newTestServer(t *testing.T, ready error) http.Handler {
	t.Helper()
	cfg, err := config.LoadFrom(func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return NewServer(Deps{Config: cfg, Logger: slog.New(slog.DiscardHandler), Readiness: fakeReadiness{ready}, Version: "test"})
}

func do(t *testing.T, h http.Handler, method, path string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestProbes(t *testing.T) {
	tests := []struct {
		name   string
		ready  error
		path   string
		status int
	}{
		{name: "alive while database down", ready: errors.New("down"), path: "/healthz", status: 200},
		{name: "ready", ready: nil, path: "/readyz", status: 200},
		{name: "not ready", ready: errors.New("connection refused"), path: "/readyz", status: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, newTestServer(t, tt.ready), http.MethodGet, tt.path, nil)
			if rec.Code != tt.status {
				t.Errorf("GET %s = %d, want %d", tt.path, rec.Code, tt.status)
			}
			if strings.Contains(rec.Body.String(), "connection refused") {
				t.Error("readiness answer leaks the internal error")
			}
		})
	}
}

func TestHomePageHasShellBannerAndSecurityHeaders(t *testing.T) {
	rec := do(t, newTestServer(t, nil), http.MethodGet, "/", nil)
	if rec.Code != 200 {
		t.Fatalf("GET / = %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`<script src="/static/vendor/htmx.min.js" defer></script>`,
		`data-testid="local-mode-banner"`,
		"<h1>Overview</h1>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("home page has an inline script, which the CSP forbids")
	}
	headers := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "same-origin",
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
	}
	for k, want := range headers {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestStaticAssetsServed(t *testing.T) {
	h := newTestServer(t, nil)
	for _, path := range []string{"/static/vendor/htmx.min.js", "/static/css/palisade.css"} {
		rec := do(t, h, http.MethodGet, path, nil)
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Errorf("GET %s = %d with %d bytes, want 200 with content", path, rec.Code, rec.Body.Len())
		}
	}
	if rec := do(t, h, http.MethodGet, "/static/../static.go", nil); rec.Code == 200 {
		t.Error("static handler served a file outside the asset tree")
	}
}

func TestBodyLimit(t *testing.T) {
	h := newTestServer(t, nil)
	big := strings.NewReader(strings.Repeat("x", 1048576+1))
	rec := do(t, h, http.MethodPost, "/", big)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("POST with 1 MiB + 1 byte = %d, want 413", rec.Code)
	}
}

func TestMetricsExposeRequests(t *testing.T) {
	h := newTestServer(t, nil)
	do(t, h, http.MethodGet, "/", nil)
	rec := do(t, h, http.MethodGet, "/metrics", nil)
	if !strings.Contains(rec.Body.String(), `palisade_http_requests_total{code="200",host="example.com",method="GET",url="/"} 1`) {
		t.Errorf("metrics lack the request counter for GET /:\n%s", rec.Body.String())
	}
}
