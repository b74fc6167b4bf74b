package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/store"
)

// newConsoleServer is newOIDCServer with the store wired in, as serve
// does, so the console's pages have data.
func newConsoleServer(t *testing.T) routeServer {
	t.Helper()
	env := newOIDCTestEnv(t)
	d := env.deps()
	d.Store = env.st
	return env.server(d)
}

func ptr(v float64) *float64 { return &v }

// seedDebianImage stores local/debian:bookworm as a scan of the Debian
// test image would: urllib3 1.26.12 with CVE-2023-43804 (high, 8.1) and
// CVE-2023-45803 (medium, 4.2), the Go 1.19.8 toolchain with
// CVE-2023-29400 (unknown). Counts: high 1, medium 1, unknown 1.
func seedDebianImage(t *testing.T, st *store.Store) int64 {
	t.Helper()
	ctx := context.Background()
	reg, err := st.CreateRegistry(ctx, store.Registry{Name: "local", URL: "http://127.0.0.1:5000", AuthKind: "none",
		WebhookToken: "token", WebhookSecret: []byte("sealed")})
	if err != nil {
		t.Fatal(err)
	}
	res := &store.ScanResult{
		Image:  store.ImageRecord{Digest: "sha256:" + strings.Repeat("ab", 32), Platform: "linux/amd64"},
		Layers: []store.LayerRecord{{Index: 0, Digest: "sha256:l0", DiffID: "sha256:d0"}},
		Packages: []store.PackageRecord{
			{Type: "python", Ecosystem: "PyPI", Name: "urllib3", Version: "1.26.12",
				Paths: []string{"/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info"}},
			{Type: "go-stdlib", Ecosystem: "Go", Name: "stdlib", Version: "1.19.8", Paths: []string{"/usr/bin/containerd"}},
		},
		Findings: []store.FindingRecord{
			{PackageIndex: 0, VulnID: "CVE-2023-43804", AdvisoryIDs: []string{"PYSEC-2023-192"}, SeverityLevel: "high",
				SeverityScore: ptr(8.1), SeveritySource: "cvss_v3", FixedVersion: "1.26.17", FixStatus: "fixed"},
			{PackageIndex: 0, VulnID: "CVE-2023-45803", AdvisoryIDs: []string{"PYSEC-2023-212"}, SeverityLevel: "medium",
				SeverityScore: ptr(4.2), SeveritySource: "cvss_v3", FixedVersion: "1.26.18", FixStatus: "fixed"},
			{PackageIndex: 1, VulnID: "CVE-2023-29400", AdvisoryIDs: []string{"GO-2023-1753"}, SeverityLevel: "unknown",
				SeveritySource: "unknown", FixedVersion: "1.19.9", FixStatus: "fixed"},
		},
	}
	var id int64
	err = st.InTx(ctx, func(tx pgx.Tx) error {
		repo, err := st.UpsertRepositoryTx(ctx, tx, reg.ID, "debian")
		if err != nil {
			return err
		}
		if _, err := st.RecordTagTx(ctx, tx, repo, "bookworm", res.Image.Digest); err != nil {
			return err
		}
		res.Image.RepositoryID = repo
		if id, err = st.SaveScanResultTx(ctx, tx, res); err != nil {
			return err
		}
		sum, err := st.RefreshImageSummaryTx(ctx, tx, id, []string{"critical", "high", "unknown"})
		if err != nil {
			return err
		}
		return st.UpsertAssessmentTx(ctx, tx, scan.ImageAssessment(id, sum, res))
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// browse requests path as a signed-in browser (or htmx with htmx set)
// and posts form when it is not nil.
func (s routeServer) browse(t *testing.T, token, method, path string, form url.Values, htmx bool) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", s.h.auth.CSRFToken(auth.SessionBinding(token)))
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.Header.Set("Accept", "text/html")
	req.RemoteAddr = "192.0.2.7:4321"
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: token})
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

func parse(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func resourcePathOf(id int64) string {
	return fmt.Sprintf("/recommendations/image-vulnerabilities/resources/%d", id)
}

func findingIDOf(t *testing.T, st *store.Store, imageID int64, vuln string) int64 {
	t.Helper()
	list, err := st.RemediationFindings(context.Background(), store.RemediationFindingFilter{ImageID: imageID, WithExempt: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range list {
		if f.VulnID == vuln {
			return f.ID
		}
	}
	t.Fatalf("image %d has no finding %s", imageID, vuln)
	return 0
}

func TestRemediationButtonsFollowTheRole(t *testing.T) {
	s := newConsoleServer(t)
	img := seedDebianImage(t, s.store)
	tests := []struct {
		role          string
		exemptButtons int // on the resource page: one per finding and one for the resource
		resourceForms int // on the recommendation page
		auditLink     bool
	}{
		{role: "viewer", exemptButtons: 0, resourceForms: 0},
		{role: "operator", exemptButtons: 4, resourceForms: 1},
		{role: "admin", exemptButtons: 4, resourceForms: 1, auditLink: true},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			token := s.session(t, tt.role)
			rec := s.browse(t, token, http.MethodGet, "/recommendations/image-vulnerabilities", nil, false)
			if rec.Code != http.StatusOK {
				t.Fatalf("recommendation page = %d", rec.Code)
			}
			doc := parse(t, rec)
			if got := doc.Find(`[data-testid="exempt-resource"]`).Length(); got != tt.resourceForms {
				t.Errorf("recommendation page has %d resource exempt buttons, want %d", got, tt.resourceForms)
			}
			if got := doc.Find(`[data-testid="resource-row"] [data-testid="count-high"]`).Text(); got != "1" {
				t.Errorf("high count = %q, want 1", got)
			}
			if got := doc.Find(`a[href="/audit"]`).Length() == 1; got != tt.auditLink {
				t.Errorf("audit link shown = %v, want %v", got, tt.auditLink)
			}

			page := parse(t, s.browse(t, token, http.MethodGet, resourcePathOf(img), nil, false))
			exempt := page.Find(`[data-testid="exempt-finding"], [data-testid="exempt-resource"]`).Length()
			if exempt != tt.exemptButtons {
				t.Errorf("resource page has %d exempt buttons, want %d", exempt, tt.exemptButtons)
			}
			if page.Find(`[data-testid="copy-fix"] button[data-copy]`).Length() == 0 {
				t.Error("resource page has no copy button; reading the fix is for everyone")
			}
			if page.Find(`form[action^="/findings/"]`).Length() != tt.exemptButtons-min(tt.exemptButtons, 1) {
				t.Errorf("finding forms do not match the buttons")
			}
		})
	}
}

func TestResourcePageShowsTheFixes(t *testing.T) {
	s := newConsoleServer(t)
	img := seedDebianImage(t, s.store)
	doc := parse(t, s.browse(t, s.session(t, "viewer"), http.MethodGet, resourcePathOf(img), nil, false))
	var fixes []string
	doc.Find(`[data-testid="step"] pre`).Each(func(_ int, sel *goquery.Selection) { fixes = append(fixes, sel.Text()) })
	want := []string{
		"pip install 'urllib3>=1.26.18'",
		"# Rebuild with Go 1.19.9 or later, e.g. in the build stage:\nFROM golang:1.19.9 AS build",
	}
	if strings.Join(fixes, "|") != strings.Join(want, "|") {
		t.Errorf("step fixes = %q, want %q", fixes, want)
	}
	if note := doc.Find(`[data-testid="step"] .copy-fix p`).First().Text(); !strings.Contains(note, "python3-urllib3") {
		t.Errorf("urllib3 note = %q, want advice about the OS package (dist-packages)", note)
	}
	if got := doc.Find(`#fix-all`).Text(); !strings.Contains(got, "pip install") || !strings.Contains(got, "golang:1.19.9") {
		t.Errorf("fix for everything = %q", got)
	}
	if got := doc.Find(`[data-testid="resource-name"]`).Text(); got != "local/debian:bookworm" {
		t.Errorf("resource name = %q", got)
	}

	// The recommendation page loads its summed steps after it is shown.
	rec := parse(t, s.browse(t, s.session(t, "viewer"), http.MethodGet, "/recommendations/image-vulnerabilities", nil, false))
	if got, _ := rec.Find(`[data-testid="recommendation-steps"]`).Attr("hx-trigger"); got != "load" {
		t.Errorf("steps section triggers on %q, want load", got)
	}
	steps := parse(t, s.browse(t, s.session(t, "viewer"), http.MethodGet, "/recommendations/image-vulnerabilities/steps", nil, true))
	var texts []string
	steps.Find(`[data-testid="step"]`).Each(func(_ int, sel *goquery.Selection) {
		texts = append(texts, strings.Join(strings.Fields(sel.Text()), " "))
	})
	want = []string{
		"high Upgrade urllib3 (python) to 1.26.18 1 image, 2 findings",
		"unknown Upgrade stdlib (go-stdlib) to 1.19.9 1 image, 1 finding",
	}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("summed steps = %q, want %q", texts, want)
	}
}

func TestExemptFindingThroughTheForm(t *testing.T) {
	s := newConsoleServer(t)
	ctx := context.Background()
	img := seedDebianImage(t, s.store)
	finding := findingIDOf(t, s.store, img, "CVE-2023-43804")
	path := fmt.Sprintf("/findings/%d/exemptions", finding)
	olga := s.session(t, "operator")
	form := url.Values{"scope": {"finding"}, "category": {"risk_accepted"},
		"justification": {"Only the internal proxy talks to it."}, "return_to": {resourcePathOf(img)}}

	t.Run("viewer is refused", func(t *testing.T) {
		rec := s.browse(t, s.session(t, "viewer"), http.MethodPost, path, form, true)
		if rec.Code != http.StatusForbidden {
			t.Errorf("viewer POST = %d, want 403", rec.Code)
		}
	})

	t.Run("invalid form comes back with messages", func(t *testing.T) {
		bad := url.Values{"scope": {"finding"}, "category": {"risk_accepted"}, "justification": {"  "}, "expires": {"2001-01-01"}}
		rec := s.browse(t, olga, http.MethodPost, path, bad, true)
		if rec.Code != http.StatusOK {
			t.Fatalf("invalid POST = %d, want 200 with the form", rec.Code)
		}
		doc := parse(t, rec)
		if doc.Find(`details[open] [data-testid="exempt-form"]`).Length() != 1 || doc.Find(`[data-testid="field-error"]`).Length() != 2 {
			t.Errorf("answer is not the open form with two messages:\n%s", rec.Body.String())
		}
		if doc.Find(`option[value="risk_accepted"][selected]`).Length() != 1 {
			t.Error("the chosen category was not kept")
		}
	})

	var exemptionID string
	t.Run("operator exempts", func(t *testing.T) {
		rec := s.browse(t, olga, http.MethodPost, path, form, true)
		if rec.Code != http.StatusOK || rec.Header().Get("HX-Trigger-After-Settle") != "exemptions-changed" {
			t.Fatalf("POST = %d (trigger %q): %s", rec.Code, rec.Header().Get("HX-Trigger-After-Settle"), rec.Body.String())
		}
		notice := parse(t, rec).Find(`[data-testid="exemption-notice"]`)
		exemptionID, _ = notice.Attr("data-exemption-id")
		if notice.Length() != 1 || !strings.Contains(notice.Text(), "Risk accepted") || notice.Find(`[data-testid="revoke-button"]`).Length() != 1 {
			t.Errorf("answer is not the notice with a revoke button:\n%s", rec.Body.String())
		}
		summary := parse(t, s.browse(t, olga, http.MethodGet, resourcePathOf(img)+"/summary", nil, true))
		if got := summary.Find(`[data-testid="count-high"]`).Text(); got != "0" {
			t.Errorf("high count after exempting = %q, want 0", got)
		}
		rows := parse(t, s.browse(t, olga, http.MethodGet, resourcePathOf(img)+"/findings", nil, true))
		if rows.Find(`[data-vuln-id="CVE-2023-43804"]`).Length() != 0 || rows.Find(`[data-testid="exempt-hidden"]`).Length() != 1 {
			t.Error("the exempt finding is listed without the filter, or the hidden note is missing")
		}
		shown := parse(t, s.browse(t, olga, http.MethodGet, resourcePathOf(img)+"/findings?exempt=1", nil, true))
		if shown.Find(`[data-vuln-id="CVE-2023-43804"] [data-testid="exemption-notice"]`).Length() != 1 {
			t.Error("under show exempt the finding is not listed with its exemption")
		}
	})

	t.Run("audit and export", func(t *testing.T) {
		entries, err := s.store.AuditEntries(ctx, store.AuditFilter{Action: "exemption.create"})
		if err != nil || len(entries) != 1 || entries[0].ActorName != "operator" || entries[0].SourceIP != "192.0.2.7" ||
			entries[0].ResourceID != exemptionID || entries[0].Details["justification"] != "Only the internal proxy talks to it." {
			t.Errorf("audit = %+v (%v), want one entry by operator from 192.0.2.7", entries, err)
		}
		rec := s.browse(t, olga, http.MethodGet, "/exemptions/export.csv", nil, false)
		rows, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil || len(rows) != 2 || rows[1][3] != "CVE-2023-43804" || rows[1][4] != "urllib3" || rows[1][12] != "active" {
			t.Errorf("exemptions CSV = %q (%v)", rows, err)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("CSV content type = %q", ct)
		}
	})

	t.Run("revoke restores", func(t *testing.T) {
		rec := s.browse(t, olga, http.MethodPost, "/exemptions/"+exemptionID+"/revoke", url.Values{}, true)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `data-testid="revoked"`) {
			t.Fatalf("revoke = %d %s", rec.Code, rec.Body.String())
		}
		summary := parse(t, s.browse(t, olga, http.MethodGet, resourcePathOf(img)+"/summary", nil, true))
		if got := summary.Find(`[data-testid="count-high"]`).Text(); got != "1" {
			t.Errorf("high count after revoking = %q, want 1", got)
		}
		entries, err := s.store.AuditEntries(ctx, store.AuditFilter{Action: "exemption.revoke"})
		if err != nil || len(entries) != 1 || entries[0].ResourceID != exemptionID {
			t.Errorf("revoke audit = %+v (%v)", entries, err)
		}
		again := s.browse(t, olga, http.MethodPost, "/exemptions/"+exemptionID+"/revoke", url.Values{}, true)
		if again.Code != http.StatusNotFound {
			t.Errorf("revoking again = %d, want 404", again.Code)
		}
	})

	t.Run("without JavaScript", func(t *testing.T) {
		rec := s.browse(t, olga, http.MethodPost, path, form, false)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != resourcePathOf(img) {
			t.Errorf("plain POST = %d to %q, want 303 back to the page", rec.Code, rec.Header().Get("Location"))
		}
		evil := url.Values{"scope": {"image"}, "category": {"mitigated"}, "justification": {"x"}, "return_to": {"https://evil.example/"}}
		rec = s.browse(t, olga, http.MethodPost, path, evil, false)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
			t.Errorf("POST with a foreign return_to = %d to %q, want 303 to /", rec.Code, rec.Header().Get("Location"))
		}
	})
}

func TestExemptResourceFromTheRecommendation(t *testing.T) {
	s := newConsoleServer(t)
	img := seedDebianImage(t, s.store)
	admin := s.session(t, "admin")
	path := fmt.Sprintf("/recommendations/image-vulnerabilities/resources/%d/exemptions", img)
	rec := s.browse(t, admin, http.MethodPost, path, url.Values{"category": {"mitigated"}, "justification": {"Air-gapped batch job."}}, true)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `data-testid="exemption-notice"`) {
		t.Fatalf("POST = %d: %s", rec.Code, rec.Body.String())
	}
	doc := parse(t, s.browse(t, admin, http.MethodGet, "/recommendations/image-vulnerabilities", nil, false))
	if doc.Find(`[data-testid="resource-row"]`).Length() != 0 || doc.Find(`[data-testid="tab-exempt"]`).Text() != "Exempt (1)" {
		t.Errorf("after exempting, the unhealthy list still shows the image or the exempt tab is wrong: %q",
			doc.Find(`[data-testid="tab-exempt"]`).Text())
	}
	exempt := parse(t, s.browse(t, admin, http.MethodGet, "/recommendations/image-vulnerabilities?show=exempt", nil, false))
	if exempt.Find(`[data-testid="resource-row"] [data-testid="exemption-notice"]`).Length() != 1 {
		t.Error("the exempt tab does not list the image with its exemption")
	}
	csvRec := s.browse(t, admin, http.MethodGet, "/recommendations/image-vulnerabilities/export.csv?show=all", nil, false)
	rows, err := csv.NewReader(csvRec.Body).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][2] != "local/debian" || rows[1][6] != "exempt" || rows[1][9] != "1" ||
		!strings.Contains(rows[1][14], "Upgrade urllib3 from 1.26.12 to 1.26.18") {
		t.Errorf("resources CSV = %q (%v)", rows, err)
	}
}

func TestAuditPageFiltersAndPages(t *testing.T) {
	s := newConsoleServer(t)
	ctx := context.Background()
	for i := range 60 {
		actor, action := "alice", "exemption.create"
		if i%3 == 0 {
			actor, action = "olga", "exemption.revoke"
		}
		err := s.store.RecordAudit(ctx, store.AuditEntry{ActorKind: store.ActorUser, ActorName: actor, Action: action,
			ResourceKind: "exemption", ResourceID: strconv.Itoa(i), Details: map[string]any{"justification": "=cmd|' /C calc'!A0"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	admin := s.session(t, "admin")
	tests := []struct {
		name      string
		query     string
		rows      int
		next      bool
		firstID   string
		actorText string
	}{
		{name: "first page", query: "", rows: 50, next: true},
		{name: "by actor", query: "?actor=OLG", rows: 20, actorText: "olga"},
		{name: "by action", query: "?action=exemption.create", rows: 40, next: false, actorText: "alice"},
		{name: "empty range", query: "?to=2001-01-01", rows: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parse(t, s.browse(t, admin, http.MethodGet, "/audit"+tt.query, nil, false))
			rows := doc.Find(`[data-testid="audit-row"]`)
			if rows.Length() != tt.rows {
				t.Errorf("rows = %d, want %d", rows.Length(), tt.rows)
			}
			if got := doc.Find(`[data-testid="pager-next"]`).Length() == 1; got != tt.next {
				t.Errorf("next link = %v, want %v", got, tt.next)
			}
			if tt.actorText != "" && !strings.HasPrefix(strings.TrimSpace(rows.First().Find(`[data-testid="audit-actor"]`).Text()), tt.actorText) {
				t.Errorf("first actor = %q, want %s", rows.First().Find(`[data-testid="audit-actor"]`).Text(), tt.actorText)
			}
		})
	}

	// The older page picks up where the first ended, and the newer link
	// of the older page leads back to the first.
	first := parse(t, s.browse(t, admin, http.MethodGet, "/audit", nil, false))
	next, _ := first.Find(`[data-testid="pager-next"]`).Attr("href")
	older := parse(t, s.browse(t, admin, http.MethodGet, next, nil, false))
	lastOfFirst, _ := first.Find(`[data-testid="audit-row"]`).Last().Attr("data-audit-id")
	firstOfOlder, _ := older.Find(`[data-testid="audit-row"]`).First().Attr("data-audit-id")
	a, _ := strconv.Atoi(lastOfFirst)
	b, _ := strconv.Atoi(firstOfOlder)
	if older.Find(`[data-testid="audit-row"]`).Length() != 10 || b != a-1 {
		t.Errorf("older page has %d rows starting at id %d, want the 10 left, from id %d",
			older.Find(`[data-testid="audit-row"]`).Length(), b, a-1)
	}
	prev, _ := older.Find(`[data-testid="pager-prev"]`).Attr("href")
	back := parse(t, s.browse(t, admin, http.MethodGet, prev, nil, false))
	if back.Find(`[data-testid="audit-row"]`).Length() != 50 {
		t.Errorf("newer page from the older one has %d rows, want 50", back.Find(`[data-testid="audit-row"]`).Length())
	}

	rec := s.browse(t, admin, http.MethodGet, "/audit/export.csv?actor=olga", nil, false)
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil || len(rows) != 21 || rows[1][3] != "olga" || !strings.HasPrefix(rows[1][7], `{"justification"`) {
		t.Errorf("audit CSV has %d rows (%v); first %q", len(rows), err, rows[min(1, len(rows)-1)])
	}
	if op := s.browse(t, s.session(t, "operator"), http.MethodGet, "/audit/export.csv", nil, false); op.Code != http.StatusForbidden {
		t.Errorf("operator GET /audit/export.csv = %d, want 403", op.Code)
	}
}
