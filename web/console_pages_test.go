package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/secrets"
	"github.com/palisadesec/palisade/internal/store"
)

// pagesServer runs the web layer as serve does, in OIDC mode, with a real
// database, registry manager and scan queue (jobs are inserted, not run).
type pagesServer struct {
	routeServer
	regs *registries.Manager
}

func newPagesServer(t *testing.T) pagesServer {
	t.Helper()
	env := newOIDCTestEnv(t)
	box, err := secrets.New(env.cfg.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	regs := registries.NewManager(env.st, box, env.cfg.BaseURL.String())
	scans := scan.NewService(scan.Options{Store: env.st, Registries: regs, Logger: env.log})
	workers := river.NewWorkers()
	river.AddWorker(workers, &scan.Worker{Service: scans})
	inserter, err := jobs.NewInserter(env.pool, workers, env.log)
	if err != nil {
		t.Fatal(err)
	}
	scans.UseQueue(inserter)
	d := env.deps()
	d.Store, d.Scans, d.Registries = env.st, scans, regs
	return pagesServer{routeServer: env.server(d), regs: regs}
}

// request is one request of a test: a page load unless htmx names the
// element an htmx request swaps.
type request struct {
	method, path string
	role         string // viewer, operator or admin
	form         url.Values
	htmxTarget   string
	headers      map[string]string
}

func (s pagesServer) do(t *testing.T, r request) *httptest.ResponseRecorder {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	token := s.session(t, r.role)
	var req *http.Request
	if r.form != nil {
		req = httptest.NewRequest(r.method, r.path, strings.NewReader(r.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(r.method, r.path, nil)
	}
	if r.method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", s.h.auth.CSRFToken(auth.SessionBinding(token)))
	}
	req.Header.Set("Accept", "text/html")
	if r.htmxTarget != "" {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", r.htmxTarget)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: token})
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

func (s pagesServer) page(t *testing.T, r request) *goquery.Document {
	t.Helper()
	rec := s.do(t, r)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s = %d:\n%s", r.method, r.path, rec.Code, rec.Body.String())
	}
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func testids(doc *goquery.Document, id string) []string {
	var out []string
	doc.Find(`[data-testid="` + id + `"]`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.Join(strings.Fields(s.Text()), " "))
	})
	return out
}

func testid(doc *goquery.Document, id string) string {
	return strings.Join(testids(doc, id), " | ")
}

// pagesFixture is what the tests below look at, worked out by hand:
//
//	local/debian@sha256:abab…  tag bookworm, one application layer
//	    urllib3 1.26.12 (python): CVE-2023-43804 high 8.1, fixed 1.26.17 (PYSEC-2023-192)
//	                              CVE-2023-45803 medium 4.2, fixed 1.26.18 (PYSEC-2023-212)
//	    stdlib 1.19.8 (go-stdlib): CVE-2023-29400 unknown, fixed 1.19.9 (GO-2023-1753)
//	local/busybox@sha256:cdcd… tag latest, no findings: healthy
//
// The Debian image is unhealthy (a high finding) with counts high 1,
// medium 1, unknown 1. Advisory data: the shipped Go snapshot.
type pagesFixture struct {
	registry       int64
	debian, busy   int64
	debianDigest   string
	scanDone, scan int64
}

func seedPages(t *testing.T, s pagesServer) pagesFixture {
	t.Helper()
	ctx := context.Background()
	conn, _, err := s.regs.Add(ctx, registries.Settings{Name: "local", URL: "http://127.0.0.1:5000", InsecureHTTP: true,
		AuthKind: registries.AuthNone, ScanOnPush: true})
	if err != nil {
		t.Fatal(err)
	}
	f := pagesFixture{registry: conn.ID, debianDigest: "sha256:" + strings.Repeat("ab", 32)}
	pool := s.store.Pool()
	var fv int64
	err = pool.QueryRow(ctx, `INSERT INTO feed_versions (source, digest, ecosystems, full_feed)
		VALUES ('snapshot:Go@2026-08-21', 'sha256:f', '{Go}', true) RETURNING id`).Scan(&fv)
	if err != nil {
		t.Fatal(err)
	}
	score := func(v float64) *float64 { return &v }
	f.debian = saveImage(t, s.store, conn.ID, "debian", "bookworm", &store.ScanResult{
		Image:  store.ImageRecord{Digest: f.debianDigest, Platform: "linux/amd64", OSName: "Debian GNU/Linux 12 (bookworm)", SizeBytes: 2048},
		Layers: []store.LayerRecord{{Index: 0, Digest: "sha256:l0", DiffID: "sha256:d0", CreatedBy: "debootstrap", SizeBytes: 2048}},
		Packages: []store.PackageRecord{
			{Type: "python", Ecosystem: "PyPI", Name: "urllib3", Version: "1.26.12"},
			{Type: "go-stdlib", Ecosystem: "Go", Name: "stdlib", Version: "1.19.8", Paths: []string{"/usr/bin/containerd"}},
		},
		Findings: []store.FindingRecord{
			{PackageIndex: 0, VulnID: "CVE-2023-43804", AdvisoryIDs: []string{"PYSEC-2023-192"}, Aliases: []string{"GHSA-v845-jxx5-vc9f"},
				SeverityLevel: "high", SeverityScore: score(8.1), SeveritySource: "cvss_v3", FixedVersion: "1.26.17", FixStatus: "fixed"},
			{PackageIndex: 0, VulnID: "CVE-2023-45803", AdvisoryIDs: []string{"PYSEC-2023-212"}, SeverityLevel: "medium",
				SeverityScore: score(4.2), SeveritySource: "cvss_v3", FixedVersion: "1.26.18", FixStatus: "fixed"},
			{PackageIndex: 1, VulnID: "CVE-2023-29400", AdvisoryIDs: []string{"GO-2023-1753"}, SeverityLevel: "unknown",
				SeveritySource: "unknown", FixedVersion: "1.19.9", FixStatus: "fixed"},
		},
		FeedVersionID: &fv,
	})
	f.busy = saveImage(t, s.store, conn.ID, "busybox", "latest", &store.ScanResult{
		Image: store.ImageRecord{Digest: "sha256:" + strings.Repeat("cd", 32), Platform: "linux/amd64"},
	})
	_, err = pool.Exec(ctx, `INSERT INTO advisories (id, feed, content_hash, record, group_key, aliases, summary, details,
		severity_level, severity_source, feed_version_id) VALUES
		('GO-2023-1753', 'Go', 'h', '{"references": [{"type": "FIX", "url": "https://go.dev/cl/491616"}]}', 'CVE-2023-29400',
		 '{CVE-2023-29400}', 'Improper handling of empty HTML attributes in html/template', 'Templates with actions in unquoted attributes.',
		 'unknown', 'unknown', $1),
		('PYSEC-2023-192', 'PyPI', 'h', '{}', 'CVE-2023-43804', '{CVE-2023-43804,GHSA-v845-jxx5-vc9f}', '',
		 'urllib3 does not treat the Cookie header special.', 'high', 'cvss_v3', $1)`, fv)
	if err != nil {
		t.Fatal(err)
	}
	err = pool.QueryRow(ctx, `INSERT INTO scans (registry_id, repository, reference, digest, trigger, state, finished_at)
		VALUES ($1, 'debian', 'bookworm', $2, 'push', 'done', now()) RETURNING id`, conn.ID, f.debianDigest).Scan(&f.scanDone)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func saveImage(t *testing.T, st *store.Store, registryID int64, repo, tag string, res *store.ScanResult) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		repoID, err := st.UpsertRepositoryTx(ctx, tx, registryID, repo)
		if err != nil {
			return err
		}
		if _, err := st.RecordTagTx(ctx, tx, repoID, tag, res.Image.Digest); err != nil {
			return err
		}
		res.Image.RepositoryID = repoID
		if id, err = st.SaveScanResultTx(ctx, tx, res); err != nil {
			return err
		}
		sum, err := st.RefreshImageSummaryTx(ctx, tx, id, []string{"critical", "high"})
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

func TestOverviewShowsFiguresTrendAndAdvisoryAge(t *testing.T) {
	s := newPagesServer(t)
	seedPages(t, s)
	doc := s.page(t, request{path: "/", role: "viewer"})
	want := map[string]string{
		"open-total": "3", "open-critical": "0", "open-high": "1", "open-medium": "1", "open-unknown": "1",
		"images-unhealthy": "1", "images-healthy": "1",
		// The Debian image's recommendation, at its worst level.
		"recommendations-total": "1", "recommendations-high": "1",
		"feed-age": "shipped snapshot of 2026-08-21",
	}
	for id, w := range want {
		if got := testid(doc, id); !strings.HasPrefix(got, w) {
			t.Errorf("%s = %q, want %q", id, got, w)
		}
	}
	// Today's point is drawn from the live counts even before any snapshot.
	if doc.Find(`[data-testid="trend-chart"] circle.line-high`).Length() != 1 {
		t.Errorf("trend chart lacks today's high point")
	}
	if got := doc.Find(`[data-testid="trend-table"] tbody tr`).Length(); got != 1 {
		t.Errorf("trend table has %d days, want today only", got)
	}
	if doc.Find(`[data-testid="overview-empty"]`).Length() != 0 {
		t.Error("the overview says nothing is connected")
	}
	if rows := doc.Find(`[data-testid="recent-scans"] [data-testid="scan-row"]`).Length(); rows != 1 {
		t.Errorf("latest scans show %d rows, want the one done", rows)
	}
	if trig, _ := doc.Find(`[data-testid="recent-scans"]`).Attr("hx-trigger"); trig != "every 10s" {
		t.Errorf("the latest scans poll with %q while idle, want every 10s", trig)
	}
}

func TestOverviewWithNothingConnectedSaysWhatToDo(t *testing.T) {
	s := newPagesServer(t)
	tests := []struct {
		role string
		link bool
	}{{"admin", true}, {"viewer", false}}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			doc := s.page(t, request{path: "/", role: tt.role})
			empty := testid(doc, "overview-empty")
			if !strings.Contains(empty, "palisade registry add") {
				t.Errorf("empty state = %q, want the CLI command", empty)
			}
			link, _ := doc.Find(`[data-testid="connect-registry-link"]`).Attr("href")
			if (link == "/settings/registries/new") != tt.link {
				t.Errorf("%s sees connect link %q, want it: %t", tt.role, link, tt.link)
			}
		})
	}
}

func TestContainersListsRegistriesImagesAndWhatIsMissing(t *testing.T) {
	s := newPagesServer(t)
	f := seedPages(t, s)
	doc := s.page(t, request{path: "/containers", role: "viewer"})
	if got := testids(doc, "image-link"); strings.Join(got, ",") != "local/debian,local/busybox" {
		t.Errorf("images worst first = %v, want debian then busybox", got)
	}
	row := doc.Find(`[data-testid="image-row"]`).First()
	if tags, health, high := row.Find("code.tag").Text(), row.Find(`[data-testid="health"]`).Text(),
		row.Find(`[data-testid="count-high"]`).Text(); tags != "bookworm" || health != "Unhealthy" || high != "1" {
		t.Errorf("debian row: tags %q, health %q, high %q", tags, health, high)
	}
	if !strings.Contains(testid(doc, "hosts-section"), "palisade-agent") {
		t.Errorf("hosts section = %q, want it to say to install palisade-agent", testid(doc, "hosts-section"))
	}
	if !strings.Contains(testid(doc, "clusters-section"), "Not available yet") {
		t.Errorf("clusters section = %q", testid(doc, "clusters-section"))
	}

	// A filter change from htmx gets the list alone, and the URL to push.
	rec := s.do(t, request{path: "/containers?health=healthy&q=&registry=" + strconv.FormatInt(f.registry, 10), role: "viewer", htmxTarget: "images"})
	body := rec.Body.String()
	if strings.Contains(body, "<html") || !strings.Contains(body, `id="images"`) || !strings.Contains(body, "local/busybox") ||
		strings.Contains(body, "local/debian") {
		t.Errorf("htmx list answer is not the filtered list alone:\n%s", body)
	}
	if push := rec.Header().Get("HX-Push-Url"); push != "/containers?health=healthy&registry="+strconv.FormatInt(f.registry, 10) {
		t.Errorf("HX-Push-Url = %q", push)
	}
	csvRows := readCSV(t, s.do(t, request{path: "/containers/export.csv?health=unhealthy", role: "viewer"}))
	if len(csvRows) != 2 || csvRows[1][1] != "debian" || csvRows[1][2] != "bookworm" || csvRows[1][9] != "unhealthy" || csvRows[1][11] != "1" {
		t.Errorf("images csv = %v", csvRows)
	}
}

func readCSV(t *testing.T, rec *httptest.ResponseRecorder) [][]string {
	t.Helper()
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment; filename=") ||
		rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("export = %d, %q, %q: %s", rec.Code, rec.Header().Get("Content-Disposition"), rec.Header().Get("Content-Type"), rec.Body.String())
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestImagePageFiltersSortsAndExports(t *testing.T) {
	s := newPagesServer(t)
	f := seedPages(t, s)
	path := imagePath(f.debian)
	doc := s.page(t, request{path: path, role: "viewer"})
	if got := testid(doc, "image-tags"); got != "bookworm" {
		t.Errorf("tags = %q", got)
	}
	if got := testid(doc, "image-feed"); !strings.Contains(got, "shipped snapshot of 2026-08-21") {
		t.Errorf("feed = %q", got)
	}
	if got := strings.Join(testids(doc, "finding-vuln"), ","); got != "CVE-2023-43804,CVE-2023-45803,CVE-2023-29400" {
		t.Errorf("findings worst first = %s", got)
	}
	if doc.Find(`[data-testid="rescan"]`).Length() != 0 {
		t.Error("a viewer sees the rescan button")
	}

	tests := []struct {
		name, query string
		want        string
	}{
		{name: "high", query: "severity=high", want: "CVE-2023-43804"},
		{name: "python packages", query: "type=python&sort=vulnerability", want: "CVE-2023-43804,CVE-2023-45803"},
		{name: "by package descending", query: "sort=package&dir=desc", want: "CVE-2023-43804,CVE-2023-45803,CVE-2023-29400"},
		{name: "by vulnerability", query: "sort=vulnerability", want: "CVE-2023-29400,CVE-2023-43804,CVE-2023-45803"},
		{name: "base layers", query: "layer=base", want: ""},
		{name: "layer 0", query: "layer=0&severity=unknown", want: "CVE-2023-29400"},
		{name: "bad values are ignored", query: "severity=extreme&sort=%27;drop", want: "CVE-2023-43804,CVE-2023-45803,CVE-2023-29400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, request{path: path + "?" + tt.query, role: "viewer", htmxTarget: "findings"})
			doc, err := goquery.NewDocumentFromReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Find("html body main").Length() != 0 || doc.Find(`#findings`).Length() != 1 {
				t.Fatalf("htmx answer is not the findings section alone")
			}
			if got := strings.Join(testids(doc, "finding-vuln"), ","); got != tt.want {
				t.Errorf("findings = %q, want %q", got, tt.want)
			}
		})
	}

	high := s.page(t, request{path: path + "?severity=high", role: "viewer"})
	if high.Find("main h1").Length() != 1 || testid(high, "finding-installed") != "1.26.12" || testid(high, "finding-fixed") != "1.26.17" {
		t.Errorf("full page with a filter: heading %d, installed %q, fixed %q", high.Find("main h1").Length(),
			testid(high, "finding-installed"), testid(high, "finding-fixed"))
	}
	if sel, _ := high.Find(`#f-severity option[selected]`).Attr("value"); sel != "high" {
		t.Errorf("severity filter shows %q selected, want high", sel)
	}
	if href, _ := high.Find(`[data-testid="findings-export"]`).Attr("href"); href != path+"/export.csv?severity=high" {
		t.Errorf("export link = %q", href)
	}
	// Boosted navigation and history restores get the whole page.
	for _, h := range []string{"HX-Boosted", "HX-History-Restore-Request"} {
		rec := s.do(t, request{path: path, role: "viewer", htmxTarget: "findings", headers: map[string]string{h: "true"}})
		if !strings.Contains(rec.Body.String(), "<html") {
			t.Errorf("request with %s got a fragment", h)
		}
	}

	rows := readCSV(t, s.do(t, request{path: path + "/export.csv?severity=high", role: "viewer"}))
	if len(rows) != 2 || rows[0][0] != "vulnerability_id" || rows[1][0] != "CVE-2023-43804" || rows[1][3] != "high" ||
		rows[1][4] != "8.1" || rows[1][6] != "urllib3" || rows[1][7] != "1.26.12" || rows[1][11] != "1.26.17" {
		t.Errorf("findings csv = %v", rows)
	}
	if rec := s.do(t, request{path: "/images/999999", role: "viewer"}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown image = %d, want 404", rec.Code)
	}
}

func TestVulnerabilityPageFindsEveryAffectedImage(t *testing.T) {
	s := newPagesServer(t)
	f := seedPages(t, s)
	for _, id := range []string{"CVE-2023-29400", "GO-2023-1753"} {
		t.Run(id, func(t *testing.T) {
			doc := s.page(t, request{path: "/vulnerabilities/" + id, role: "viewer"})
			if got := testid(doc, "affected-image"); got != "local/debian" {
				t.Errorf("affected images = %q, want local/debian", got)
			}
			if got := testid(doc, "affected-installed") + " " + testid(doc, "affected-fixed"); got != "1.19.8 1.19.9" {
				t.Errorf("installed and fixed = %q", got)
			}
			if !strings.Contains(testid(doc, "advisory"), "Improper handling of empty HTML attributes") {
				t.Errorf("advisory = %q", testid(doc, "advisory"))
			}
			if href, _ := doc.Find(`[data-testid="advisory-references"] a`).Attr("href"); href != "https://go.dev/cl/491616" {
				t.Errorf("reference = %q", href)
			}
		})
	}
	doc := s.page(t, request{path: "/vulnerabilities/GHSA-v845-jxx5-vc9f", role: "viewer"})
	if got := testid(doc, "affected-image"); got != "local/debian" {
		t.Errorf("an alias of a stored advisory: affected = %q", got)
	}
	rows := readCSV(t, s.do(t, request{path: "/vulnerabilities/CVE-2023-29400/export.csv", role: "viewer"}))
	if len(rows) != 2 || rows[1][1] != "local" || rows[1][2] != "debian" || rows[1][4] != f.debianDigest || rows[1][9] != "1.19.8" {
		t.Errorf("affected csv = %v", rows)
	}

	missing := s.do(t, request{path: "/vulnerabilities/CVE-1999-0001", role: "viewer"})
	if missing.Code != http.StatusNotFound || !strings.Contains(missing.Body.String(), `data-testid="vuln-not-found"`) {
		t.Errorf("unknown vulnerability = %d", missing.Code)
	}
	search := s.do(t, request{path: "/vulnerabilities?q=+cve-2023-29400+", role: "viewer"})
	if search.Code != http.StatusSeeOther || search.Header().Get("Location") != "/vulnerabilities/CVE-2023-29400" {
		t.Errorf("search = %d to %q", search.Code, search.Header().Get("Location"))
	}
}
