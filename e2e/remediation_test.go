//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/palisadesec/palisade/e2e/harness"
	"github.com/palisadesec/palisade/e2e/oidcprovider"
)

const imageRecommendation = "Vulnerabilities in container images should be remediated"

// TestRemediationExemptFinding signs in as an operator, opens the image
// recommendation for the scanned Debian test image, exempts urllib3's
// CVE-2023-43804 and sees the image's high count drop. Worked out by
// hand from the PyPI records: urllib3 1.26.12 has CVE-2023-43804 (high,
// CVSS 8.1, fixed in 1.26.17) and CVE-2023-45803 (medium, 4.2, fixed in
// 1.26.18), and nothing else in the image is high, so the count goes from
// 1 to 0. An admin then finds the exemption in the audit log, and a
// viewer sees no exempt button and is refused when posting anyway.
func TestRemediationExemptFinding(t *testing.T) {
	rootfs := harness.DebianTestImage(t)
	srv, pg := remediationServer(t)
	db, err := pgx.Connect(context.Background(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	digest := pushToNewRegistry(t, srv.env, rootfs)
	waitForImage(t, db, digest, 180*time.Second)

	ctx := harness.Browser(t)
	grantClipboard(t, ctx, srv.URL)
	navigate(t, ctx, srv.URL+"/recommendations")
	signInAtProvider(t, ctx, "olga")
	waitForPath(t, ctx, srv.URL, "/recommendations")
	screenshot(t, ctx, `[data-testid="recommendations-table"]`, "remediation-recommendations")

	click(t, ctx, `[data-recommendation-id="image-vulnerabilities"] [data-testid="recommendation-link"]`)
	waitForPath(t, ctx, srv.URL, "/recommendations/image-vulnerabilities")
	if h1 := text(t, ctx, `[data-testid="recommendation-title"]`); h1 != imageRecommendation {
		t.Fatalf("recommendation page h1 = %q", h1)
	}
	if got := text(t, ctx, `[data-testid="resource-row"] [data-testid="count-high"]`); got != "1" {
		t.Errorf("the image's high count on the recommendation = %q, want 1", got)
	}
	screenshot(t, ctx, `[data-testid="recommendation-steps"] [data-testid="steps"]`, "remediation-recommendation")

	click(t, ctx, `[data-testid="resource-row"] [data-testid="resource-link"]`)
	waitForPath(t, ctx, srv.URL, "/recommendations/image-vulnerabilities/resources/")
	if got := text(t, ctx, `#resource-summary [data-testid="count-high"]`); got != "1" {
		t.Fatalf("high count before the exemption = %q, want 1", got)
	}
	checkCopyFix(t, ctx)

	row := `tr[data-vuln-id="CVE-2023-43804"][data-package="urllib3"]`
	findingID := attribute(t, ctx, row, "data-finding-id")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(row+` [data-testid="exempt-button"]`)),
		chromedp.WaitVisible(chromedp.CSS(row+` [data-testid="exempt-justification"]`)),
		chromedp.SetValue(chromedp.CSS(row+` [data-testid="exempt-category"]`), "risk_accepted"),
		chromedp.SendKeys(chromedp.CSS(row+` [data-testid="exempt-justification"]`),
			"urllib3 only talks to our internal proxy, which strips Cookie headers on redirects."),
	)
	if err != nil {
		t.Fatalf("fill the exempt form: %v", err)
	}
	screenshot(t, ctx, row+` [data-testid="exempt-submit"]`, "remediation-exempt-form")
	click(t, ctx, row+` [data-testid="exempt-submit"]`)

	waitForText(t, ctx, `#resource-summary [data-testid="count-high"]`, "0")
	if err := chromedp.Do(ctx, chromedp.WaitNotPresent(chromedp.CSS(row))); err != nil {
		t.Errorf("the exempt finding is still listed without the filter: %v", err)
	}
	if got := text(t, ctx, `[data-testid="exempt-hidden"]`); got != "1 exempt finding not shown." {
		t.Errorf("hidden note = %q", got)
	}
	screenshot(t, ctx, `[data-testid="exempt-hidden"]`, "remediation-exempted")

	// "Show exempt" lists it again, with its exemption.
	click(t, ctx, `[data-testid="show-exempt"]`)
	click(t, ctx, `[data-testid="apply-filters"]`)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(row+` [data-testid="exemption-notice"]`))); err != nil {
		t.Fatalf("show exempt: %v", err)
	}
	if loc := location(t, ctx); !strings.Contains(loc, "exempt=1") {
		t.Errorf("after filtering the browser is at %s, want the filter in the URL", loc)
	}
	notice := text(t, ctx, row+` [data-testid="exemption-notice"]`)
	if !strings.Contains(notice, "Risk accepted: this finding, by Olga Operator") || !strings.Contains(notice, "internal proxy") {
		t.Errorf("exempt finding's notice = %q", notice)
	}
	screenshot(t, ctx, row+` [data-testid="exemption-notice"]`, "remediation-show-exempt")

	// The exemptions page lists it; its export carries it.
	navigate(t, ctx, srv.URL+"/exemptions")
	if got := text(t, ctx, `[data-testid="exemption-row"] [data-testid="exemption-vuln"]`); got != "CVE-2023-43804" {
		t.Errorf("exemptions page lists %q, want CVE-2023-43804", got)
	}
	screenshot(t, ctx, `[data-testid="exemptions-table"]`, "remediation-exemptions")
	csvText := getFromPage(t, ctx, "/exemptions/export.csv")
	if lines := strings.Split(strings.TrimSpace(csvText), "\n"); len(lines) != 2 ||
		!strings.Contains(lines[1], ",CVE-2023-43804,urllib3,1.26.12,local/debian,") || !strings.Contains(lines[1], ",risk_accepted,") {
		t.Errorf("exemptions CSV =\n%s", csvText)
	}
	signOut(t, ctx, srv.URL)

	// alice (admin) finds the exemption in the audit log.
	navigate(t, ctx, srv.URL+"/audit?action=exemption.create")
	signInAtProvider(t, ctx, "alice")
	waitForPath(t, ctx, srv.URL, "/audit")
	if got := text(t, ctx, `[data-testid="audit-row"] [data-testid="audit-actor"]`); !strings.HasPrefix(got, "Olga Operator") {
		t.Errorf("audit actor = %q, want Olga Operator", got)
	}
	details := text(t, ctx, `[data-testid="audit-row"] [data-testid="audit-details"]`)
	if !strings.Contains(details, "vuln_id: CVE-2023-43804") || !strings.Contains(details, "category: risk_accepted") ||
		!strings.Contains(details, "package: urllib3 1.26.12") {
		t.Errorf("audit details = %q", details)
	}
	screenshot(t, ctx, `[data-testid="audit-table"]`, "remediation-audit")
	signOut(t, ctx, srv.URL)

	// victor (viewer) reads the same page without buttons; posting the
	// form anyway, with his valid CSRF token, is refused.
	navigate(t, ctx, srv.URL+"/recommendations/image-vulnerabilities")
	signInAtProvider(t, ctx, "victor")
	waitForPath(t, ctx, srv.URL, "/recommendations/image-vulnerabilities")
	click(t, ctx, `[data-testid="resource-row"] [data-testid="resource-link"]`)
	waitForPath(t, ctx, srv.URL, "/recommendations/image-vulnerabilities/resources/")
	if got := text(t, ctx, `#resource-summary [data-testid="count-high"]`); got != "0" {
		t.Errorf("viewer sees high count %q, want 0", got)
	}
	if n := count(t, ctx, `[data-testid="exempt-button"], [data-testid="exempt-resource-button"], [data-testid="revoke-button"]`); n != 0 {
		t.Errorf("viewer sees %d operator buttons, want none", n)
	}
	screenshot(t, ctx, `[data-testid="findings-table"]`, "remediation-viewer")
	status, body := postFormFromPage(t, ctx, "/findings/"+findingID+"/exemptions",
		"scope=image&category=mitigated&justification=viewer+tries")
	if status != http.StatusForbidden || body != "this needs the operator role; you are viewer" {
		t.Errorf("viewer's POST of the exempt form = %d %q, want 403 for his role", status, body)
	}
	var exemptions int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM exemptions`).Scan(&exemptions); err != nil || exemptions != 1 {
		t.Errorf("exemptions stored = %d (%v), want olga's one", exemptions, err)
	}
}

type remediationSrv struct {
	*harness.Server
	env map[string]string
}

// remediationServer starts PostgreSQL with the Go and PyPI advisories
// imported, the OpenID provider and palisade serve in OIDC mode.
func remediationServer(t *testing.T) (remediationSrv, *harness.Postgres) {
	t.Helper()
	pg := harness.StartPostgres(t)
	env := harness.BaseEnv(t, pg.URL)
	base := "http://" + env["PALISADE_LISTEN_ADDR"]
	prov := oidcprovider.Start(t, base+"/auth/callback")
	env["PALISADE_BASE_URL"] = base
	env["PALISADE_OIDC_ISSUER_URL"] = prov.Issuer
	env["PALISADE_OIDC_CLIENT_ID"] = prov.ClientID
	env["PALISADE_OIDC_CLIENT_SECRET"] = prov.ClientSecret
	if out, code := harness.RunPalisade(t, env, "feeds", "import", harness.OSVZip(t, "Go.zip"), harness.OSVZip(t, "PyPI.zip")); code != 0 {
		t.Fatalf("feeds import: %s", out)
	}
	srv := harness.StartServer(t, env)
	srv.WaitFor(t, "/readyz", http.StatusOK, 60*time.Second)
	return remediationSrv{Server: srv, env: env}, pg
}

// pushToNewRegistry connects a registry that notifies the server and
// pushes the root filesystem as debian:bookworm.
func pushToNewRegistry(t *testing.T, env map[string]string, rootfs string) string {
	t.Helper()
	reg := harness.StartRegistry(t, "", "")
	out, code := harness.RunPalisade(t, env, "registry", "add", "--name", "local", "--url", reg.URL, "--insecure-http")
	if code != 0 {
		t.Fatalf("registry add: %s", out)
	}
	hookURL := regexp.MustCompile(`Webhook URL:\s+(\S+)`).FindStringSubmatch(out)
	secret := regexp.MustCompile(`Webhook secret:\s+(\S+)`).FindStringSubmatch(out)
	if hookURL == nil || secret == nil {
		t.Fatalf("registry add printed no webhook URL and secret:\n%s", out)
	}
	reg.Notify(hookURL[1], secret[1])
	return harness.PushRootFS(t, reg, "debian", "bookworm", rootfs)
}

// grantClipboard lets the page write and read the clipboard, as a person
// clicking Copy would.
func grantClipboard(t *testing.T, ctx context.Context, origin string) {
	t.Helper()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    "granted", Origin: origin,
		})
		if err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
}

// checkCopyFix clicks Copy on the urllib3 step and reads the clipboard.
func checkCopyFix(t *testing.T, ctx context.Context) {
	t.Helper()
	button := `//li[@data-testid="step"][contains(., "urllib3")]//button[@data-copy]`
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.Search(button))); err != nil {
		t.Fatalf("click Copy: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	label := ""
	for time.Now().Before(deadline) && label != "Copied" {
		time.Sleep(100 * time.Millisecond)
		var err error
		label, err = chromedp.Run(ctx, chromedp.Text(chromedp.Search(button)))
		if err != nil {
			t.Fatalf("read the Copy button: %v", err)
		}
	}
	if label != "Copied" {
		t.Fatalf("Copy button says %q, want Copied", label)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("read the clipboard: %v", err)
	}
	if got != "pip install 'urllib3>=1.26.18'" {
		t.Errorf("copied %q, want the pip upgrade", got)
	}
}

// screenshot saves the page once ready is visible. A page still being
// swapped in can have no size for a moment; that is waited out too.
func screenshot(t *testing.T, ctx context.Context, ready, name string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(ready))); err != nil {
		t.Fatalf("wait for %s before screenshot %s: %v", ready, name, err)
	}
	for range 20 {
		w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
		if err == nil && w > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	harness.Screenshot(t, ctx, name)
}

func navigate(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
}

func click(t *testing.T, ctx context.Context, css string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(css))); err != nil {
		t.Fatalf("click %s: %v", css, err)
	}
}

func attribute(t *testing.T, ctx context.Context, css, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(css), name))
	if err != nil || !v.Exists {
		t.Fatalf("attribute %s of %s: %v", name, css, err)
	}
	return v.Value
}

func count(t *testing.T, ctx context.Context, css string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+"`"+css+"`"+`).length`))
	if err != nil {
		t.Fatalf("count %s: %v", css, err)
	}
	return n
}

// waitForText waits until the first element matching css shows want;
// htmx swaps it in after a request.
func waitForText(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	got := ""
	for time.Now().Before(deadline) {
		got = text(t, ctx, css)
		if got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s shows %q, want %q", css, got, want)
}

func signOut(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	click(t, ctx, `[data-testid="sign-out"]`)
	waitForPath(t, ctx, base, "/auth/signed-out")
}

// getFromPage fetches path from the open page, with its cookies, and
// returns the body.
func getFromPage(t *testing.T, ctx context.Context, path string) string {
	t.Helper()
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+"`"+path+"`"+`).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("GET %s from the page: %v", path, err)
	}
	return body
}

// postFormFromPage posts a form body from the open page with the CSRF
// token from its meta tag, and returns the status and body.
func postFormFromPage(t *testing.T, ctx context.Context, path, body string) (int, string) {
	t.Helper()
	type answer struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[answer](`
		fetch(`+"`"+path+"`"+`, {
			method: "POST",
			headers: {"Content-Type": "application/x-www-form-urlencoded"},
			body: "_csrf=" + encodeURIComponent(document.querySelector('meta[name="csrf-token"]').content) + "&`+body+`",
			redirect: "manual",
		}).then(async r => ({status: r.status, body: await r.text()}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("POST %s from the page: %v", path, err)
	}
	return res.Status, strings.TrimSpace(res.Body)
}
