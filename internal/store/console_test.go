package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/store"
)

// consoleFixture is a small, hand-made state of two registries, three
// images and their findings. Every expected list in these tests was
// worked out from it by hand.
//
//	local/app@sha256:aaa   tags latest, v1; layers 0 (base) and 1
//	    openssl 3.0.11 (deb, layer 0):  CVE-2024-0001 critical 9.8, fixed 3.0.13
//	                                    CVE-2024-0002 low 2.0, will_not_fix; exempt (image scope)
//	    urllib3 1.26.12 (python, 1):    CVE-2023-43804 high 8.1, fixed 1.26.17
//	                                    CVE-2023-45803 medium 4.2, fixed 1.26.18, status fixed
//	    stdlib 1.19.8 (go-stdlib, 1):   CVE-2023-29400 unknown, no_fix
//	local/base@sha256:bbb  tag bookworm; healthy
//	    stdlib 1.20.3 (go-stdlib, 0):   CVE-2023-29400 unknown, no_fix
//	    zlib 1.2.13 (deb, 0):           CVE-2022-0003 medium 5.0, fixed 1.2.14
//	corp/web@sha256:ccc    from index sha256:idx, tag main; not scanned yet
type consoleFixture struct {
	st                   *store.Store
	pool                 *pgxpool.Pool
	local, corp          int64
	app, base, web       int64 // repositories
	imgA, imgB, imgC     int64
	f1, f2, f3, f4, f5   int64
	f6, f7               int64
	s1, s2, s3, s4       int64
	s1Finish, s2Finish   time.Time
	exemptionJustifyText string
}

func newConsoleFixture(t *testing.T) *consoleFixture {
	t.Helper()
	pool, _ := dbtest.New(t)
	x := &consoleFixture{st: store.New(pool), pool: pool}
	x.local = x.id(t, `INSERT INTO registries (name, url, webhook_token, webhook_secret) VALUES ('local', 'http://127.0.0.1:5000', 't1', '\x00') RETURNING id`)
	x.corp = x.id(t, `INSERT INTO registries (name, url, webhook_token, webhook_secret) VALUES ('corp', 'https://corp.example', 't2', '\x00') RETURNING id`)
	x.app = x.id(t, `INSERT INTO repositories (registry_id, name) VALUES ($1, 'app') RETURNING id`, x.local)
	x.base = x.id(t, `INSERT INTO repositories (registry_id, name) VALUES ($1, 'base') RETURNING id`, x.local)
	x.web = x.id(t, `INSERT INTO repositories (registry_id, name) VALUES ($1, 'web') RETURNING id`, x.corp)

	fv := x.id(t, `INSERT INTO feed_versions (source, digest, ecosystems, full_feed) VALUES ('snapshot:Go@2026-08-21', 'sha256:f', '{Go}', true) RETURNING id`)
	image := `INSERT INTO images (repository_id, digest, index_digest, platform, os_name, size_bytes, healthy, scanned_at,
		feed_version_id, critical_count, high_count, medium_count, low_count, unknown_count)
		VALUES ($1, $2, $3, 'linux/amd64', 'Debian GNU/Linux 12 (bookworm)', 1000, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`
	now := time.Now()
	// Counts as a recount would leave them: open, not exempt.
	x.imgA = x.id(t, image, x.app, "sha256:aaa", "", false, now, fv, 1, 1, 0, 0, 1)
	x.imgB = x.id(t, image, x.base, "sha256:bbb", "", true, now.Add(-time.Hour), fv, 0, 0, 1, 0, 1)
	x.imgC = x.id(t, image, x.web, "sha256:ccc", "sha256:idx", nil, nil, nil, 0, 0, 0, 0, 0)
	for _, tag := range []struct {
		repo         int64
		name, digest string
	}{{x.app, "v1", "sha256:aaa"}, {x.app, "latest", "sha256:aaa"}, {x.base, "bookworm", "sha256:bbb"},
		{x.web, "main", "sha256:idx"}, {x.app, "old", "sha256:zzz"}} {
		x.exec(t, `INSERT INTO tags (repository_id, name, digest) VALUES ($1, $2, $3)`, tag.repo, tag.name, tag.digest)
	}
	x.exec(t, `INSERT INTO image_layers (image_id, idx, digest, diff_id, created_by, base_layer) VALUES
		($1, 0, 'sha256:l0', 'sha256:d0', 'debootstrap', true), ($1, 1, 'sha256:l1', 'sha256:d1', 'COPY app /app', false),
		($2, 0, 'sha256:l2', 'sha256:d2', 'crane', false)`, x.imgA, x.imgB)

	pkg := `INSERT INTO image_packages (image_id, type, ecosystem, name, version, layer_index) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	openssl := x.id(t, pkg, x.imgA, "deb", "Debian:12", "openssl", "3.0.11", 0)
	urllib3 := x.id(t, pkg, x.imgA, "python", "PyPI", "urllib3", "1.26.12", 1)
	stdlibA := x.id(t, pkg, x.imgA, "go-stdlib", "Go", "stdlib", "1.19.8", 1)
	stdlibB := x.id(t, pkg, x.imgB, "go-stdlib", "Go", "stdlib", "1.20.3", 0)
	zlib := x.id(t, pkg, x.imgB, "deb", "Debian:12", "zlib", "1.2.13", 0)

	finding := `INSERT INTO findings (image_id, package_id, vuln_id, advisory_ids, severity_level, severity_score,
		severity_source, fixed_version, fix_status, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`
	x.f1 = x.id(t, finding, x.imgA, openssl, "CVE-2024-0001", []string{"DEBIAN-CVE-2024-0001"}, "critical", 9.8, "cvss_v3", "3.0.13", "fixed", "open")
	x.f2 = x.id(t, finding, x.imgA, urllib3, "CVE-2023-43804", []string{"PYSEC-2023-192"}, "high", 8.1, "cvss_v3", "1.26.17", "fixed", "open")
	x.f3 = x.id(t, finding, x.imgA, urllib3, "CVE-2023-45803", []string{"PYSEC-2023-212"}, "medium", 4.2, "cvss_v3", "1.26.18", "fixed", "fixed")
	x.f4 = x.id(t, finding, x.imgA, stdlibA, "CVE-2023-29400", []string{"GO-2023-1753"}, "unknown", nil, "unknown", "", "no_fix", "open")
	x.f5 = x.id(t, finding, x.imgA, openssl, "CVE-2024-0002", []string{"DEBIAN-CVE-2024-0002"}, "low", 2.0, "cvss_v3", "", "will_not_fix", "open")
	x.f6 = x.id(t, finding, x.imgB, stdlibB, "CVE-2023-29400", []string{"GO-2023-1753"}, "unknown", nil, "unknown", "", "no_fix", "open")
	x.f7 = x.id(t, finding, x.imgB, zlib, "CVE-2022-0003", []string{"DEBIAN-CVE-2022-0003"}, "medium", 5.0, "cvss_v3", "1.2.14", "fixed", "open")
	x.exemptionJustifyText = "openssl is not reachable from the network"
	x.exec(t, `INSERT INTO exemptions (scope, vuln_id, image_id, category, justification, created_by_name)
		VALUES ('image', 'CVE-2024-0002', $1, 'risk_accepted', $2, 'alice')`, x.imgA, x.exemptionJustifyText)

	x.exec(t, `INSERT INTO advisories (id, feed, content_hash, record, group_key, aliases, summary, details,
		severity_level, severity_source, feed_version_id) VALUES
		('GO-2023-1753', 'Go', 'h1', '{"references": [{"type": "FIX", "url": "https://go.dev/cl/491616"}, {"type": "WEB"}]}',
		 'CVE-2023-29400', '{CVE-2023-29400}', 'Improper handling of empty HTML attributes in html/template',
		 'Templates containing actions in unquoted HTML attributes...', 'unknown', 'unknown', $1),
		('PYSEC-2023-192', 'PyPI', 'h2', '{}', 'CVE-2023-43804', '{CVE-2023-43804,GHSA-v845-jxx5-vc9f}', '',
		 'urllib3 does not treat the Cookie header special', 'high', 'cvss_v3', $1)`, fv)

	x.exec(t, `INSERT INTO assessments (recommendation_id, resource_kind, resource_id, status, severity) VALUES
		('image-vulnerabilities', 'image', $1, 'unhealthy', 'critical'),
		('image-vulnerabilities', 'image', $2, 'healthy', 'medium')`, x.imgA, x.imgB)

	scan := `INSERT INTO scans (registry_id, repository, reference, digest, trigger, state, reason, queued_at, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`
	x.s1Finish = now.Add(-2 * time.Hour).Truncate(time.Microsecond)
	x.s2Finish = now.Add(-time.Hour).Truncate(time.Microsecond)
	x.s1 = x.id(t, scan, x.local, "app", "v1", "sha256:aaa", "push", "done", "", now.Add(-3*time.Hour), x.s1Finish)
	x.s2 = x.id(t, scan, x.local, "base", "bookworm", "sha256:bbb", "poll", "failed", "pull: unauthorized", now.Add(-3*time.Hour), x.s2Finish)
	x.s3 = x.id(t, scan, x.local, "app", "sha256:aaa", "sha256:aaa", "manual", "queued", "", now, nil)
	x.s4 = x.id(t, scan, x.corp, "web", "main", "", "push", "running", "", now, nil)
	return x
}

func (x *consoleFixture) id(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := x.pool.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		t.Fatalf("fixture: %v\n%s", err, sql)
	}
	return id
}

func (x *consoleFixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := x.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("fixture: %v\n%s", err, sql)
	}
}

func TestImages(t *testing.T) {
	x := newConsoleFixture(t)
	tests := []struct {
		name  string
		f     store.ImageFilter
		p     store.Paging
		want  []int64
		total int
	}{
		{name: "worst first", want: []int64{x.imgA, x.imgB, x.imgC}, total: 3},
		{name: "by repository", f: store.ImageFilter{Sort: store.ImageSortRepository}, want: []int64{x.imgC, x.imgA, x.imgB}, total: 3},
		{name: "recently scanned", f: store.ImageFilter{Sort: store.ImageSortScanned}, want: []int64{x.imgA, x.imgB, x.imgC}, total: 3},
		{name: "unhealthy", f: store.ImageFilter{Health: store.HealthUnhealthy}, want: []int64{x.imgA}, total: 1},
		{name: "healthy", f: store.ImageFilter{Health: store.HealthHealthy}, want: []int64{x.imgB}, total: 1},
		{name: "unscanned", f: store.ImageFilter{Health: store.HealthUnscanned}, want: []int64{x.imgC}, total: 1},
		{name: "repository name part", f: store.ImageFilter{Query: "WE"}, want: []int64{x.imgC}, total: 1},
		{name: "wildcards are literal", f: store.ImageFilter{Query: "a%"}, want: nil, total: 0},
		{name: "one registry", f: store.ImageFilter{RegistryID: x.local}, want: []int64{x.imgA, x.imgB}, total: 2},
		{name: "one repository", f: store.ImageFilter{RepositoryID: x.base}, want: []int64{x.imgB}, total: 1},
		{name: "second page", p: store.Paging{Page: 2, Size: 2}, want: []int64{x.imgC}, total: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, total, err := x.st.Images(context.Background(), tt.f, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, im := range list {
				got = append(got, im.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || total != tt.total {
				t.Errorf("images (-want +got):\n%s total %d, want %d", diff, total, tt.total)
			}
			var streamed []int64
			err = x.st.ForEachImage(context.Background(), tt.f, func(im store.ImageRow) error {
				streamed = append(streamed, im.ID)
				return nil
			})
			if err != nil || len(streamed) != tt.total {
				t.Errorf("ForEachImage gave %d rows (%v), want %d", len(streamed), err, tt.total)
			}
		})
	}
}

func TestImageRowFields(t *testing.T) {
	x := newConsoleFixture(t)
	list, _, err := x.st.Images(context.Background(), store.ImageFilter{}, store.Paging{})
	if err != nil {
		t.Fatal(err)
	}
	a, c := list[0], list[2]
	if a.RegistryName != "local" || a.Repository != "app" || !cmp.Equal(a.Tags, []string{"latest", "v1"}) ||
		a.Counts != (store.SeverityCounts{Critical: 1, High: 1, Unknown: 1}) || a.Healthy == nil || *a.Healthy {
		t.Errorf("image A = %+v", a)
	}
	// A tag pointing at the index names the platform image it led to.
	if !cmp.Equal(c.Tags, []string{"main"}) || c.Healthy != nil || c.ScannedAt != nil {
		t.Errorf("image C = %+v, want tag main, no health, not scanned", c)
	}
}

func TestImageByID(t *testing.T) {
	x := newConsoleFixture(t)
	d, err := x.st.ImageByID(context.Background(), x.imgA)
	if err != nil {
		t.Fatal(err)
	}
	if d.FeedVersion == nil || d.FeedVersion.Source != "snapshot:Go@2026-08-21" {
		t.Errorf("feed version = %+v", d.FeedVersion)
	}
	if !cmp.Equal(d.PackageTypes, []string{"deb", "go-stdlib", "python"}) {
		t.Errorf("package types = %v", d.PackageTypes)
	}
	if len(d.Layers) != 2 || !d.Layers[0].BaseLayer || d.Layers[1].BaseLayer || d.Layers[1].CreatedBy != "COPY app /app" {
		t.Errorf("layers = %+v", d.Layers)
	}
	if _, err := x.st.ImageByID(context.Background(), 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing image: %v, want ErrNotFound", err)
	}
}

func TestImageFindings(t *testing.T) {
	x := newConsoleFixture(t)
	tests := []struct {
		name  string
		f     store.FindingFilter
		p     store.Paging
		want  []int64
		total int
	}{
		{name: "open, worst first", want: []int64{x.f1, x.f2, x.f4}, total: 3},
		{name: "least severe first", f: store.FindingFilter{Desc: false, Sort: store.FindingSortSeverity}, want: []int64{x.f4, x.f2, x.f1}, total: 3},
		{name: "high", f: store.FindingFilter{Severity: "high"}, want: []int64{x.f2}, total: 1},
		{name: "unknown", f: store.FindingFilter{Severity: "unknown"}, want: []int64{x.f4}, total: 1},
		{name: "base layers", f: store.FindingFilter{Layer: store.LayerBase}, want: []int64{x.f1}, total: 1},
		{name: "application layers", f: store.FindingFilter{Layer: store.LayerApplication}, want: []int64{x.f2, x.f4}, total: 2},
		{name: "layer 1", f: store.FindingFilter{Layer: "1"}, want: []int64{x.f2, x.f4}, total: 2},
		{name: "layer not a number", f: store.FindingFilter{Layer: "x"}, want: nil, total: 0},
		{name: "python", f: store.FindingFilter{PackageType: "python"}, want: []int64{x.f2}, total: 1},
		{name: "no fix", f: store.FindingFilter{FixStatus: "no_fix"}, want: []int64{x.f4}, total: 1},
		{name: "resolved", f: store.FindingFilter{Status: store.FindingsResolved}, want: []int64{x.f3}, total: 1},
		{name: "all states", f: store.FindingFilter{Status: store.FindingsAll}, want: []int64{x.f1, x.f2, x.f3, x.f4}, total: 4},
		{name: "exempt only", f: store.FindingFilter{Exemptions: store.ExemptionsOnly}, want: []int64{x.f5}, total: 1},
		{name: "exempt included", f: store.FindingFilter{Exemptions: store.ExemptionsInclude}, want: []int64{x.f1, x.f2, x.f5, x.f4}, total: 4},
		// openssl (f1 critical before f5 low), stdlib, urllib3.
		{name: "by package", f: store.FindingFilter{Sort: store.FindingSortPackage, Exemptions: store.ExemptionsInclude}, want: []int64{x.f1, x.f5, x.f4, x.f2}, total: 4},
		{name: "by vulnerability", f: store.FindingFilter{Sort: store.FindingSortVulnerability}, want: []int64{x.f4, x.f2, x.f1}, total: 3},
		{name: "by vulnerability, descending", f: store.FindingFilter{Sort: store.FindingSortVulnerability, Desc: true}, want: []int64{x.f1, x.f2, x.f4}, total: 3},
		// 1.26.17 and 3.0.13 have a fix; the rest follow by package name.
		{name: "by fixed version", f: store.FindingFilter{Sort: store.FindingSortFixed, Exemptions: store.ExemptionsInclude}, want: []int64{x.f2, x.f1, x.f5, x.f4}, total: 4},
		{name: "second page", p: store.Paging{Page: 2, Size: 2}, want: []int64{x.f4}, total: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.ImageID = x.imgA
			if tt.f.Sort == "" {
				tt.f.Desc = true
			}
			list, total, err := x.st.ImageFindings(context.Background(), tt.f, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, f := range list {
				got = append(got, f.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || total != tt.total {
				t.Errorf("findings (-want +got):\n%s total %d, want %d", diff, total, tt.total)
			}
			var streamed []int64
			err = x.st.ForEachImageFinding(context.Background(), tt.f, func(f store.FindingRow) error {
				streamed = append(streamed, f.ID)
				return nil
			})
			if err != nil || len(streamed) != tt.total {
				t.Errorf("ForEachImageFinding gave %v (%v), want %d rows", streamed, err, tt.total)
			}
		})
	}
}

func TestImageFindingFields(t *testing.T) {
	x := newConsoleFixture(t)
	list, _, err := x.st.ImageFindings(context.Background(),
		store.FindingFilter{ImageID: x.imgA, Exemptions: store.ExemptionsInclude, Sort: store.FindingSortPackage}, store.Paging{})
	if err != nil {
		t.Fatal(err)
	}
	f1, f5, f4 := list[0], list[1], list[2]
	if f1.SeverityScore == nil || *f1.SeverityScore != 9.8 || !f1.BaseLayer || f1.Package.Name != "openssl" ||
		f1.FixedVersion != "3.0.13" || f1.Exemption != "" {
		t.Errorf("f1 = %+v", f1)
	}
	if f5.Exemption != "risk_accepted: "+x.exemptionJustifyText {
		t.Errorf("f5 exemption = %q", f5.Exemption)
	}
	if f4.SeverityScore != nil || f4.BaseLayer || f4.Package.Version != "1.19.8" {
		t.Errorf("f4 = %+v", f4)
	}
}

func TestVulnerabilityKeys(t *testing.T) {
	x := newConsoleFixture(t)
	tests := []struct {
		id   string
		want []string
	}{
		{id: "CVE-2023-29400", want: []string{"CVE-2023-29400"}},
		{id: "GO-2023-1753", want: []string{"CVE-2023-29400"}},
		{id: "GHSA-v845-jxx5-vc9f", want: []string{"CVE-2023-43804"}},
		{id: "CVE-2024-0001", want: []string{"CVE-2024-0001"}}, // in findings, no advisory stored
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, err := x.st.VulnerabilityKeys(context.Background(), tt.id)
			if err != nil || !cmp.Equal(got, tt.want) {
				t.Errorf("keys = %v (%v), want %v", got, err, tt.want)
			}
		})
	}
	if _, err := x.st.VulnerabilityKeys(context.Background(), "CVE-1999-0001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
}

func TestVulnerabilityAdvisoriesAndAffectedImages(t *testing.T) {
	x := newConsoleFixture(t)
	ctx := context.Background()
	advs, err := x.st.VulnerabilityAdvisories(ctx, []string{"CVE-2023-29400"})
	if err != nil {
		t.Fatal(err)
	}
	if len(advs) != 1 || advs[0].ID != "GO-2023-1753" ||
		!cmp.Equal(advs[0].References, []store.Reference{{Type: "FIX", URL: "https://go.dev/cl/491616"}}) {
		t.Errorf("advisories = %+v, want GO-2023-1753 with its one reference that has a URL", advs)
	}

	f := store.AffectedFilter{Keys: []string{"CVE-2023-29400"}}
	rows, total, images, err := x.st.AffectedImages(ctx, f, store.Paging{})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || images != 2 || len(rows) != 2 {
		t.Fatalf("affected = %d rows, total %d in %d images; want 2 in 2", len(rows), total, images)
	}
	a, b := rows[0], rows[1]
	if a.Image.ID != x.imgA || a.Package.Version != "1.19.8" || a.Image.Repository != "app" ||
		b.Image.ID != x.imgB || b.Package.Version != "1.20.3" || !cmp.Equal(b.Image.Tags, []string{"bookworm"}) {
		t.Errorf("affected rows = %+v / %+v", a, b)
	}
	var streamed int
	if err := x.st.ForEachAffectedImage(ctx, f, func(store.AffectedRow) error { streamed++; return nil }); err != nil || streamed != 2 {
		t.Errorf("ForEachAffectedImage = %d rows (%v), want 2", streamed, err)
	}

	exempt, total, _, err := x.st.AffectedImages(ctx, store.AffectedFilter{Keys: []string{"CVE-2024-0002"}}, store.Paging{})
	if err != nil || total != 0 || len(exempt) != 0 {
		t.Errorf("exempt CVE-2024-0002 listed by default: %d rows (%v)", total, err)
	}
}

func TestScans(t *testing.T) {
	x := newConsoleFixture(t)
	ctx := context.Background()
	tests := []struct {
		name string
		f    store.ScanFilter
		want []int64
	}{
		{name: "newest first", want: []int64{x.s4, x.s3, x.s2, x.s1}},
		{name: "active", f: store.ScanFilter{State: store.ScanActive}, want: []int64{x.s4, x.s3}},
		{name: "failed", f: store.ScanFilter{State: store.ScanFailed}, want: []int64{x.s2}},
		{name: "pushes", f: store.ScanFilter{Trigger: "push"}, want: []int64{x.s4, x.s1}},
		{name: "one registry", f: store.ScanFilter{RegistryID: x.corp}, want: []int64{x.s4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, total, err := x.st.Scans(ctx, tt.f, store.Paging{})
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, s := range list {
				got = append(got, s.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || total != len(tt.want) {
				t.Errorf("scans (-want +got):\n%s total %d", diff, total)
			}
		})
	}

	list, _, err := x.st.Scans(ctx, store.ScanFilter{}, store.Paging{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]store.ScanRow{}
	for _, s := range list {
		byID[s.ID] = s
	}
	if s1 := byID[x.s1]; s1.ImageID == nil || *s1.ImageID != x.imgA || s1.RegistryName != "local" {
		t.Errorf("scan 1 = %+v, want image A in local", s1)
	}
	if s4 := byID[x.s4]; s4.ImageID != nil || s4.RegistryName != "corp" {
		t.Errorf("scan 4 (digest not known yet) = %+v, want no image", s4)
	}

	act, err := x.st.ScanActivity(ctx)
	if err != nil || act.Queued != 1 || act.Running != 1 || act.LastFinishedAt == nil || !act.LastFinishedAt.Equal(x.s2Finish) {
		t.Errorf("activity = %+v (%v), want 1 queued, 1 running, last finished at %s", act, err, x.s2Finish)
	}
	latest, err := x.st.LatestImageScan(ctx, x.imgA)
	if err != nil || latest.ID != x.s3 {
		t.Errorf("latest scan of A = %d (%v), want the queued rescan %d", latest.ID, err, x.s3)
	}
	if _, err := x.st.LatestImageScan(ctx, x.imgC); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("latest scan of C: %v, want ErrNotFound (its scan has no digest yet)", err)
	}
}

func TestOverviewAndTrend(t *testing.T) {
	x := newConsoleFixture(t)
	ctx := context.Background()
	o, err := x.st.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Overview{
		Registries: 2,
		Open:       store.SeverityCounts{Critical: 1, High: 1, Medium: 1, Unknown: 2},
		Images:     3, Healthy: 1, Unhealthy: 1, Unscanned: 1,
		Recommendations: store.SeverityCounts{Critical: 1},
	}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("overview (-want +got):\n%s", diff)
	}

	x.exec(t, `INSERT INTO finding_counts_daily (day, critical, high, medium, low, unknown, images, unhealthy_images) VALUES
		((now() AT TIME ZONE 'UTC')::date - 2, 5, 0, 0, 0, 0, 1, 1),
		((now() AT TIME ZONE 'UTC')::date - 40, 7, 0, 0, 0, 0, 1, 1),
		((now() AT TIME ZONE 'UTC')::date, 99, 0, 0, 0, 0, 1, 1)`)
	points, err := x.st.FindingTrend(ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if len(points) != 2 || !points[0].Day.Equal(today.AddDate(0, 0, -2)) || points[0].Critical != 5 ||
		!points[1].Day.Equal(today) || points[1].SeverityCounts != want.Open || points[1].Images != 2 || points[1].Unhealthy != 1 {
		t.Errorf("trend = %+v, want the day before yesterday (5 critical) and today as now", points)
	}

	for range 2 { // the second write of a day replaces the first
		if err := x.st.RecordFindingCounts(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var critical, medium, unknown, days int
	err = x.pool.QueryRow(ctx, `SELECT critical, medium, unknown, (SELECT count(*) FROM finding_counts_daily)
		FROM finding_counts_daily WHERE day = (now() AT TIME ZONE 'UTC')::date`).Scan(&critical, &medium, &unknown, &days)
	if err != nil || critical != 1 || medium != 1 || unknown != 2 || days != 3 {
		t.Errorf("today's row = %d critical, %d medium, %d unknown, %d rows (%v); want 1, 1, 2 and 3 rows", critical, medium, unknown, days, err)
	}
}

func TestRegistrySummariesAndRepositories(t *testing.T) {
	x := newConsoleFixture(t)
	ctx := context.Background()
	regs, err := x.st.RegistrySummaries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(regs) != 2 || regs[0].Name != "corp" || regs[0].Repositories != 1 || regs[0].Images != 1 || regs[0].LastScanAt != nil ||
		regs[1].Name != "local" || regs[1].Repositories != 2 || regs[1].Images != 2 || regs[1].Unhealthy != 1 || regs[1].LastScanAt == nil {
		t.Errorf("registries = %+v", regs)
	}
	one, err := x.st.RegistrySummary(ctx, x.local)
	if err != nil || one.Images != 2 {
		t.Errorf("local = %+v (%v)", one, err)
	}
	if _, err := x.st.RegistrySummary(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing registry: %v, want ErrNotFound", err)
	}

	repos, total, err := x.st.Repositories(ctx, store.Paging{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range repos {
		got = append(got, r.RegistryName+"/"+r.Name)
	}
	if !cmp.Equal(got, []string{"corp/web", "local/app", "local/base"}) || total != 3 {
		t.Errorf("repositories = %v (total %d)", got, total)
	}
	if app := repos[1]; app.Images != 1 || app.Unhealthy != 1 || app.Tags != 3 || app.Counts.Critical != 1 {
		t.Errorf("local/app = %+v, want 1 image, unhealthy, 3 tags, 1 critical", app)
	}
}
