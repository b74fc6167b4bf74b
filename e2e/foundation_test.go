//go:build e2e

package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/palisadesec/palisade/e2e/harness"
)

// TestServeSurvivesDatabaseOutage runs the built binary against a private
// PostgreSQL, stops the database under it, and starts it again.
func TestServeSurvivesDatabaseOutage(t *testing.T) {
	pg := harness.StartPostgres(t)
	srv := harness.StartServer(t, harness.BaseEnv(t, pg.URL))
	srv.WaitFor(t, "/readyz", http.StatusOK, 60*time.Second)

	pg.Stop()
	srv.WaitFor(t, "/readyz", http.StatusServiceUnavailable, 30*time.Second)
	if code, _, err := harness.Get(srv.URL + "/healthz"); err != nil || code != http.StatusOK {
		t.Errorf("/healthz with the database down = %d, %v; want 200", code, err)
	}

	pg.Start()
	srv.WaitFor(t, "/readyz", http.StatusOK, 60*time.Second)

	if err := srv.Stop(t); err != nil {
		t.Errorf("palisade exited with %v after SIGTERM, want a clean exit", err)
	}
	if !strings.Contains(srv.Logs(), "Palisade stopped") {
		t.Errorf("no graceful shutdown in the log:\n%s", srv.Logs())
	}
}

func TestBadSettingStopsStartup(t *testing.T) {
	out, code := harness.RunPalisade(t, map[string]string{"PALISADE_LISTEN_ADDR": "bogus"}, "serve")
	if code == 0 {
		t.Fatal("serve with PALISADE_LISTEN_ADDR=bogus exited 0")
	}
	if !strings.Contains(out, "PALISADE_LISTEN_ADDR") {
		t.Errorf("message does not name the variable:\n%s", out)
	}
}

// TestHomePageInBrowser loads the home page in headless Chromium: the
// stylesheet and htmx must load under the Content-Security-Policy.
func TestHomePageInBrowser(t *testing.T) {
	pg := harness.StartPostgres(t)
	srv := harness.StartServer(t, harness.BaseEnv(t, pg.URL))
	srv.WaitFor(t, "/readyz", http.StatusOK, 60*time.Second)

	ctx := harness.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("open home page: %v", err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatalf("read h1: %v", err)
	}
	banner, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="local-mode-banner"]`)))
	if err != nil {
		t.Fatalf("read banner: %v", err)
	}
	htmxLoaded, err := chromedp.Run(ctx, chromedp.Poll[bool](`typeof window.htmx === "object"`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("wait for htmx: %v", err)
	}
	cssApplied, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".topbar")).display`))
	if err != nil {
		t.Fatalf("read computed style: %v", err)
	}
	if cssApplied != "flex" {
		t.Errorf(".topbar display = %q, want flex from the stylesheet", cssApplied)
	}
	if heading != "Overview" {
		t.Errorf("h1 = %q, want Overview", heading)
	}
	if !strings.Contains(banner, "Local mode") {
		t.Errorf("banner = %q, want the local-mode warning", banner)
	}
	if !htmxLoaded {
		t.Error("htmx did not load in the browser")
	}
	harness.Screenshot(t, ctx, "home")
}
