package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/riverqueue/river"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/feeds"
	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/notify"
	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/secrets"
	"github.com/palisadesec/palisade/internal/store"
)

// apiServer is the web layer in OIDC mode (so that a request without a
// token is anonymous) on a real database with one scanned image.
type apiServer struct {
	e      *echo.Echo
	h      *Handler
	store  *store.Store
	pool   interface{ Close() }
	tokens map[string]string // role -> token
	data   apiFixture
}

// apiFixture is what newAPIServer stored, worked out by hand: one image of
// registry "local", repository "app", with urllib3 1.26.12 (PYSEC-2023-192,
// alias CVE-2023-43804, high 8.1, fixed in 1.26.17) and openssl 3.0.11
// (CVE-2099-0001, critical 9.8, no fix), so the image is unhealthy with
// one critical and one high finding.
type apiFixture struct {
	registryID, imageID, highFindingID int64
}

const testSecretKey = "api-test-secret-key-0123456789abcdef0123"

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	env := map[string]string{
		"PALISADE_OIDC_ISSUER_URL": "http://127.0.0.1:9",
		"PALISADE_OIDC_CLIENT_ID":  "palisade",
		"PALISADE_SECRET_KEY":      testSecretKey,
		"PALISADE_BASE_URL":        "http://127.0.0.1:9",
	}
	cfg, err := config.LoadFrom(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	log := slog.New(slog.DiscardHandler)
	box, err := secrets.New(testSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	regs := registries.NewManager(st, box, "http://127.0.0.1:9")
	workers := river.NewWorkers()
	scans := scan.NewService(scan.Options{Store: st, Registries: regs, Logger: log})
	notifier := notify.New(notify.Options{Store: st, Box: box, Logger: log, Policy: notify.Policy{AllowPrivate: true}})
	river.AddWorker(workers, &scan.Worker{Service: scans})
	river.AddWorker(workers, &notify.DeliverWorker{Service: notifier})
	river.AddWorker(workers, &feeds.SyncWorker{})
	inserter, err := jobs.NewInserter(pool, workers, log)
	if err != nil {
		t.Fatal(err)
	}
	scans.UseQueue(inserter)
	notifier.UseQueue(inserter)
	authn, err := auth.New(auth.Options{Config: cfg, Store: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e, h := newServer(Deps{Config: cfg, Logger: log, Readiness: fakeReadiness{}, Version: "test", Auth: authn,
		Store: st, Scans: scans, Registries: regs, Jobs: inserter, Webhooks: notifier})
	s := &apiServer{e: e, h: h, store: st, tokens: map[string]string{}}
	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleOperator, auth.RoleAdmin} {
		_, tok, err := auth.IssueAPIToken(context.Background(), st, auth.APITokenSpec{Name: role.String() + "-token",
			Role: role, CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[role.String()] = tok
	}
	s.data = storeFixture(t, st, regs)
	return s
}

func storeFixture(t *testing.T, st *store.Store, regs *registries.Manager) apiFixture {
	t.Helper()
	ctx := context.Background()
	conn, _, err := regs.Add(ctx, registries.Settings{Name: "local", URL: "http://127.0.0.1:5000", InsecureHTTP: true,
		AuthKind: registries.AuthNone, ScanOnPush: true})
	if err != nil {
		t.Fatal(err)
	}
	high, critical := 8.1, 9.8
	res := &store.ScanResult{
		Image: store.ImageRecord{Digest: "sha256:" + strings.Repeat("a", 64), Platform: "linux/amd64",
			MediaType: "application/vnd.oci.image.manifest.v1+json", OSID: "debian", OSVersion: "12",
			OSName: "Debian GNU/Linux 12 (bookworm)", SizeBytes: 1234},
		Layers: []store.LayerRecord{{Index: 0, Digest: "sha256:" + strings.Repeat("b", 64),
			DiffID: "sha256:" + strings.Repeat("c", 64), SizeBytes: 1234, BaseLayer: true}},
		Packages: []store.PackageRecord{
			{Type: "python", Ecosystem: "PyPI", Name: "urllib3", Version: "1.26.12", PURL: "pkg:pypi/urllib3@1.26.12",
				Paths: []string{"/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info"}, LayerDiffID: "sha256:" + strings.Repeat("c", 64)},
			{Type: "deb", Ecosystem: "Debian:12", Name: "openssl", Version: "3.0.11-1~deb12u2",
				PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12", LayerDiffID: "sha256:" + strings.Repeat("c", 64)},
		},
		Findings: []store.FindingRecord{
			{PackageIndex: 0, VulnID: "PYSEC-2023-192", AdvisoryIDs: []string{"PYSEC-2023-192"},
				Aliases: []string{"CVE-2023-43804", "GHSA-v845-jxx5-vc9f"}, Summary: "Cookie header leak on redirect",
				SeverityLevel: "high", SeverityScore: &high, SeveritySource: "cvss_v3", FixedVersion: "1.26.17", FixStatus: "fixed"},
			{PackageIndex: 1, VulnID: "CVE-2099-0001", AdvisoryIDs: []string{"DEBIAN-CVE-2099-0001"},
				Summary: "Made-up critical flaw", SeverityLevel: "critical", SeverityScore: &critical,
				SeveritySource: "cvss_v3", FixStatus: "not_fixed"},
		},
	}
	var f apiFixture
	f.registryID = conn.ID
	err = st.InTx(ctx, func(tx pgx.Tx) error {
		repoID, err := st.UpsertRepositoryTx(ctx, tx, conn.ID, "app")
		if err != nil {
			return err
		}
		if _, err := st.RecordTagTx(ctx, tx, repoID, "1.0", res.Image.Digest); err != nil {
			return err
		}
		res.Image.RepositoryID = repoID
		if f.imageID, err = st.SaveScanResultTx(ctx, tx, res); err != nil {
			return err
		}
		sum, err := st.RefreshImageSummaryTx(ctx, tx, f.imageID, []string{"critical", "high", "unknown"})
		if err != nil {
			return err
		}
		return st.UpsertAssessmentTx(ctx, tx, scan.ImageAssessment(f.imageID, sum, res))
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := st.APIImageFindings(ctx, store.FindingFilter{ImageID: f.imageID, Severity: "high"}, store.KeyPage{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("fixture: high findings = %v, %v", rows, err)
	}
	f.highFindingID = rows[0].ID
	return f
}

// apiCall is one request, and what it answered.
type apiCall struct {
	method, path, role string
	body               any
	header             map[string]string
}

func (s *apiServer) call(t *testing.T, c apiCall) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req := httptest.NewRequest(c.method, c.path, body)
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.role != "" {
		tok, ok := s.tokens[c.role]
		if !ok {
			tok = c.role // a raw token
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

// openAPIDoc is the served document, decoded.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	raw, err := openAPIJSON()
	if err != nil {
		t.Fatalf("openapi.yaml does not convert to JSON: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

const openAPIURL = "https://palisade.invalid/api/openapi.json"

func TestOpenAPIDocumentIsValid(t *testing.T) {
	c := jsonschema.NewCompiler()
	f, err := os.Open(filepath.Join("testdata", "openapi-3.1-schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	meta, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("https://spec.openapis.org/oas/3.1/schema/2021-04-15", meta); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("https://spec.openapis.org/oas/3.1/schema/2021-04-15")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := openAPIJSON()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("openapi.yaml is not a valid OpenAPI 3.1 document: %v", err)
	}
	// Every schema in it must compile as JSON Schema 2020-12.
	sc := schemaCompiler(t)
	for name := range openAPIDoc(t)["components"].(map[string]any)["schemas"].(map[string]any) {
		if _, err := sc.Compile(openAPIURL + "#/components/schemas/" + name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
}

func schemaCompiler(t *testing.T) *jsonschema.Compiler {
	t.Helper()
	raw, _ := openAPIJSON()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(openAPIURL, doc); err != nil {
		t.Fatal(err)
	}
	return c
}

// operationKey names an operation as "GET /api/v1/images/{id}".
func routeOperation(method, path string) string {
	return method + " " + regexp.MustCompile(`:([a-z_]+)`).ReplaceAllString(path, "{$1}")
}

func documentedOperations(t *testing.T) map[string]bool {
	t.Helper()
	ops := map[string]bool{}
	for path, item := range openAPIDoc(t)["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			if m := strings.ToUpper(method); slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m) {
				ops[m+" "+path] = true
			}
		}
	}
	return ops
}

// TestOpenAPICoversEveryRoute fails when a route under /api/ (but the
// agent's, documented in docs/agent-protocol.md) is missing from the
// document, or the document describes a route that does not exist.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s := newAPIServer(t)
	documented := documentedOperations(t)
	routed := map[string]bool{}
	for _, r := range s.e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") || strings.HasPrefix(r.Path, "/api/agent/") {
			continue
		}
		op := routeOperation(r.Method, r.Path)
		routed[op] = true
		if !documented[op] {
			t.Errorf("%s is in the route table but not in web/openapi.yaml", op)
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("web/openapi.yaml describes %s, which is not a route", op)
		}
	}
	if len(routed) < 30 {
		t.Errorf("only %d API routes found", len(routed))
	}
}

// validator checks responses against the document.
type validator struct {
	t        *testing.T
	doc      map[string]any
	c        *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema
	exercise map[string]bool // operations answered 2xx at least once
}

func newValidator(t *testing.T) *validator {
	return &validator{t: t, doc: openAPIDoc(t), c: schemaCompiler(t), schemas: map[string]*jsonschema.Schema{},
		exercise: map[string]bool{}}
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// check validates one real response of operation op ("GET /api/v1/...")
// and returns its decoded JSON body, if any.
func (v *validator) check(op string, rec *httptest.ResponseRecorder) any {
	t := v.t
	t.Helper()
	method, path, _ := strings.Cut(op, " ")
	item, ok := v.doc["paths"].(map[string]any)[path].(map[string]any)
	if !ok {
		t.Fatalf("%s: path not documented", op)
	}
	opObj, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		t.Fatalf("%s: method not documented", op)
	}
	status := fmt.Sprint(rec.Code)
	respPtr := "#/paths/" + pointerEscape(path) + "/" + strings.ToLower(method) + "/responses/" + status
	resp, ok := opObj["responses"].(map[string]any)[status].(map[string]any)
	if !ok {
		t.Errorf("%s answered %d, which the document does not list; body: %s", op, rec.Code, rec.Body.String())
		return nil
	}
	if ref, ok := resp["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/responses/")
		resp = v.doc["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
		respPtr = "#/components/responses/" + name
	}
	if rec.Code/100 == 2 {
		v.exercise[op] = true
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if rec.Body.Len() != 0 {
			t.Errorf("%s %d: the document lists no body, got %q", op, rec.Code, rec.Body.String())
		}
		return nil
	}
	ct := rec.Header().Get("Content-Type")
	media := ""
	for m := range content {
		if m == ct || sameMediaType(m, ct) {
			media = m
		}
	}
	if media == "" {
		t.Errorf("%s %d: content type %q is not one of %v", op, rec.Code, ct, keys(content))
		return nil
	}
	if rec.Code/100 == 2 && rec.Header().Get("ETag") == "" && method == "GET" {
		t.Errorf("%s: no ETag", op)
	}
	loc := openAPIURL + respPtr + "/content/" + pointerEscape(media) + "/schema"
	sch, ok := v.schemas[loc]
	if !ok {
		var err error
		if sch, err = v.c.Compile(loc); err != nil {
			t.Fatalf("%s: compile %s: %v", op, loc, err)
		}
		v.schemas[loc] = sch
	}
	var inst any = rec.Body.String()
	if strings.Contains(media, "json") {
		var err error
		if inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes())); err != nil {
			t.Errorf("%s %d: body is not JSON: %v", op, rec.Code, err)
			return nil
		}
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s %d: body does not match the document: %v\n%s", op, rec.Code, err, rec.Body.String())
	}
	return inst
}

// sameMediaType compares media types with their parameters, ignoring
// case and spacing.
func sameMediaType(a, b string) bool {
	ta, pa, err1 := mime.ParseMediaType(a)
	tb, pb, err2 := mime.ParseMediaType(b)
	if err1 != nil || err2 != nil || ta != tb || len(pa) != len(pb) {
		return false
	}
	for k, v := range pa {
		if !strings.EqualFold(pb[k], v) {
			return false
		}
	}
	return true
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func field(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// TestAPIResponsesMatchOpenAPI calls every operation of the document on a
// real database, and validates each real response (status, content type,
// body) against it; then checks that no operation went uncalled.
func TestAPIResponsesMatchOpenAPI(t *testing.T) {
	s := newAPIServer(t)
	v := newValidator(t)
	img := fmt.Sprint(s.data.imageID)
	reg := fmt.Sprint(s.data.registryID)
	do := func(op string, c apiCall, want int) any {
		t.Helper()
		rec := s.call(t, c)
		if rec.Code != want {
			t.Errorf("%s %s as %s = %d, want %d: %s", c.method, c.path, c.role, rec.Code, want, rec.Body.String())
		}
		return v.check(op, rec)
	}

	do("GET /api/openapi.json", apiCall{method: "GET", path: "/api/openapi.json"}, 200)

	// Registries
	do("GET /api/v1/registries", apiCall{method: "GET", path: "/api/v1/registries", role: "viewer"}, 200)
	do("GET /api/v1/registries/{id}", apiCall{method: "GET", path: "/api/v1/registries/" + reg, role: "viewer"}, 200)
	created := do("POST /api/v1/registries", apiCall{method: "POST", path: "/api/v1/registries", role: "admin",
		body: map[string]any{"name": "second", "url": "https://registry.example.com"}}, 201)
	secondID := fmt.Sprint(field(created, "registry", "id"))
	do("POST /api/v1/registries", apiCall{method: "POST", path: "/api/v1/registries", role: "admin",
		body: map[string]any{"name": "second", "url": "https://registry.example.com"}}, 409)
	do("POST /api/v1/registries", apiCall{method: "POST", path: "/api/v1/registries", role: "admin",
		body: map[string]any{"name": "Bad Name", "url": "ftp://x"}}, 422)
	do("POST /api/v1/registries", apiCall{method: "POST", path: "/api/v1/registries", role: "operator",
		body: map[string]any{"name": "third", "url": "https://r.example.com"}}, 403)
	do("PUT /api/v1/registries/{id}", apiCall{method: "PUT", path: "/api/v1/registries/" + secondID, role: "admin",
		body: map[string]any{"name": "second", "url": "https://registry.example.com", "scan_on_push": false,
			"poll_interval_seconds": 3600}}, 200)
	do("DELETE /api/v1/registries/{id}", apiCall{method: "DELETE", path: "/api/v1/registries/" + secondID, role: "admin"}, 204)
	do("GET /api/v1/registries/{id}", apiCall{method: "GET", path: "/api/v1/registries/" + secondID, role: "viewer"}, 404)

	// Images, findings and exports
	list := do("GET /api/v1/images", apiCall{method: "GET", path: "/api/v1/images?health=unhealthy&severity=critical&repository=ap", role: "viewer"}, 200)
	if items, _ := field(list, "items").([]any); len(items) != 1 || field(items[0], "counts", "critical") != json.Number("1") {
		t.Errorf("unhealthy images with critical findings = %v, want the fixture image with 1 critical", list)
	}
	do("GET /api/v1/images", apiCall{method: "GET", path: "/api/v1/images?health=sick", role: "viewer"}, 400)
	do("GET /api/v1/images", apiCall{method: "GET", path: "/api/v1/images?cursor=bm9wZQ", role: "viewer"}, 400)
	do("GET /api/v1/images/{id}", apiCall{method: "GET", path: "/api/v1/images/" + img, role: "viewer"}, 200)
	do("GET /api/v1/images/{id}", apiCall{method: "GET", path: "/api/v1/images/999999", role: "viewer"}, 404)
	do("GET /api/v1/images/{id}", apiCall{method: "GET", path: "/api/v1/images/abc", role: "viewer"}, 400)
	findings := do("GET /api/v1/images/{id}/findings", apiCall{method: "GET", path: "/api/v1/images/" + img + "/findings?limit=1", role: "viewer"}, 200)
	first, _ := field(findings, "items").([]any)
	next, _ := field(findings, "next_cursor").(string)
	if len(first) != 1 || field(first[0], "vuln_id") != "CVE-2099-0001" || next == "" {
		t.Fatalf("first page of findings = %v, want the critical one and a cursor", findings)
	}
	findings = do("GET /api/v1/images/{id}/findings", apiCall{method: "GET", path: "/api/v1/images/" + img + "/findings?limit=1&cursor=" + next, role: "viewer"}, 200)
	second, _ := field(findings, "items").([]any)
	if len(second) != 1 || field(second[0], "vuln_id") != "PYSEC-2023-192" || field(findings, "next_cursor") != nil ||
		field(second[0], "cvss_score") != json.Number("8.1") || field(second[0], "fixed_version") != "1.26.17" ||
		field(second[0], "package", "name") != "urllib3" || field(second[0], "exempt") != false {
		t.Errorf("second page of findings = %v, want urllib3's high finding, 8.1, fixed in 1.26.17, and no cursor", findings)
	}
	for _, x := range []string{"sbom", "sarif", "findings.csv", "report.json"} {
		do("GET /api/v1/images/{id}/"+x, apiCall{method: "GET", path: "/api/v1/images/" + img + "/" + x, role: "viewer"}, 200)
		do("GET /api/v1/images/{id}/"+x, apiCall{method: "GET", path: "/api/v1/images/424242/" + x, role: "viewer"}, 404)
	}

	// Vulnerabilities
	vulns := do("GET /api/v1/vulnerabilities", apiCall{method: "GET", path: "/api/v1/vulnerabilities", role: "viewer"}, 200)
	if items, _ := field(vulns, "items").([]any); len(items) != 2 || field(items[0], "id") != "CVE-2099-0001" {
		t.Errorf("vulnerabilities = %v, want 2, the critical first", vulns)
	}
	do("GET /api/v1/vulnerabilities", apiCall{method: "GET", path: "/api/v1/vulnerabilities?severity=bad", role: "viewer"}, 400)
	do("GET /api/v1/vulnerabilities/{id}", apiCall{method: "GET", path: "/api/v1/vulnerabilities/PYSEC-2023-192", role: "viewer"}, 200)
	do("GET /api/v1/vulnerabilities/{id}", apiCall{method: "GET", path: "/api/v1/vulnerabilities/CVE-1999-0000", role: "viewer"}, 404)
	affected := do("GET /api/v1/vulnerabilities/{id}/images", apiCall{method: "GET", path: "/api/v1/vulnerabilities/PYSEC-2023-192/images", role: "viewer"}, 200)
	if items, _ := field(affected, "items").([]any); len(items) != 1 || field(items[0], "image", "tags") == nil {
		t.Errorf("affected images = %v, want the fixture image", affected)
	}

	// Recommendations
	do("GET /api/v1/recommendations", apiCall{method: "GET", path: "/api/v1/recommendations", role: "viewer"}, 200)
	res := do("GET /api/v1/recommendations/{id}/resources", apiCall{method: "GET", path: "/api/v1/recommendations/image-vulnerabilities/resources", role: "viewer"}, 200)
	if items, _ := field(res, "items").([]any); len(items) != 1 || field(items[0], "status") != "unhealthy" {
		t.Errorf("resources = %v, want the fixture image, unhealthy", res)
	}
	do("GET /api/v1/recommendations/{id}/resources", apiCall{method: "GET", path: "/api/v1/recommendations/nope/resources", role: "viewer"}, 404)

	// Exemptions: a viewer may not; an operator may.
	exemption := map[string]any{"finding_id": s.data.highFindingID, "scope": "finding", "category": "mitigated",
		"justification": "Redirects to other hosts are disabled in this service."}
	do("POST /api/v1/exemptions", apiCall{method: "POST", path: "/api/v1/exemptions", role: "viewer", body: exemption}, 403)
	ex := do("POST /api/v1/exemptions", apiCall{method: "POST", path: "/api/v1/exemptions", role: "operator", body: exemption}, 201)
	exID := fmt.Sprint(field(ex, "id"))
	if field(ex, "created_by") != "operator-token (token 2)" {
		t.Errorf("exemption made by %v, want the token by name and id", field(ex, "created_by"))
	}
	do("POST /api/v1/exemptions", apiCall{method: "POST", path: "/api/v1/exemptions", role: "operator", body: exemption}, 422)
	do("POST /api/v1/exemptions", apiCall{method: "POST", path: "/api/v1/exemptions", role: "operator",
		body: map[string]any{"category": "mitigated", "justification": "x", "extra": 1}}, 400)
	do("GET /api/v1/exemptions", apiCall{method: "GET", path: "/api/v1/exemptions?status=active", role: "viewer"}, 200)
	do("GET /api/v1/exemptions/{id}", apiCall{method: "GET", path: "/api/v1/exemptions/" + exID, role: "viewer"}, 200)
	after := do("GET /api/v1/images/{id}/findings", apiCall{method: "GET", path: "/api/v1/images/" + img + "/findings?severity=high", role: "viewer"}, 200)
	if items, _ := field(after, "items").([]any); len(items) != 1 || field(items[0], "exempt") != true {
		t.Errorf("high finding after exempting = %v, want exempt", after)
	}
	do("DELETE /api/v1/exemptions/{id}", apiCall{method: "DELETE", path: "/api/v1/exemptions/" + exID, role: "viewer"}, 403)
	do("DELETE /api/v1/exemptions/{id}", apiCall{method: "DELETE", path: "/api/v1/exemptions/" + exID, role: "operator"}, 204)
	do("DELETE /api/v1/exemptions/{id}", apiCall{method: "DELETE", path: "/api/v1/exemptions/" + exID, role: "operator"}, 404)

	// Scans
	sc := do("POST /api/v1/scans", apiCall{method: "POST", path: "/api/v1/scans", role: "operator",
		body: map[string]any{"registry": "local", "repository": "app", "reference": "2.0"}}, 202)
	scanID := fmt.Sprint(field(sc, "scan", "id"))
	if field(sc, "scan", "state") != "queued" || field(sc, "scan", "trigger") != "manual" {
		t.Errorf("scan = %v, want queued, manual", sc)
	}
	do("POST /api/v1/scans", apiCall{method: "POST", path: "/api/v1/scans", role: "operator",
		body: map[string]any{"registry": "local", "repository": "app", "reference": "sha256:" + strings.Repeat("a", 64)}}, 200)
	do("POST /api/v1/scans", apiCall{method: "POST", path: "/api/v1/scans", role: "operator",
		body: map[string]any{"registry": "nope", "repository": "app", "reference": "1"}}, 422)
	do("POST /api/v1/scans", apiCall{method: "POST", path: "/api/v1/scans", role: "viewer",
		body: map[string]any{"registry": "local", "repository": "app", "reference": "1"}}, 403)
	do("GET /api/v1/scans", apiCall{method: "GET", path: "/api/v1/scans?state=active", role: "viewer"}, 200)
	do("GET /api/v1/scans/{id}", apiCall{method: "GET", path: "/api/v1/scans/" + scanID, role: "viewer"}, 200)

	// Feeds
	do("GET /api/v1/feeds", apiCall{method: "GET", path: "/api/v1/feeds", role: "viewer"}, 200)
	do("POST /api/v1/feeds/sync", apiCall{method: "POST", path: "/api/v1/feeds/sync", role: "operator"}, 202)
	do("POST /api/v1/feeds/sync", apiCall{method: "POST", path: "/api/v1/feeds/sync", role: "operator",
		body: map[string]any{"ecosystems": []string{"Klingon"}}}, 422)

	// Tokens
	tok := do("POST /api/v1/tokens", apiCall{method: "POST", path: "/api/v1/tokens", role: "admin",
		body: map[string]any{"name": "short-lived", "role": "viewer", "expires_in": "1h"}}, 201)
	do("POST /api/v1/tokens", apiCall{method: "POST", path: "/api/v1/tokens", role: "admin",
		body: map[string]any{"name": "", "role": "root"}}, 422)
	do("GET /api/v1/tokens", apiCall{method: "GET", path: "/api/v1/tokens", role: "admin"}, 200)
	do("GET /api/v1/tokens", apiCall{method: "GET", path: "/api/v1/tokens", role: "operator"}, 403)
	do("DELETE /api/v1/tokens/{id}", apiCall{method: "DELETE", path: fmt.Sprintf("/api/v1/tokens/%v", field(tok, "api_token", "id")), role: "admin"}, 204)

	// Webhooks
	wh := do("POST /api/v1/webhooks", apiCall{method: "POST", path: "/api/v1/webhooks", role: "admin",
		body: map[string]any{"name": "ci", "url": "http://127.0.0.1:9/hook", "events": []string{"scan.failed"}}}, 201)
	whID := fmt.Sprint(field(wh, "webhook", "id"))
	do("POST /api/v1/webhooks", apiCall{method: "POST", path: "/api/v1/webhooks", role: "admin",
		body: map[string]any{"name": "meta", "url": "http://169.254.169.254/latest", "events": []string{"scan.failed"}}}, 422)
	do("GET /api/v1/webhooks", apiCall{method: "GET", path: "/api/v1/webhooks", role: "admin"}, 200)
	do("GET /api/v1/webhooks/{id}", apiCall{method: "GET", path: "/api/v1/webhooks/" + whID, role: "admin"}, 200)
	do("PUT /api/v1/webhooks/{id}", apiCall{method: "PUT", path: "/api/v1/webhooks/" + whID, role: "admin",
		body: map[string]any{"name": "ci", "url": "http://127.0.0.1:9/hook", "events": []string{"scan.failed", "finding.new_critical_or_high"},
			"format": "slack", "enabled": false}}, 200)
	do("GET /api/v1/webhooks/{id}/deliveries", apiCall{method: "GET", path: "/api/v1/webhooks/" + whID + "/deliveries", role: "admin"}, 200)
	do("DELETE /api/v1/webhooks/{id}", apiCall{method: "DELETE", path: "/api/v1/webhooks/" + whID, role: "admin"}, 204)
	do("GET /api/v1/webhooks/{id}", apiCall{method: "GET", path: "/api/v1/webhooks/" + whID, role: "admin"}, 404)

	// Audit: every change above, by the token that made it.
	audit := do("GET /api/v1/audit", apiCall{method: "GET", path: "/api/v1/audit?actor=token&limit=200", role: "admin"}, 200)
	actions := map[string]string{}
	for _, e := range field(audit, "items").([]any) {
		actions[field(e, "action").(string)] = field(e, "actor_name").(string)
	}
	for action, actor := range map[string]string{
		"registry.create": "admin-token (token 3)", "registry.update": "admin-token (token 3)",
		"registry.delete": "admin-token (token 3)", "exemption.create": "operator-token (token 2)",
		"exemption.revoke": "operator-token (token 2)", "scan.request": "operator-token (token 2)",
		"feeds.sync": "operator-token (token 2)", "api_token.create": "admin-token (token 3)",
		"api_token.revoke": "admin-token (token 3)", "webhook.create": "admin-token (token 3)",
		"webhook.update": "admin-token (token 3)", "webhook.delete": "admin-token (token 3)",
	} {
		if actions[action] != actor {
			t.Errorf("audit %s by %q, want by %q", action, actions[action], actor)
		}
	}
	do("GET /api/v1/audit", apiCall{method: "GET", path: "/api/v1/audit", role: "operator"}, 403)
	do("GET /api/v1/audit", apiCall{method: "GET", path: "/api/v1/audit"}, 401)

	for op := range documentedOperations(t) {
		if !v.exercise[op] {
			t.Errorf("%s was never called with a successful answer", op)
		}
	}
}

func TestAPITokens(t *testing.T) {
	s := newAPIServer(t)
	ctx := context.Background()
	revoked, revokedTok, err := auth.IssueAPIToken(ctx, s.store, auth.APITokenSpec{Name: "old", Role: auth.RoleAdmin, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.RevokeAPIToken(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	soon := time.Now().Add(time.Hour)
	expired, expiredTok, err := auth.IssueAPIToken(ctx, s.store, auth.APITokenSpec{Name: "gone", Role: auth.RoleAdmin,
		CreatedBy: "test", ExpiresAt: &soon})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.Pool().Exec(ctx, `UPDATE api_tokens SET created_at = now() - interval '2 hours',
		expires_at = now() - interval '1 second' WHERE id = $1`, expired.ID); err != nil {
		t.Fatal(err)
	}
	exemption := map[string]any{"finding_id": s.data.highFindingID, "scope": "image", "category": "risk_accepted",
		"justification": "Accepted until the next base image."}
	tests := []struct {
		name   string
		call   apiCall
		status int
	}{
		{name: "viewer cannot exempt", call: apiCall{method: "POST", path: "/api/v1/exemptions", role: "viewer", body: exemption}, status: 403},
		{name: "revoked token", call: apiCall{method: "GET", path: "/api/v1/images", role: revokedTok}, status: 401},
		{name: "expired token", call: apiCall{method: "GET", path: "/api/v1/images", role: expiredTok}, status: 401},
		{name: "malformed token", call: apiCall{method: "GET", path: "/api/v1/images", role: "pal_nope"}, status: 401},
		{name: "session-style token", call: apiCall{method: "GET", path: "/api/v1/images", role: strings.Repeat("a", 43)}, status: 401},
		{name: "no token", call: apiCall{method: "GET", path: "/api/v1/images"}, status: 401},
		{name: "viewer reads", call: apiCall{method: "GET", path: "/api/v1/images", role: "viewer"}, status: 200},
		{name: "operator exempts", call: apiCall{method: "POST", path: "/api/v1/exemptions", role: "operator", body: exemption}, status: 201},
		{name: "unknown API path", call: apiCall{method: "GET", path: "/api/v1/nothing", role: "viewer"}, status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.call(t, tt.call)
			if rec.Code != tt.status {
				t.Fatalf("%s %s = %d, want %d: %s", tt.call.method, tt.call.path, rec.Code, tt.status, rec.Body.String())
			}
			if tt.status >= 400 {
				var p apiProblem
				if rec.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil ||
					p.Status != tt.status || p.Title != http.StatusText(tt.status) || p.Instance != tt.call.path || p.Type != "about:blank" {
					t.Errorf("error answer = %s %s, want an RFC 9457 problem", rec.Header().Get("Content-Type"), rec.Body.String())
				}
			}
			if tt.status == 401 && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge")
			}
		})
	}

	t.Run("last used is recorded, at most once a minute", func(t *testing.T) {
		list, err := s.store.APITokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range list {
			if tk.Name == "viewer-token" && tk.LastUsedAt == nil {
				t.Errorf("viewer token used but last_used_at is empty")
			}
			if tk.Name == "admin-token" && tk.LastUsedAt != nil {
				t.Errorf("admin token never used but last_used_at = %v", tk.LastUsedAt)
			}
		}
		var first time.Time
		s.store.Pool().QueryRow(ctx, `SELECT last_used_at FROM api_tokens WHERE name = 'viewer-token'`).Scan(&first)
		s.call(t, apiCall{method: "GET", path: "/api/v1/images", role: "viewer"})
		var second time.Time
		s.store.Pool().QueryRow(ctx, `SELECT last_used_at FROM api_tokens WHERE name = 'viewer-token'`).Scan(&second)
		if !first.Equal(second) {
			t.Errorf("last_used_at moved from %v to %v within a minute", first, second)
		}
	})
}

func TestAPIETag(t *testing.T) {
	s := newAPIServer(t)
	first := s.call(t, apiCall{method: "GET", path: "/api/v1/images/" + fmt.Sprint(s.data.imageID), role: "viewer"})
	etag := first.Header().Get("ETag")
	if first.Code != 200 || !regexp.MustCompile(`^W/"[0-9a-f]{32}"$`).MatchString(etag) {
		t.Fatalf("GET = %d with ETag %q, want 200 with a weak ETag", first.Code, etag)
	}
	again := s.call(t, apiCall{method: "GET", path: "/api/v1/images/" + fmt.Sprint(s.data.imageID), role: "viewer",
		header: map[string]string{"If-None-Match": etag}})
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 || again.Header().Get("ETag") != etag {
		t.Errorf("GET with If-None-Match = %d (%d bytes), want 304 without a body", again.Code, again.Body.Len())
	}
	other := s.call(t, apiCall{method: "GET", path: "/api/v1/images/" + fmt.Sprint(s.data.imageID), role: "viewer",
		header: map[string]string{"If-None-Match": `W/"0000"`}})
	if other.Code != http.StatusOK {
		t.Errorf("GET with a stale ETag = %d, want 200", other.Code)
	}
}

// TestAPIExportsValidate validates the SBOM and SARIF the API serves
// against the official CycloneDX 1.6 and SARIF 2.1.0 schemas (the copies
// in internal/export/testdata), and checks what they say about the
// fixture's findings.
func TestAPIExportsValidate(t *testing.T) {
	s := newAPIServer(t)
	dir := filepath.Join("..", "internal", "export", "testdata")
	tests := []struct {
		name, path, main string
		files            map[string]string
		want             []string
	}{
		{name: "CycloneDX 1.6", path: "sbom", main: "http://cyclonedx.org/schema/bom-1.6.schema.json",
			files: map[string]string{
				"http://cyclonedx.org/schema/bom-1.6.schema.json":  "bom-1.6.schema.json",
				"http://cyclonedx.org/schema/spdx.schema.json":     "spdx.schema.json",
				"http://cyclonedx.org/schema/jsf-0.82.schema.json": "jsf-0.82.schema.json",
			},
			want: []string{`"specVersion": "1.6"`, `pkg:pypi/urllib3@1.26.12`, `"PYSEC-2023-192"`, `CVE-2023-43804`}},
		{name: "SARIF 2.1.0", path: "sarif", main: "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
			files: map[string]string{"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json": "sarif-schema-2.1.0.json"},
			want:  []string{`"version": "2.1.0"`, `PYSEC-2023-192`, `CVE-2099-0001`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.call(t, apiCall{method: "GET", path: fmt.Sprintf("/api/v1/images/%d/%s", s.data.imageID, tt.path), role: "viewer"})
			if rec.Code != 200 {
				t.Fatalf("GET %s = %d: %s", tt.path, rec.Code, rec.Body.String())
			}
			c := jsonschema.NewCompiler()
			c.AssertFormat()
			for url, name := range tt.files {
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
			sch, err := c.Compile(tt.main)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("%s export does not validate: %v\n%s", tt.name, err, rec.Body.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("%s export lacks %s", tt.name, w)
				}
			}
		})
	}
}
