package scan_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/feeds"
	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/secrets"
	"github.com/palisadesec/palisade/internal/store"
)

// Hand-made records in the OSV shape. Two databases describe one CVE for
// urllib3 (merged into one finding); a third record has no fix.
const (
	recPYSEC = `{"id":"PYSEC-2099-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2099-1000","GHSA-aaaa-bbbb-cccc"],"affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.26.17"}]}]}]}`
	recGHSA  = `{"id":"GHSA-aaaa-bbbb-cccc","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2099-1000","PYSEC-2099-1"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.26.18"}]}]}]}`
	recNoFix = `{"id":"PYSEC-2099-2","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"jinja2"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"3.0"}]}]}]}`
	// recNoFixWithdrawn is recNoFix after the feed withdrew it.
	recNoFixWithdrawn = `{"id":"PYSEC-2099-2","modified":"2024-02-01T00:00:00Z","withdrawn":"2024-02-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"jinja2"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"3.0"}]}]}]}`
)

// fakeSource hands out one random image for any reference; the real
// registry path is covered by the e2e suite.
type fakeSource struct {
	img v1.Image
	err error
}

func (f *fakeSource) Images(context.Context, registries.Connection, string, string) ([]scan.PlatformImage, error) {
	if f.err != nil {
		return nil, f.err
	}
	d, _ := f.img.Digest()
	return []scan.PlatformImage{{Platform: "linux/amd64", Digest: d.String(), Image: f.img}}, nil
}

func (f *fakeSource) IsTransient(err error) bool { return strings.Contains(err.Error(), "temporary") }

// fakeInventory returns fixed packages: Jinja2 (PyPI spelling, normalised
// by the matcher), urllib3 in the base layer, and a package nothing affects.
type fakeInventory struct{}

func (fakeInventory) Inventory(context.Context, v1.Image) (*scan.Inventory, error) {
	return &scan.Inventory{
		OS: scan.OS{ID: "debian", Version: "12", Name: "Debian GNU/Linux 12 (bookworm)"},
		Layers: []store.LayerRecord{
			{Index: 0, Digest: "sha256:l0", DiffID: "sha256:d0", BaseLayer: true},
			{Index: 1, Digest: "sha256:l1", DiffID: "sha256:d1"},
		},
		Packages: []store.PackageRecord{
			{Type: "python", Ecosystem: "PyPI", Name: "urllib3", Version: "1.26.12", LayerIndex: 0, Paths: []string{"/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info"}},
			{Type: "python", Ecosystem: "PyPI", Name: "Jinja2", Version: "3.1.2", LayerIndex: 1},
			{Type: "python", Ecosystem: "PyPI", Name: "six", Version: "1.16.0", LayerIndex: 1},
		},
	}, nil
}

type fixture struct {
	pool     *pgxpool.Pool
	st       *store.Store
	svc      *scan.Service
	runner   *jobs.Client
	registry registries.Connection
	importer *feeds.Importer
	source   *fakeSource
}

func writeZip(t *testing.T, records ...string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, r := range records {
		w, _ := zw.Create(strings.Repeat("r", i+1) + ".json")
		w.Write([]byte(r))
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "PyPI.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	log := slog.New(slog.DiscardHandler)
	box, err := secrets.New(strings.Repeat("s", 32))
	if err != nil {
		t.Fatal(err)
	}
	mgr := registries.NewManager(st, box, "http://127.0.0.1:8080")
	conn, _, err := mgr.Add(ctx, registries.Settings{Name: "test", URL: "http://127.0.0.1:5000", InsecureHTTP: true, AuthKind: registries.AuthNone, ScanOnPush: true})
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{pool: pool, st: st, registry: conn, importer: feeds.NewImporter(st, log), source: &fakeSource{img: img}}
	f.svc = scan.NewService(scan.Options{
		Store: st, Registries: mgr, Images: f.source, Inventorier: fakeInventory{},
		Matcher: scan.NewMatcher(st), Logger: log, UnhealthyLevels: []string{"critical", "high", "unknown"},
	})
	workers := river.NewWorkers()
	river.AddWorker(workers, &scan.Worker{Service: f.svc})
	river.AddWorker(workers, &scan.RematchWorker{Service: f.svc})
	f.runner, err = jobs.NewRunner(pool, jobs.Options{Workers: workers, MaxWorkers: 2, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.UseQueue(f.runner)
	if err := f.runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jobs.Stop(context.Background(), f.runner, log) })
	return f
}

func (f *fixture) waitForScan(t *testing.T, id int64) store.Scan {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		sc, err := f.st.ScanByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if sc.State == store.ScanDone || sc.State == store.ScanFailed {
			return sc
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("scan %d did not finish within 30s", id)
	return store.Scan{}
}

type findingRow struct {
	pkg, vuln, severity, source, fixed, fixStatus, status string
	advisories                                            []string
}

func (f *fixture) findings(t *testing.T) map[string]findingRow {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `
		SELECT p.name, f.vuln_id, f.severity_level, f.severity_source, f.fixed_version, f.fix_status, f.status, f.advisory_ids
		FROM findings f JOIN image_packages p ON p.id = f.package_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]findingRow{}
	for rows.Next() {
		var r findingRow
		if err := rows.Scan(&r.pkg, &r.vuln, &r.severity, &r.source, &r.fixed, &r.fixStatus, &r.status, &r.advisories); err != nil {
			t.Fatal(err)
		}
		out[r.pkg+" "+r.vuln] = r
	}
	return out
}

func TestScanWritesFindingsHealthAndRecommendation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.importer.ImportPath(ctx, writeZip(t, recPYSEC, recGHSA, recNoFix)); err != nil {
		t.Fatal(err)
	}

	q, err := f.svc.Enqueue(ctx, scan.Request{RegistryID: f.registry.ID, Repository: "app", Reference: "v1", Trigger: scan.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	sc := f.waitForScan(t, q.ScanID)
	if sc.State != store.ScanDone {
		t.Fatalf("scan state = %s (%s), want done", sc.State, sc.Reason)
	}

	got := f.findings(t)
	if len(got) != 2 {
		t.Fatalf("findings = %v, want 2 (urllib3 once for both records of CVE-2099-1000, jinja2 once)", got)
	}
	// Both records of CVE-2099-1000 merge: the GHSA's CVSS 9.8 gives
	// critical, and 1.26.18 fixes both.
	u := got["urllib3 CVE-2099-1000"]
	if u.severity != "critical" || u.source != "cvss_v3" || u.fixed != "1.26.18" || u.fixStatus != "fixed" ||
		strings.Join(u.advisories, ",") != "GHSA-aaaa-bbbb-cccc,PYSEC-2099-1" {
		t.Errorf("urllib3 finding = %+v", u)
	}
	j := got["Jinja2 PYSEC-2099-2"]
	if j.severity != "unknown" || j.fixStatus != "no_fix" || j.fixed != "" {
		t.Errorf("Jinja2 finding = %+v", j)
	}

	var healthy bool
	var critical, unknown int
	var status string
	var details string
	err = f.pool.QueryRow(ctx, `
		SELECT i.healthy, i.critical_count, i.unknown_count, a.status, a.details::text
		FROM images i JOIN assessments a ON a.resource_kind = 'image' AND a.resource_id = i.id`).Scan(&healthy, &critical, &unknown, &status, &details)
	if err != nil {
		t.Fatal(err)
	}
	if healthy || critical != 1 || unknown != 1 || status != "unhealthy" {
		t.Errorf("image healthy=%t critical=%d unknown=%d assessment=%s; want unhealthy with 1 and 1", healthy, critical, unknown, status)
	}
	// urllib3 sits in the base layer: the step is a rebuild, not an upgrade.
	for _, want := range []string{`"kind": "rebuild_base"`, `urllib3 1.26.12 → 1.26.18`, `"kind": "no_fix"`} {
		if !strings.Contains(details, want) {
			t.Errorf("assessment details lack %q: %s", want, details)
		}
	}

	// The same digest again is not scanned twice.
	d, _ := f.source.img.Digest()
	q2, err := f.svc.Enqueue(ctx, scan.Request{RegistryID: f.registry.ID, Repository: "app", Reference: "v1", Digest: d.String(), Trigger: scan.TriggerPush})
	if err != nil {
		t.Fatal(err)
	}
	if q2.Skipped == "" {
		t.Errorf("second push of the same digest queued scan %d, want it skipped", q2.ScanID)
	}
}

func TestRematchAfterFeedChange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.importer.ImportPath(ctx, writeZip(t, recPYSEC, recNoFix)); err != nil {
		t.Fatal(err)
	}
	q, err := f.svc.Enqueue(ctx, scan.Request{RegistryID: f.registry.ID, Repository: "app", Reference: "v1", Trigger: scan.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	if sc := f.waitForScan(t, q.ScanID); sc.State != store.ScanDone {
		t.Fatalf("scan: %s %s", sc.State, sc.Reason)
	}

	// New data: the GHSA arrives (urllib3's finding gains a score and a
	// higher fix), and jinja2's record is withdrawn.
	if _, err := f.importer.ImportPath(ctx, writeZip(t, recPYSEC, recNoFixWithdrawn, recGHSA)); err != nil {
		t.Fatal(err)
	}
	totals, err := f.svc.RematchAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if totals.Images != 1 || totals.Changed != 1 || totals.Withdrawn != 1 || totals.New != 0 {
		t.Errorf("rematch totals = %+v, want 1 image, 1 changed, 1 withdrawn", totals)
	}
	got := f.findings(t)
	if u := got["urllib3 CVE-2099-1000"]; u.severity != "critical" || u.fixed != "1.26.18" || u.status != "open" {
		t.Errorf("urllib3 after rematch = %+v", u)
	}
	if j := got["Jinja2 PYSEC-2099-2"]; j.status != "withdrawn" {
		t.Errorf("Jinja2 after rematch = %+v, want withdrawn", j)
	}

	again, err := f.svc.RematchAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.RematchCounts != (store.RematchCounts{}) {
		t.Errorf("second rematch changed %+v, want nothing", again.RematchCounts)
	}
}

func TestPermanentFailureEndsScanWithReason(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.source.err = errors.New("manifest unknown: 404")
	q, err := f.svc.Enqueue(ctx, scan.Request{RegistryID: f.registry.ID, Repository: "app", Reference: "missing", Trigger: scan.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	sc := f.waitForScan(t, q.ScanID)
	if sc.State != store.ScanFailed || !strings.Contains(sc.Reason, "manifest unknown") || sc.Attempts != 1 {
		t.Errorf("scan = %s after %d attempts (%q), want failed after 1 with the registry's reason", sc.State, sc.Attempts, sc.Reason)
	}
}

// A rescan of the same digest keeps every finding's id and first-seen
// time, so exemptions, links and API clients that name a finding by id
// keep working.
func TestRescanKeepsFindingIDs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.importer.ImportPath(ctx, writeZip(t, recPYSEC, recGHSA, recNoFix)); err != nil {
		t.Fatal(err)
	}
	ids := func() map[string]string {
		rows, err := f.pool.Query(ctx, `SELECT vuln_id, id::text || '@' || first_seen_at::text || '/' || status FROM findings ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for rows.Next() {
			var k, v string
			rows.Scan(&k, &v)
			out[k] = v
		}
		return out
	}
	scanOnce := func(force bool) {
		t.Helper()
		q, err := f.svc.Enqueue(ctx, scan.Request{RegistryID: f.registry.ID, Repository: "app", Reference: "v1", Trigger: scan.TriggerManual, Force: force})
		if err != nil {
			t.Fatal(err)
		}
		if sc := f.waitForScan(t, q.ScanID); sc.State != store.ScanDone {
			t.Fatalf("scan: %s %s", sc.State, sc.Reason)
		}
	}
	scanOnce(false)
	first := ids()
	scanOnce(true)
	if got := ids(); len(got) != 2 || got["CVE-2099-1000"] != first["CVE-2099-1000"] || got["PYSEC-2099-2"] != first["PYSEC-2099-2"] {
		t.Errorf("after a rescan findings are %v, want the same ids and first-seen times as %v", got, first)
	}
}
