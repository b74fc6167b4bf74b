package hosts_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/hostbench"
	"github.com/palisadesec/palisade/internal/hosts"
	"github.com/palisadesec/palisade/internal/hostsnapshot"
	"github.com/palisadesec/palisade/internal/hosttest"
	"github.com/palisadesec/palisade/internal/recommend"
	"github.com/palisadesec/palisade/internal/store"
)

type env struct {
	pool *pgxpool.Pool
	st   *store.Store
	svc  *hosts.Service
}

func newEnv(t *testing.T) env {
	t.Helper()
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	return env{pool: pool, st: st, svc: hosts.New(st, nil)}
}

// enrol makes a token and enrols a host with it.
func (e env) enrol(t *testing.T, name string) (store.Host, string) {
	t.Helper()
	ctx := context.Background()
	tok, err := e.svc.CreateToken(ctx, 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	h, cred, err := e.svc.Enrol(ctx, tok.Secret, name)
	if err != nil {
		t.Fatalf("enrol %s: %v", name, err)
	}
	return h, cred
}

// faulty is the hand-made host of these tests: a well-configured
// container "calm" and the same with --privileged ("priv").
func faulty() *hostsnapshot.Snapshot {
	priv := hosttest.Container("priv")
	priv.HostConfig.Privileged = true
	return hosttest.Snapshot(hosttest.Container("calm"), priv)
}

// hostFailing are the host-level controls the faulty snapshot fails, by
// hand: /var/lib/docker shares / (1.1.1); no audit rules at all
// (1.1.3-1.1.18); no user namespaces, authorization plugin, remote
// logging, no-new-privileges default, live restore or userland-proxy
// setting, since there is no daemon.json and dockerd runs with defaults
// (2.9, 2.12-2.16); no DOCKER_CONTENT_TRUST (4.5).
var hostFailing = []string{
	"1.1.1", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.1.8", "1.1.9", "1.1.10", "1.1.11",
	"1.1.12", "1.1.13", "1.1.14", "1.1.15", "1.1.16", "1.1.17", "1.1.18",
	"2.9", "2.12", "2.13", "2.14", "2.15", "2.16", "4.5",
}

// privFailing: a privileged container runs unconfined by AppArmor (5.2,
// as the host uses AppArmor), holds every capability (5.4), is privileged
// (5.5) and has no seccomp filter (5.22). "calm" fails nothing.
var privFailing = []string{"5.2", "5.22", "5.4", "5.5"}

func failing(t *testing.T, st *store.Store, hostID int64) map[string][]string {
	t.Helper()
	rs, err := st.HostResults(context.Background(), hostID, store.HostResultFilter{Status: "fail"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rs {
		if r.Exempt {
			continue
		}
		key := r.ResourceKind
		if r.ResourceName != "" {
			key += " " + r.ResourceName
		}
		out[key] = append(out[key], r.ControlID)
	}
	for _, ids := range out {
		sort.Strings(ids)
	}
	return out
}

func sorted(ids []string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}

func TestEnrolSpendsTokenOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok, err := e.svc.CreateToken(ctx, 0, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Secret, "palisade_enrol_") || len(tok.Secret) != len("palisade_enrol_")+43 {
		t.Errorf("token %q: want palisade_enrol_ and 43 base64url characters", tok.Secret)
	}
	if d := time.Until(tok.ExpiresAt); d < 23*time.Hour || d > 24*time.Hour {
		t.Errorf("default token expires in %s, want 24h", d)
	}

	h, cred, err := e.svc.Enrol(ctx, tok.Secret, "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "web-1" || !strings.HasPrefix(cred, "palisade_agent_") {
		t.Errorf("enrolled %+v with credential %q", h, cred)
	}
	if _, _, err := e.svc.Enrol(ctx, tok.Secret, "web-2"); !errors.Is(err, hosts.ErrBadToken) {
		t.Errorf("second enrolment with the token = %v, want ErrBadToken", err)
	}
	if id, err := e.svc.Authenticate(ctx, cred); err != nil || id != h.ID {
		t.Errorf("Authenticate(credential) = %d, %v; want %d", id, err, h.ID)
	}
	for _, bad := range []string{"", tok.Secret, cred + "x"} {
		if _, err := e.svc.Authenticate(ctx, bad); !errors.Is(err, hosts.ErrBadCredential) {
			t.Errorf("Authenticate(%q) = %v, want ErrBadCredential", bad, err)
		}
	}

	var stored int
	err = e.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM host_enrolment_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8')))
		+ (SELECT count(*) FROM hosts WHERE credential_hash = sha256(convert_to($2, 'UTF8')))`,
		tok.Secret, cred).Scan(&stored)
	if err != nil || stored != 2 {
		t.Errorf("token and credential found by their SHA-256 %d times (%v), want 2", stored, err)
	}
}

func TestEnrolRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	expired, err := e.svc.CreateToken(ctx, time.Hour, "admin")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.pool.Exec(ctx, `UPDATE host_enrolment_tokens SET created_at = now() - interval '2 hours',
		expires_at = now() - interval '1 second' WHERE id = $1`, expired.ID)
	if err != nil {
		t.Fatal(err)
	}
	withdrawn, _ := e.svc.CreateToken(ctx, time.Hour, "admin")
	if err := e.svc.WithdrawToken(ctx, withdrawn.ID); err != nil {
		t.Fatal(err)
	}
	good, _ := e.svc.CreateToken(ctx, time.Hour, "admin")

	tests := []struct {
		name, token, hostname string
		want                  error
	}{
		{name: "expired", token: expired.Secret, hostname: "h", want: hosts.ErrBadToken},
		{name: "withdrawn", token: withdrawn.Secret, hostname: "h", want: hosts.ErrBadToken},
		{name: "unknown", token: "palisade_enrol_nope", hostname: "h", want: hosts.ErrBadToken},
		{name: "empty token", token: "", hostname: "h", want: hosts.ErrBadToken},
		{name: "empty hostname", token: good.Secret, hostname: "", want: hosts.ErrBadHostname},
		{name: "long hostname", token: good.Secret, hostname: strings.Repeat("a", 254), want: hosts.ErrBadHostname},
		{name: "control character", token: good.Secret, hostname: "a\nb", want: hosts.ErrBadHostname},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := e.svc.Enrol(ctx, tt.token, tt.hostname); !errors.Is(err, tt.want) {
				t.Errorf("Enrol = %v, want %v", err, tt.want)
			}
		})
	}
	// The refused hostnames did not spend the good token.
	if _, _, err := e.svc.Enrol(ctx, good.Secret, "ok"); err != nil {
		t.Errorf("enrol with the unspent token: %v", err)
	}
}

func TestTokenLifetimeBounds(t *testing.T) {
	e := newEnv(t)
	for _, ttl := range []time.Duration{30 * time.Second, 31 * 24 * time.Hour, -time.Hour} {
		if _, err := e.svc.CreateToken(context.Background(), ttl, "admin"); !errors.Is(err, hosts.ErrBadTTL) {
			t.Errorf("CreateToken(%s) = %v, want ErrBadTTL", ttl, err)
		}
	}
	if _, err := e.svc.CreateToken(context.Background(), 30*24*time.Hour, "admin"); err != nil {
		t.Errorf("CreateToken(720h): %v", err)
	}
}

func TestRacingEnrolmentsSpendTokenOnce(t *testing.T) {
	e := newEnv(t)
	tok, err := e.svc.CreateToken(context.Background(), 0, "admin")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, refusals := 0, 0
	for range 8 {
		wg.Go(func() {
			_, _, err := e.svc.Enrol(context.Background(), tok.Secret, "racer")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, hosts.ErrBadToken):
				refusals++
			default:
				t.Errorf("enrol: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || refusals != 7 {
		t.Errorf("%d enrolments succeeded and %d were refused, want 1 and 7", wins, refusals)
	}
}

func TestIngestStoresResultsSummaryAndAssessment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	h, _ := e.enrol(t, "enrolled-name")

	ev, err := e.svc.Ingest(ctx, h.ID, faulty())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"host": sorted(hostFailing), "container priv": privFailing}
	if diff := cmp.Diff(want, failing(t, e.st, h.ID)); diff != "" {
		t.Errorf("failing results (-want +got):\n%s", diff)
	}
	if ev.FailingControls != 28 || ev.FailingResults != 28 || ev.Healthy {
		t.Errorf("evaluation = %+v, want 28 failing controls in 28 results, unhealthy", ev)
	}

	got, err := e.st.HostByID(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The name stays the enrolled one, whatever the snapshot says.
	if got.Name != "enrolled-name" || got.DockerVersion != "27.5.1" || got.OS != "Debian GNU/Linux 12 (bookworm)" ||
		got.Kernel != "6.1.0-28-amd64" || *got.Images != 1 || *got.Containers != 2 ||
		got.FailingControls != 28 || got.FailingResults != 28 || got.AgentVersion != "test" ||
		!got.LastCollectedAt.Equal(hosttest.CollectedAt) || got.LastSnapshotAt == nil {
		t.Errorf("host summary = %+v", got)
	}

	status, details := assessmentOf(t, e, h.ID)
	if status != "unhealthy" || len(details.FailingControls) != 28 {
		t.Fatalf("assessment %s with %d failing controls, want unhealthy with 28", status, len(details.FailingControls))
	}
	var c55 recommend.FailingControl
	for _, fc := range details.FailingControls {
		if fc.ControlID == "5.5" {
			c55 = fc
		}
	}
	wantC55 := recommend.FailingControl{
		ControlID: "5.5", Title: c55.Title, Section: "5 Container runtime",
		Containers: []recommend.AffectedResource{{ID: hosttest.Container("priv").ID, Name: "priv"}},
	}
	if c55.Title == "" || !cmp.Equal(c55, wantC55) {
		t.Errorf("5.5 in the assessment = %+v, want it to name container priv only", c55)
	}
	if details.FailingControls[0].ControlID != "1.1.1" || !details.FailingControls[0].Host {
		t.Errorf("first failing control = %+v, want 1.1.1 for the host (benchmark order)", details.FailingControls[0])
	}
}

func assessmentOf(t *testing.T, e env, hostID int64) (string, recommend.HostDetails) {
	t.Helper()
	var status string
	var raw []byte
	err := e.pool.QueryRow(context.Background(), `SELECT status, details FROM assessments
		WHERE recommendation_id = $1 AND resource_kind = 'host' AND resource_id = $2`,
		recommend.HostConfiguration.ID, hostID).Scan(&status, &raw)
	if err != nil {
		t.Fatalf("read assessment: %v", err)
	}
	var d recommend.HostDetails
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return status, d
}

func TestExemptionsReevaluate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	h, _ := e.enrol(t, "h")
	if _, err := e.svc.Ingest(ctx, h.ID, faulty()); err != nil {
		t.Fatal(err)
	}
	by := hosts.Actor{Name: "olivia"}

	x55, err := e.svc.Exempt(ctx, h.ID, hostbench.Exemption{ControlID: "5.5", Resource: "priv", Justification: " runs the GPU driver "}, by)
	if err != nil {
		t.Fatal(err)
	}
	if x55.Justification != "runs the GPU driver" || x55.CreatedByName != "olivia" {
		t.Errorf("stored exemption %+v", x55)
	}
	_, err = e.svc.Exempt(ctx, h.ID, hostbench.Exemption{ControlID: "2.9", Justification: "rootless planned"}, by)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"host":           sorted(without(hostFailing, "2.9")),
		"container priv": []string{"5.2", "5.22", "5.4"},
	}
	if diff := cmp.Diff(want, failing(t, e.st, h.ID)); diff != "" {
		t.Errorf("failing results after exempting 5.5 for priv and 2.9 (-want +got):\n%s", diff)
	}
	got, _ := e.st.HostByID(ctx, h.ID)
	if got.FailingControls != 26 || got.ExemptResults != 2 {
		t.Errorf("summary: %d failing controls, %d exempt results; want 26 and 2", got.FailingControls, got.ExemptResults)
	}
	exempt, _ := e.st.HostResults(ctx, h.ID, store.HostResultFilter{ExemptOnly: true})
	if len(exempt) != 2 || exempt[0].ControlID != "2.9" || exempt[1].Justification != "runs the GPU driver" {
		t.Errorf("exempt results = %+v, want 2.9 and 5.5 for priv", exempt)
	}
	_, d := assessmentOf(t, e, h.ID)
	if len(d.FailingControls) != 26 || d.ExemptResults != 2 {
		t.Errorf("assessment: %d failing controls, %d exempt results; want 26 and 2", len(d.FailingControls), d.ExemptResults)
	}

	refused := []struct {
		name string
		x    hostbench.Exemption
		want error
	}{
		{name: "twice", x: hostbench.Exemption{ControlID: "5.5", Resource: "priv", Justification: "again"}, want: store.ErrConflict},
		{name: "twice, spelt /priv", x: hostbench.Exemption{ControlID: "5.5", Resource: "/priv", Justification: "again"}, want: store.ErrConflict},
		{name: "unknown control", x: hostbench.Exemption{ControlID: "9.9", Justification: "x"}, want: hosts.ErrBadExemption},
		{name: "no justification", x: hostbench.Exemption{ControlID: "5.4", Justification: "  "}, want: hosts.ErrBadExemption},
		{name: "long justification", x: hostbench.Exemption{ControlID: "5.4", Justification: strings.Repeat("j", 2001)}, want: hosts.ErrBadExemption},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.svc.Exempt(ctx, h.ID, tt.x, by); !errors.Is(err, tt.want) {
				t.Errorf("Exempt = %v, want %v", err, tt.want)
			}
		})
	}

	if _, err := e.svc.Unexempt(ctx, h.ID, x55.ID); err != nil {
		t.Fatal(err)
	}
	if got := failing(t, e.st, h.ID)["container priv"]; !cmp.Equal(got, privFailing) {
		t.Errorf("priv fails %v after the exemption went, want %v", got, privFailing)
	}
	other, _ := e.enrol(t, "other")
	if _, err := e.svc.Unexempt(ctx, other.ID, x55.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing an exemption through another host = %v, want ErrNotFound", err)
	}
}

func without(ids []string, drop string) []string {
	var out []string
	for _, id := range ids {
		if id != drop {
			out = append(out, id)
		}
	}
	return out
}

func TestExemptBeforeFirstSnapshot(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	h, _ := e.enrol(t, "h")
	_, err := e.svc.Exempt(ctx, h.ID, hostbench.Exemption{ControlID: "5.5", Justification: "lab host"}, hosts.Actor{Name: "a"})
	if err != nil {
		t.Fatalf("exempt before any snapshot: %v", err)
	}
	if _, err := e.svc.Ingest(ctx, h.ID, faulty()); err != nil {
		t.Fatal(err)
	}
	if got := failing(t, e.st, h.ID)["container priv"]; !cmp.Equal(got, []string{"5.2", "5.22", "5.4"}) {
		t.Errorf("priv fails %v, want 5.5 exempt from the first evaluation", got)
	}
}

func TestSnapshotHistoryIsBounded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	h, _ := e.enrol(t, "h")
	var last int64
	for range hosts.SnapshotHistory + 2 {
		ev, err := e.svc.Ingest(ctx, h.ID, faulty())
		if err != nil {
			t.Fatal(err)
		}
		last = ev.SnapshotID
	}
	ids, err := e.st.HostSnapshotIDs(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != hosts.SnapshotHistory || ids[0] != last {
		t.Errorf("kept snapshots %v, want the %d newest ending with %d", ids, hosts.SnapshotHistory, last)
	}
	var results int
	if err := e.pool.QueryRow(ctx, `SELECT count(DISTINCT snapshot_id) FROM host_results WHERE host_id = $1`, h.ID).Scan(&results); err != nil || results != 1 {
		t.Errorf("results come from %d snapshots (%v), want only the latest", results, err)
	}
}

func TestRevokedHostIsRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	h, cred := e.enrol(t, "h")
	if err := e.svc.RevokeCredential(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(ctx, cred); !errors.Is(err, hosts.ErrBadCredential) {
		t.Errorf("Authenticate after revocation = %v, want ErrBadCredential", err)
	}
	if _, err := e.svc.Ingest(ctx, h.ID, faulty()); !errors.Is(err, hosts.ErrBadCredential) {
		t.Errorf("Ingest for a revoked host = %v, want ErrBadCredential", err)
	}
	if err := e.svc.RevokeCredential(ctx, h.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking twice = %v, want ErrNotFound", err)
	}
}

func TestSnapshotWithNULIsRefusedAndNothingStored(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	h, _ := e.enrol(t, "h")
	snap := faulty()
	snap.Engine.Containers.Value[0].Name = "/odd\x00name"
	if _, err := e.svc.Ingest(ctx, h.ID, snap); !errors.Is(err, hostsnapshot.ErrInvalid) {
		t.Fatalf("Ingest = %v, want ErrInvalid", err)
	}
	ids, _ := e.st.HostSnapshotIDs(ctx, h.ID)
	if len(ids) != 0 {
		t.Errorf("%d snapshots stored, want none", len(ids))
	}
}

func TestDeleteHostRemovesAssessment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	h, cred := e.enrol(t, "h")
	if _, err := e.svc.Ingest(ctx, h.ID, faulty()); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteHost(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM assessments WHERE resource_kind = 'host')
		+ (SELECT count(*) FROM host_snapshots) + (SELECT count(*) FROM host_results)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows left after deleting the host (%v)", n, err)
	}
	if _, err := e.svc.Authenticate(ctx, cred); !errors.Is(err, hosts.ErrBadCredential) {
		t.Errorf("credential of a deleted host = %v, want ErrBadCredential", err)
	}
}
