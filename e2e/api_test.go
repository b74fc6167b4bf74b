//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/palisadesec/palisade/e2e/harness"
	"github.com/palisadesec/palisade/internal/notify"
)

// TestAPIPipeline drives the running binary the way a CI job would: with
// an operator token it asks for a scan of a pushed image through
// POST /api/v1/scans, waits for it, reads the high findings and fails the
// build when there is any. Worked out by hand from the shared PyPI zip:
// the image's python3-urllib3 is urllib3 1.26.12, affected by
// PYSEC-2023-192 (CVE-2023-43804, introduced 0, fixed 1.26.17), whose
// CVSS 3.1 vector AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N scores
// roundup(5.18 + 2.84) = 8.1, high. Its other record, PYSEC-2023-212
// (AV:A/AC:H/PR:H, C:H only), scores 4.2, medium, and the Go records carry
// no severity, so the image has exactly one high finding and no critical.
//
// Along the way it checks the outgoing webhook (signed, retried after a
// 500, never repeated after a 2xx), the SBOM and SARIF exports against
// the official schemas, and that tokens are refused when they should be.
func TestAPIPipeline(t *testing.T) {
	rootfs := harness.DebianTestImage(t)
	pg := harness.StartPostgres(t)
	env := harness.BaseEnv(t, pg.URL)
	env["PALISADE_WEBHOOK_ALLOW_PRIVATE"] = "true" // the receiver is on loopback
	if out, code := harness.RunPalisade(t, env, "feeds", "import", harness.OSVZip(t, "Go.zip"), harness.OSVZip(t, "PyPI.zip")); code != 0 {
		t.Fatalf("feeds import: %s", out)
	}
	srv := harness.StartServer(t, env)
	srv.WaitFor(t, "/readyz", http.StatusOK, 60*time.Second)
	reg := harness.StartRegistry(t, "", "")
	if out, code := harness.RunPalisade(t, env, "registry", "add", "--name", "local", "--url", reg.URL, "--insecure-http", "--no-scan-on-push"); code != 0 {
		t.Fatalf("registry add: %s", out)
	}

	operator := newToken(t, env, "ci-pipeline", "operator", "")
	viewer := newToken(t, env, "dashboard", "viewer", "")
	admin := newToken(t, env, "automation", "admin", "")
	expiring := newToken(t, env, "short", "admin", "2s")
	revoked := newToken(t, env, "leaked", "admin", "")
	if out, code := harness.RunPalisade(t, env, "tokens", "revoke", tokenID(t, env, "leaked")); code != 0 {
		t.Fatalf("tokens revoke: %s", out)
	}

	rcv := newReceiver()
	hook := httptest.NewServer(rcv)
	t.Cleanup(hook.Close)
	api := apiClient{t: t, base: srv.URL}
	code, body := api.do(admin, "POST", "/api/v1/webhooks", map[string]any{"name": "ci", "url": hook.URL + "/hook",
		"events": []string{"finding.new_critical_or_high", "scan.failed"}, "secret": receiverSecret})
	if code != http.StatusCreated {
		t.Fatalf("create webhook = %d %s", code, body)
	}

	harness.PushRootFS(t, reg, "debian", "bookworm", rootfs)

	t.Run("CI gate fails on the high finding", func(t *testing.T) {
		exit, report := ciGate(t, srv.URL, operator, "debian", "bookworm", "high")
		t.Logf("gate report:\n%s", report)
		if exit != 1 {
			t.Fatalf("gate exit = %d, want 1 (one high finding)", exit)
		}
		if !strings.Contains(report, "1 high finding") ||
			!regexp.MustCompile(`CVE-2023-43804 .*PYSEC-2023-192.* urllib3 1\.26\.12 cvss 8\.1 fixed in 1\.26\.17`).MatchString(report) {
			t.Errorf("report does not name urllib3's CVE-2023-43804 (PYSEC-2023-192) at 8.1, fixed in 1.26.17")
		}
		if exit, report := ciGate(t, srv.URL, operator, "debian", "bookworm", "critical"); exit != 0 {
			t.Errorf("gate on critical = %d, want 0: no critical finding\n%s", exit, report)
		}
	})

	t.Run("webhook hears of the new high finding, signed, once after a retry", func(t *testing.T) {
		got := rcv.waitFor(t, "finding.new_critical_or_high", 60*time.Second)
		var p struct {
			Data notify.NewFindingsData `json:"data"`
		}
		if err := json.Unmarshal(got, &p); err != nil || p.Data.High != 1 || p.Data.Critical != 0 ||
			len(p.Data.Findings) != 1 || p.Data.Findings[0].Package != "urllib3" || *p.Data.Findings[0].CVSSScore != 8.1 {
			t.Errorf("event = %s (%v), want one high finding in urllib3 at 8.1", got, err)
		}
	})

	t.Run("failed scan is notified", func(t *testing.T) {
		code, body := api.do(operator, "POST", "/api/v1/scans", map[string]any{"registry": "local", "repository": "debian", "reference": "no-such-tag"})
		if code != http.StatusAccepted {
			t.Fatalf("POST /api/v1/scans = %d %s", code, body)
		}
		got := rcv.waitFor(t, "scan.failed", 90*time.Second)
		if !strings.Contains(string(got), `"reference":"no-such-tag"`) {
			t.Errorf("scan.failed event = %s", got)
		}
	})

	t.Run("exports validate", func(t *testing.T) {
		id := imageID(t, api, operator)
		for _, x := range []struct{ path, schema, main string }{
			{"sbom", "bom-1.6.schema.json", "http://cyclonedx.org/schema/bom-1.6.schema.json"},
			{"sarif", "sarif-schema-2.1.0.json", "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"},
		} {
			code, body := api.do(viewer, "GET", fmt.Sprintf("/api/v1/images/%d/%s", id, x.path), nil)
			if code != 200 {
				t.Fatalf("GET %s = %d", x.path, code)
			}
			validateExport(t, x.schema, x.main, body)
			if !strings.Contains(string(body), "CVE-2023-43804") && !strings.Contains(string(body), "PYSEC-2023-192") {
				t.Errorf("%s export lacks the urllib3 vulnerability", x.path)
			}
		}
		if code, body := api.do(viewer, "GET", fmt.Sprintf("/api/v1/images/%d/findings.csv", id), nil); code != 200 || !strings.Contains(string(body), "urllib3") {
			t.Errorf("findings.csv = %d without urllib3", code)
		}
	})

	t.Run("tokens are refused when they should be", func(t *testing.T) {
		findings := highFindings(t, api, operator, imageID(t, api, operator))
		exemption := map[string]any{"finding_id": findings[0].ID, "scope": "finding", "category": "mitigated",
			"justification": "Redirects are not followed by this service."}
		if code, body := api.do(viewer, "POST", "/api/v1/exemptions", exemption); code != http.StatusForbidden || !strings.Contains(string(body), `"status":403`) {
			t.Errorf("viewer creating an exemption = %d %s, want 403 problem", code, body)
		}
		time.Sleep(time.Until(expiring.expires.Add(time.Second)))
		for name, tok := range map[string]token{"expired": expiring, "revoked": revoked} {
			if code, body := api.do(tok, "GET", "/api/v1/images", nil); code != http.StatusUnauthorized {
				t.Errorf("%s token = %d %s, want 401", name, code, body)
			}
		}
		if code, body := api.do(operator, "POST", "/api/v1/exemptions", exemption); code != http.StatusCreated {
			t.Errorf("operator creating an exemption = %d %s, want 201", code, body)
		}
	})

	t.Run("every change is in the audit log", func(t *testing.T) {
		code, body := api.do(admin, "GET", "/api/v1/audit?limit=200", nil)
		if code != 200 {
			t.Fatalf("GET /api/v1/audit = %d", code)
		}
		for _, want := range []string{`"action":"webhook.create","resource_kind":"webhook"`, `"actor_name":"ci-pipeline (token 1)"`,
			`"action":"scan.request"`, `"action":"exemption.create"`, `"action":"api_token.revoke"`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("audit log lacks %s", want)
			}
		}
	})

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.badSig != 0 || rcv.duplicates != 0 {
		t.Errorf("receiver saw %d bad signatures and %d repeats after success", rcv.badSig, rcv.duplicates)
	}
	for id, n := range rcv.requests {
		if n != 2 {
			t.Errorf("delivery %s arrived %d times, want 2 (500, then 2xx)", id, n)
		}
	}
}

type token struct {
	value   string
	expires time.Time
}

func newToken(t *testing.T, env map[string]string, name, role, expires string) token {
	t.Helper()
	args := []string{"tokens", "create", "--name", name, "--role", role}
	if expires != "" {
		args = append(args, "--expires", expires)
	}
	start := time.Now()
	out, code := harness.RunPalisade(t, env, args...)
	m := regexp.MustCompile(`(?m)^(pal_[A-Za-z0-9_-]{43})$`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("tokens create %s: %s", name, out)
	}
	tok := token{value: m[1]}
	if expires != "" {
		d, _ := time.ParseDuration(expires)
		tok.expires = start.Add(d)
	}
	return tok
}

func tokenID(t *testing.T, env map[string]string, name string) string {
	t.Helper()
	out, code := harness.RunPalisade(t, env, "tokens", "list")
	m := regexp.MustCompile(`(?m)^(\d+)\s+` + name + `\s`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("tokens list has no %s:\n%s", name, out)
	}
	return m[1]
}

type apiClient struct {
	t    *testing.T
	base string
}

func (c apiClient) do(tok token, method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.value)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// ciGate is what a pipeline step does with the API and nothing else: ask
// for a scan, wait for it, list the findings at the threshold, print
// them, and exit 1 when there are any (2 when the scan itself failed).
func ciGate(t *testing.T, base string, tok token, repository, tag, severity string) (int, string) {
	t.Helper()
	c := apiClient{t: t, base: base}
	var out strings.Builder
	code, body := c.do(tok, "POST", "/api/v1/scans", map[string]any{"registry": "local", "repository": repository, "reference": tag})
	var queued struct {
		Scan struct {
			ID int64 `json:"id"`
		} `json:"scan"`
	}
	if code != http.StatusAccepted || json.Unmarshal(body, &queued) != nil {
		fmt.Fprintf(&out, "could not start the scan: %d %s\n", code, body)
		return 2, out.String()
	}
	var sc struct {
		State   string `json:"state"`
		Reason  string `json:"reason"`
		ImageID *int64 `json:"image_id"`
	}
	deadline := time.Now().Add(3 * time.Minute)
	for sc.State != "done" && sc.State != "failed" {
		if time.Now().After(deadline) {
			fmt.Fprintf(&out, "scan %d still %s after 3 minutes\n", queued.Scan.ID, sc.State)
			return 2, out.String()
		}
		time.Sleep(500 * time.Millisecond)
		_, body = c.do(tok, "GET", "/api/v1/scans/"+strconv.FormatInt(queued.Scan.ID, 10), nil)
		if err := json.Unmarshal(body, &sc); err != nil {
			fmt.Fprintf(&out, "unreadable scan: %s\n", body)
			return 2, out.String()
		}
	}
	if sc.State == "failed" || sc.ImageID == nil {
		fmt.Fprintf(&out, "scan failed: %s\n", sc.Reason)
		return 2, out.String()
	}
	var all []apiFinding
	cursor := ""
	for {
		path := fmt.Sprintf("/api/v1/images/%d/findings?severity=%s&limit=50", *sc.ImageID, severity)
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		_, body = c.do(tok, "GET", path, nil)
		var page struct {
			Items      []apiFinding `json:"items"`
			NextCursor *string      `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			fmt.Fprintf(&out, "unreadable findings: %s\n", body)
			return 2, out.String()
		}
		all = append(all, page.Items...)
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	fmt.Fprintf(&out, "%d %s finding(s)\n", len(all), severity)
	for _, f := range all {
		fmt.Fprintf(&out, "%s %v %s %s cvss %v fixed in %s\n", f.VulnID, f.Aliases, f.Package.Name, f.InstalledVersion,
			score(f.CVSSScore), f.FixedVersion)
	}
	if len(all) > 0 {
		return 1, out.String()
	}
	return 0, out.String()
}

func score(s *float64) string {
	if s == nil {
		return "-"
	}
	return strconv.FormatFloat(*s, 'f', 1, 64)
}

type apiFinding struct {
	ID        int64    `json:"id"`
	VulnID    string   `json:"vuln_id"`
	Aliases   []string `json:"aliases"`
	CVSSScore *float64 `json:"cvss_score"`
	Package   struct {
		Name string `json:"name"`
	} `json:"package"`
	InstalledVersion string `json:"installed_version"`
	FixedVersion     string `json:"fixed_version"`
}

func imageID(t *testing.T, c apiClient, tok token) int64 {
	t.Helper()
	code, body := c.do(tok, "GET", "/api/v1/images?repository=debian", nil)
	var page struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	if code != 200 || json.Unmarshal(body, &page) != nil || len(page.Items) != 1 {
		t.Fatalf("GET /api/v1/images = %d %s, want the debian image", code, body)
	}
	return page.Items[0].ID
}

func highFindings(t *testing.T, c apiClient, tok token, id int64) []apiFinding {
	t.Helper()
	_, body := c.do(tok, "GET", fmt.Sprintf("/api/v1/images/%d/findings?severity=high", id), nil)
	var page struct {
		Items []apiFinding `json:"items"`
	}
	if err := json.Unmarshal(body, &page); err != nil || len(page.Items) != 1 {
		t.Fatalf("high findings = %s", body)
	}
	return page.Items
}

func validateExport(t *testing.T, schema, main string, body []byte) {
	t.Helper()
	dir := filepath.Join(harness.RepoRoot(t), "internal", "export", "testdata")
	files := map[string]string{main: schema}
	if strings.Contains(main, "cyclonedx") {
		files["http://cyclonedx.org/schema/spdx.schema.json"] = "spdx.schema.json"
		files["http://cyclonedx.org/schema/jsf-0.82.schema.json"] = "jsf-0.82.schema.json"
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, name := range files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile(main)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("export does not validate against %s: %v", schema, err)
	}
}

const receiverSecret = "e2e-receiver-secret-0123456789"

// receiver checks every signature, answers 500 to the first request of
// each delivery and 204 to the next, and counts repeats after a 2xx.
type receiver struct {
	mu         sync.Mutex
	requests   map[string]int
	succeeded  map[string]bool
	bodies     map[string][]byte // event -> body of the first success
	badSig     int
	duplicates int
}

func newReceiver() *receiver {
	return &receiver{requests: map[string]int{}, succeeded: map[string]bool{}, bodies: map[string][]byte{}}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	ts, err := strconv.ParseInt(req.Header.Get(notify.HeaderTimestamp), 10, 64)
	id := req.Header.Get(notify.HeaderDelivery)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil || id == "" || !notify.Verify(receiverSecret, ts, body, req.Header.Get(notify.HeaderSignature)) {
		r.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.succeeded[id] {
		r.duplicates++
	}
	r.requests[id]++
	if r.requests[id] == 1 {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	r.succeeded[id] = true
	if _, ok := r.bodies[req.Header.Get(notify.HeaderEvent)]; !ok {
		r.bodies[req.Header.Get(notify.HeaderEvent)] = body
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) waitFor(t *testing.T, event string, within time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		b, ok := r.bodies[event]
		r.mu.Unlock()
		if ok {
			return b
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no %s delivered within %s", event, within)
	return nil
}
