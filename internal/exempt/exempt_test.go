package exempt_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/exempt"
	"github.com/palisadesec/palisade/internal/recommend"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/store"
)

// levels are the default unhealthy severities.
var levels = []string{"critical", "high", "unknown"}

type fixture struct {
	pool *pgxpool.Pool
	st   *store.Store
	svc  *exempt.Service
	reg  int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	reg, err := st.CreateRegistry(context.Background(), store.Registry{
		Name: "local", URL: "http://127.0.0.1:5000", AuthKind: "none",
		WebhookToken: "token", WebhookSecret: []byte("sealed"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{pool: pool, st: st, svc: exempt.NewService(st, levels, slog.New(slog.DiscardHandler)), reg: reg.ID}
}

func score(v float64) *float64 { return &v }

// seedImage stores an image as a scan would, with the Debian test image's
// findings worked out by hand (scan_test in e2e): urllib3 1.26.12 has
// CVE-2023-43804 (high, 8.1) and CVE-2023-45803 (medium, 4.2), the Go
// 1.19.8 toolchain CVE-2023-29400 (no severity in the Go database:
// unknown). Counts: high 1, medium 1, unknown 1; unhealthy.
func (f *fixture) seedImage(t *testing.T, repo, digest string) int64 {
	t.Helper()
	ctx := context.Background()
	res := &store.ScanResult{
		Image:  store.ImageRecord{Digest: digest, Platform: "linux/amd64"},
		Layers: []store.LayerRecord{{Index: 0, Digest: "sha256:l0", DiffID: "sha256:d0"}},
		Packages: []store.PackageRecord{
			{Type: "python", Ecosystem: "PyPI", Name: "urllib3", Version: "1.26.12"},
			{Type: "go-stdlib", Ecosystem: "Go", Name: "stdlib", Version: "1.19.8", Paths: []string{"/usr/bin/containerd"}},
		},
		Findings: []store.FindingRecord{
			{PackageIndex: 0, VulnID: "CVE-2023-43804", AdvisoryIDs: []string{"PYSEC-2023-192"}, SeverityLevel: "high",
				SeverityScore: score(8.1), SeveritySource: "cvss_v3", FixedVersion: "1.26.17", FixStatus: "fixed"},
			{PackageIndex: 0, VulnID: "CVE-2023-45803", AdvisoryIDs: []string{"PYSEC-2023-212"}, SeverityLevel: "medium",
				SeverityScore: score(4.2), SeveritySource: "cvss_v3", FixedVersion: "1.26.18", FixStatus: "fixed"},
			{PackageIndex: 1, VulnID: "CVE-2023-29400", AdvisoryIDs: []string{"GO-2023-1753"}, SeverityLevel: "unknown",
				SeveritySource: "unknown", FixedVersion: "1.19.9", FixStatus: "fixed"},
		},
	}
	var id int64
	err := f.st.InTx(ctx, func(tx pgx.Tx) error {
		repoID, err := f.st.UpsertRepositoryTx(ctx, tx, f.reg, repo)
		if err != nil {
			return err
		}
		res.Image.RepositoryID = repoID
		if id, err = f.st.SaveScanResultTx(ctx, tx, res); err != nil {
			return err
		}
		sum, err := f.st.RefreshImageSummaryTx(ctx, tx, id, levels)
		if err != nil {
			return err
		}
		return f.st.UpsertAssessmentTx(ctx, tx, scan.ImageAssessment(id, sum, res))
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// state is what an image's row and assessment say.
type state struct {
	Critical, High, Medium, Low, Unknown int
	Healthy                              bool
	Assessment, Severity                 string
	DetailsHigh                          int
}

func (f *fixture) state(t *testing.T, imageID int64) state {
	t.Helper()
	var s state
	err := f.pool.QueryRow(context.Background(), `
		SELECT i.critical_count, i.high_count, i.medium_count, i.low_count, i.unknown_count, i.healthy,
			a.status, a.severity, (a.details->>'high')::int
		FROM images i JOIN assessments a ON a.resource_kind = 'image' AND a.resource_id = i.id
		WHERE i.id = $1`, imageID).Scan(&s.Critical, &s.High, &s.Medium, &s.Low, &s.Unknown, &s.Healthy,
		&s.Assessment, &s.Severity, &s.DetailsHigh)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) findingID(t *testing.T, imageID int64, vuln string) int64 {
	t.Helper()
	var id int64
	err := f.pool.QueryRow(context.Background(), `SELECT id FROM findings WHERE image_id = $1 AND vuln_id = $2`,
		imageID, vuln).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var olga = exempt.Actor{Name: "Olga Operator"}

func accept(scope string) exempt.Input {
	return exempt.Input{Scope: scope, Category: store.CategoryRiskAccepted,
		Justification: "Only reachable from the internal network; upgrade planned with the next base image."}
}

var (
	seeded = state{High: 1, Medium: 1, Unknown: 1, Healthy: false, Assessment: "unhealthy", Severity: "high", DetailsHigh: 1}
	// Without CVE-2023-43804: medium 1, unknown 1, still unhealthy (unknown).
	withoutHigh = state{High: 0, Medium: 1, Unknown: 1, Healthy: false, Assessment: "unhealthy", Severity: "medium", DetailsHigh: 0}
	// Without CVE-2023-43804 and CVE-2023-29400: medium 1 only, healthy.
	onlyMedium = state{High: 0, Medium: 1, Unknown: 0, Healthy: true, Assessment: "healthy", Severity: "medium", DetailsHigh: 0}
)

func TestExemptFindingDropsItFromCountsAndFlipsHealth(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	img := f.seedImage(t, "app", "sha256:aaa")
	if got := f.state(t, img); got != seeded {
		t.Fatalf("seeded image = %+v, want %+v", got, seeded)
	}

	high, err := f.svc.ExemptFinding(ctx, f.findingID(t, img, "CVE-2023-43804"), accept(store.ExemptFinding), olga)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(withoutHigh, f.state(t, img)); diff != "" {
		t.Errorf("after exempting the high finding (-want +got):\n%s", diff)
	}
	if high.Repository != "local/app" || high.ImageDigest != "sha256:aaa" || high.PackageName != "urllib3" || high.CreatedByName != "Olga Operator" {
		t.Errorf("exemption = %+v, want urllib3 in local/app@sha256:aaa by Olga", high)
	}

	unknown, err := f.svc.ExemptFinding(ctx, f.findingID(t, img, "CVE-2023-29400"), accept(store.ExemptImage), olga)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(onlyMedium, f.state(t, img)); diff != "" {
		t.Errorf("after exempting the unknown one too (-want +got):\n%s", diff)
	}

	// The findings stay listed under "show exempt", with their exemption.
	open, err := f.st.RemediationFindings(ctx, store.RemediationFindingFilter{ImageID: img})
	if err != nil || len(open) != 1 || open[0].VulnID != "CVE-2023-45803" {
		t.Errorf("findings without exempt = %+v (%v), want CVE-2023-45803 only", open, err)
	}
	all, err := f.st.RemediationFindings(ctx, store.RemediationFindingFilter{ImageID: img, WithExempt: true})
	if err != nil || len(all) != 3 || all[0].Exemption == nil || all[0].Exemption.ID != high.ID || all[0].Exemption.Category != store.CategoryRiskAccepted {
		t.Errorf("findings with exempt = %+v (%v), want 3, the high one first with its exemption", all, err)
	}

	if _, err := f.svc.Revoke(ctx, unknown.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(withoutHigh, f.state(t, img)); diff != "" {
		t.Errorf("after revoking the image-wide exemption (-want +got):\n%s", diff)
	}
	if _, err := f.svc.Revoke(ctx, high.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(seeded, f.state(t, img)); diff != "" {
		t.Errorf("after revoking both (-want +got):\n%s", diff)
	}
	if _, err := f.svc.Revoke(ctx, high.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking twice = %v, want ErrNotFound", err)
	}
}

func TestExpiredExemptionLapses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	img := f.seedImage(t, "app", "sha256:aaa")
	in := accept(store.ExemptFinding)
	in.Expires = time.Now().AddDate(0, 0, 7).Format(exempt.DateLayout)
	e, err := f.svc.ExemptFinding(ctx, f.findingID(t, img, "CVE-2023-43804"), in, olga)
	if err != nil {
		t.Fatal(err)
	}
	if e.ExpiresAt == nil || e.ExpiresAt.Format(exempt.DateLayout) != in.Expires {
		t.Fatalf("expiry = %v, want %s", e.ExpiresAt, in.Expires)
	}
	if f.state(t, img).High != 0 {
		t.Fatal("the exemption did not apply before it expired")
	}

	// Expire it in the database, as time would.
	if _, err := f.pool.Exec(ctx, `UPDATE exemptions SET expires_at = now() - interval '1 minute' WHERE id = $1`, e.ID); err != nil {
		t.Fatal(err)
	}
	// Queries ignore it at once, before the job recounts anything.
	open, err := f.st.RemediationFindings(ctx, store.RemediationFindingFilter{ImageID: img})
	if err != nil || len(open) != 3 {
		t.Errorf("findings right after expiry = %d (%v), want all 3 listed as not exempt", len(open), err)
	}
	active, err := f.st.Exemptions(ctx, store.ExemptionFilter{Status: "active"})
	if err != nil || len(active) != 0 {
		t.Errorf("active exemptions = %d (%v), want 0", len(active), err)
	}

	n, err := f.svc.LapseExpired(ctx)
	if err != nil || n != 1 {
		t.Fatalf("LapseExpired = %d, %v; want 1", n, err)
	}
	if diff := cmp.Diff(seeded, f.state(t, img)); diff != "" {
		t.Errorf("after the job (-want +got):\n%s", diff)
	}
	if n, err := f.svc.LapseExpired(ctx); err != nil || n != 0 {
		t.Errorf("second run = %d, %v; want nothing left", n, err)
	}
	entries, err := f.st.AuditEntries(ctx, store.AuditFilter{Action: "exemption.lapse"})
	if err != nil || len(entries) != 1 || entries[0].ActorKind != store.ActorSystem || entries[0].ResourceID != strconv.FormatInt(e.ID, 10) ||
		entries[0].Details["vuln_id"] != "CVE-2023-43804" {
		t.Errorf("audit = %+v (%v), want one system entry for exemption %d", entries, err, e.ID)
	}
	expired, err := f.st.Exemptions(ctx, store.ExemptionFilter{Status: "expired"})
	if err != nil || len(expired) != 1 || expired[0].LapsedAt == nil {
		t.Errorf("expired exemptions = %+v (%v), want the one, marked lapsed", expired, err)
	}
	// Once expired, the same finding can be exempted again.
	if _, err := f.svc.ExemptFinding(ctx, f.findingID(t, img, "CVE-2023-43804"), accept(store.ExemptFinding), olga); err != nil {
		t.Errorf("exempting again after expiry: %v", err)
	}
}

func TestRepositoryScopeCoversEveryImageOfTheRepository(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := f.seedImage(t, "app", "sha256:aaa")
	second := f.seedImage(t, "app", "sha256:bbb")
	other := f.seedImage(t, "other", "sha256:ccc")

	e, err := f.svc.ExemptFinding(ctx, f.findingID(t, first, "CVE-2023-43804"), accept(store.ExemptRepository), olga)
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range []int64{first, second} {
		if diff := cmp.Diff(withoutHigh, f.state(t, img)); diff != "" {
			t.Errorf("image %d of the repository (-want +got):\n%s", img, diff)
		}
	}
	if diff := cmp.Diff(seeded, f.state(t, other)); diff != "" {
		t.Errorf("image of another repository (-want +got):\n%s", diff)
	}

	// An image pushed to the repository later is covered from its first scan.
	third := f.seedImage(t, "app", "sha256:ddd")
	if diff := cmp.Diff(withoutHigh, f.state(t, third)); diff != "" {
		t.Errorf("image scanned after the exemption (-want +got):\n%s", diff)
	}

	if _, err := f.svc.Revoke(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	for _, img := range []int64{first, second, third} {
		if diff := cmp.Diff(seeded, f.state(t, img)); diff != "" {
			t.Errorf("image %d after revoking (-want +got):\n%s", img, diff)
		}
	}
}

func TestExemptResourceFromRecommendation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	img := f.seedImage(t, "app", "sha256:aaa")
	f.seedImage(t, "app", "sha256:bbb")
	rec := recommend.ImageVulnerabilities.ID

	e, err := f.svc.ExemptResource(ctx, rec, img, exempt.Input{Category: store.CategoryMitigated,
		Justification: "Runs without network access."}, olga)
	if err != nil {
		t.Fatal(err)
	}
	if e.Scope != store.ExemptRecommendation || e.ImageID == nil || *e.ImageID != img {
		t.Errorf("exemption = %+v, want the recommendation for image %d", e, img)
	}
	counts, err := f.st.RecommendationCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := store.RecommendationCounts{Unhealthy: 1, Exempt: 1, UnhealthyBySeverity: map[string]int{"high": 1}}
	if diff := cmp.Diff(want, counts[rec]); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	// Findings are untouched: the image keeps its counts.
	if diff := cmp.Diff(seeded, f.state(t, img)); diff != "" {
		t.Errorf("image (-want +got):\n%s", diff)
	}
	exemptRows, err := f.st.RecommendationResources(ctx, store.ResourceFilter{RecommendationID: rec, Show: store.ShowExempt})
	if err != nil || len(exemptRows) != 1 || exemptRows[0].ResourceID != img || !exemptRows[0].Exempt {
		t.Errorf("exempt resources = %+v (%v), want image %d", exemptRows, err, img)
	}
	unhealthy, err := f.st.RecommendationResources(ctx, store.ResourceFilter{RecommendationID: rec})
	if err != nil || len(unhealthy) != 1 || unhealthy[0].ResourceID == img || unhealthy[0].Repository != "local/app" {
		t.Errorf("unhealthy resources = %+v (%v), want the other image only", unhealthy, err)
	}
	if _, err := f.svc.ExemptResource(ctx, rec, 999999, accept(""), olga); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("exempting an unassessed resource = %v, want ErrNotFound", err)
	}
}

func TestInvalidExemptionsAreRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	img := f.seedImage(t, "app", "sha256:aaa")
	finding := f.findingID(t, img, "CVE-2023-43804")
	tests := []struct {
		name  string
		in    exempt.Input
		field string
	}{
		{name: "no justification", in: exempt.Input{Scope: "finding", Category: "mitigated", Justification: "  \n "}, field: "justification"},
		{name: "justification too long", in: exempt.Input{Scope: "finding", Category: "mitigated", Justification: strings.Repeat("é", exempt.MaxJustification+1)}, field: "justification"},
		{name: "unknown category", in: exempt.Input{Scope: "finding", Category: "wontfix", Justification: "x"}, field: "category"},
		{name: "unknown scope", in: exempt.Input{Scope: "everything", Category: "mitigated", Justification: "x"}, field: "scope"},
		{name: "past expiry", in: exempt.Input{Scope: "finding", Category: "mitigated", Justification: "x", Expires: "2020-01-01"}, field: "expires"},
		{name: "bad date", in: exempt.Input{Scope: "finding", Category: "mitigated", Justification: "x", Expires: "next week"}, field: "expires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.ExemptFinding(ctx, finding, tt.in, olga)
			var bad exempt.Invalid
			if !errors.As(err, &bad) || bad[tt.field] == "" {
				t.Errorf("error = %v, want a message for %s", err, tt.field)
			}
		})
	}
	long := accept(store.ExemptFinding)
	long.Justification = strings.Repeat("é", exempt.MaxJustification)
	if _, err := f.svc.ExemptFinding(ctx, finding, long, olga); err != nil {
		t.Errorf("justification of exactly %d characters: %v", exempt.MaxJustification, err)
	}
	_, err := f.svc.ExemptFinding(ctx, finding, accept(store.ExemptFinding), olga)
	var bad exempt.Invalid
	if !errors.As(err, &bad) || !strings.Contains(bad[""], "already exempt") {
		t.Errorf("exempting twice = %v, want already exempt", err)
	}
	if n := len(mustExemptions(t, f.st)); n != 1 {
		t.Errorf("%d exemptions stored, want 1", n)
	}
}

func mustExemptions(t *testing.T, st *store.Store) []store.Exemption {
	t.Helper()
	list, err := st.Exemptions(context.Background(), store.ExemptionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return list
}
