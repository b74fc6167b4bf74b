package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/hosts"
	"github.com/palisadesec/palisade/internal/hostsnapshot"
	"github.com/palisadesec/palisade/internal/hosttest"
	"github.com/palisadesec/palisade/internal/store"
)

// hostServer is the web layer in OIDC mode with a real database and the
// hosts service, as `palisade serve` wires it.
type hostServer struct {
	routeServer
	pool  *pgxpool.Pool
	hosts *hosts.Service
}

func newHostServer(t *testing.T) hostServer {
	t.Helper()
	env := newOIDCTestEnv(t)
	hs := hosts.New(env.st, env.log)
	d := env.deps()
	d.Store, d.Hosts = env.st, hs
	return hostServer{routeServer: env.server(d), pool: env.pool, hosts: hs}
}

// agentCall is one request as palisade-agent makes it.
type agentCall struct {
	path       string
	credential string
	body       []byte
	// chunked sends the body without a Content-Length.
	chunked bool
}

func (s hostServer) agent(t *testing.T, c agentCall) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, c.path, bytes.NewReader(c.body))
	req.Header.Set("Content-Type", "application/json")
	if c.credential != "" {
		req.Header.Set("Authorization", "Bearer "+c.credential)
	}
	if c.chunked {
		req.ContentLength = -1
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

// enrolOverHTTP makes a token and enrols a host through the endpoint.
func (s hostServer) enrolOverHTTP(t *testing.T, hostname string) (int64, string) {
	t.Helper()
	tok, err := s.hosts.CreateToken(context.Background(), 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"token": tok.Secret, "hostname": hostname})
	rec := s.agent(t, agentCall{path: "/api/agent/v1/enroll", body: body})
	if rec.Code != http.StatusCreated {
		t.Fatalf("enrol = %d %s, want 201", rec.Code, rec.Body.String())
	}
	var resp agentEnrolResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	id, err := strconv.ParseInt(resp.HostID, 10, 64)
	if err != nil || resp.Credential == "" {
		t.Fatalf("enrol answered %s", rec.Body.String())
	}
	return id, resp.Credential
}

func snapshotJSON(t *testing.T, s *hostsnapshot.Snapshot) []byte {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipBody(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// stored counts what the database holds about a host's snapshots.
func (s hostServer) stored(t *testing.T, hostID int64) (snapshots, results int, summarised bool) {
	t.Helper()
	err := s.pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM host_snapshots WHERE host_id = $1),
		(SELECT count(*) FROM host_results WHERE host_id = $1),
		(SELECT last_snapshot_at IS NOT NULL FROM hosts WHERE id = $1)`, hostID).Scan(&snapshots, &results, &summarised)
	if err != nil {
		t.Fatal(err)
	}
	return snapshots, results, summarised
}

func TestAgentEnrolsAndSendsSnapshot(t *testing.T) {
	s := newHostServer(t)
	id, cred := s.enrolOverHTTP(t, "web-1")

	priv := hosttest.Container("priv")
	priv.HostConfig.Privileged = true
	rec := s.agent(t, agentCall{path: agentSnapshotsPath, credential: cred,
		body: gzipBody(t, snapshotJSON(t, hosttest.Snapshot(hosttest.Container("calm"), priv)))})
	if rec.Code != http.StatusAccepted {
		t.Fatalf("snapshot = %d %s, want 202", rec.Code, rec.Body.String())
	}
	var got agentSnapshotAccepted
	json.Unmarshal(rec.Body.Bytes(), &got)
	// 24 host-level controls fail on the hand-made host and 4 more for
	// the privileged container (worked out in internal/hosts' tests).
	if got.HostID != strconv.FormatInt(id, 10) || got.FailingControls != 28 || got.SnapshotID == 0 {
		t.Errorf("answer = %+v, want host %d with 28 failing controls", got, id)
	}
	if n, r, ok := s.stored(t, id); n != 1 || r == 0 || !ok {
		t.Errorf("stored %d snapshots and %d results (summary %v), want 1 with results", n, r, ok)
	}
	entries, err := s.store.AuditEntries(context.Background(), store.AuditFilter{Action: "host.enrolled"})
	if err != nil || len(entries) != 1 || entries[0].ActorKind != store.ActorAgent || entries[0].ActorName != "web-1" {
		t.Errorf("audit = %+v, %v; want one enrolment by agent web-1", entries, err)
	}
}

func TestSnapshotRefusalsStoreNothing(t *testing.T) {
	s := newHostServer(t)
	id, cred := s.enrolOverHTTP(t, "h")
	good := snapshotJSON(t, hosttest.Snapshot(hosttest.Container("calm")))

	future := hosttest.Snapshot()
	future.SchemaVersion = 2
	withEnv := hosttest.Snapshot(hosttest.Container("calm"))
	withEnv.Engine.Containers.Value[0].Config.Env = []string{"DB_PASSWORD=hunter2"}
	noState := strings.Replace(string(good), `"docker_group":{"read":{"state":"ok"}`, `"docker_group":{"read":{"state":"maybe"}`, 1)
	if noState == string(good) {
		t.Fatal("fixture: docker_group read state not found in the encoded snapshot")
	}
	// Valid JSON whose padding takes it past the limit once gunzipped:
	// 32 KiB on the wire.
	bomb := append([]byte(`{"schema_version":1,"hostname":"h"`), bytes.Repeat([]byte(" "), hostsnapshot.MaxBytes)...)
	bomb = gzipBody(t, append(bomb, '}'))
	huge := bytes.Repeat([]byte(" "), hostsnapshot.MaxBytes+1)

	tests := []struct {
		name   string
		call   agentCall
		status int
		detail string
	}{
		{name: "no credential", call: agentCall{body: good}, status: 401, detail: "unknown or revoked"},
		{name: "wrong credential", call: agentCall{credential: cred + "x", body: good}, status: 401, detail: "unknown or revoked"},
		{name: "enrolment token as credential", call: agentCall{credential: "palisade_enrol_x", body: good}, status: 401},
		{name: "malformed JSON", call: agentCall{credential: cred, body: []byte(`{"schema_version":1,`)}, status: 400, detail: "json"},
		{name: "not JSON", call: agentCall{credential: cred, body: []byte("hello")}, status: 400},
		{name: "empty body", call: agentCall{credential: cred}, status: 400, detail: "empty body"},
		{name: "bad gzip", call: agentCall{credential: cred, body: []byte{0x1f, 0x8b, 0, 1, 2}}, status: 400},
		{name: "truncated gzip", call: agentCall{credential: cred, body: gzipBody(t, good)[:200]}, status: 400},
		{name: "trailing data", call: agentCall{credential: cred, body: append(append([]byte{}, good...), `{}`...)}, status: 400, detail: "data after"},
		{name: "unknown schema version", call: agentCall{credential: cred, body: snapshotJSON(t, future)}, status: 400, detail: "schema_version is 2"},
		{name: "environment value", call: agentCall{credential: cred, body: snapshotJSON(t, withEnv)}, status: 400, detail: `value for "DB_PASSWORD"`},
		{name: "unknown read state", call: agentCall{credential: cred, body: []byte(noState)}, status: 400, detail: "host.docker_group.read.state"},
		{name: "oversize after gunzip", call: agentCall{credential: cred, body: bomb}, status: 413, detail: "at most 33554432 bytes"},
		{name: "oversize on the wire", call: agentCall{credential: cred, body: huge}, status: 413},
		{name: "oversize on the wire, chunked", call: agentCall{credential: cred, body: huge, chunked: true}, status: 413, detail: "at most 33554432 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.call.path = agentSnapshotsPath
			rec := s.agent(t, tt.call)
			var p agentProblem
			err := json.Unmarshal(rec.Body.Bytes(), &p)
			if rec.Code != tt.status || err != nil || p.Status != tt.status || !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("= %d %s, want %d with a problem mentioning %q", rec.Code, rec.Body.String(), tt.status, tt.detail)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", ct)
			}
			if tt.status == 401 && rec.Header().Get("WWW-Authenticate") != `Bearer realm="palisade-agent"` {
				t.Errorf("401 without a Bearer challenge")
			}
		})
	}
	if n, r, ok := s.stored(t, id); n != 0 || r != 0 || ok {
		t.Errorf("after refusals: %d snapshots, %d results, summary %v; want nothing stored", n, r, ok)
	}
	var assessed int
	s.pool.QueryRow(context.Background(), `SELECT count(*) FROM assessments WHERE resource_kind = 'host'`).Scan(&assessed)
	if assessed != 0 {
		t.Errorf("%d host assessments stored, want none", assessed)
	}
}

// TestCredentialPostsOnlyForItsOwnHost sends host A's credential with a
// body that names host B every way it could: the snapshot lands on A.
func TestCredentialPostsOnlyForItsOwnHost(t *testing.T) {
	s := newHostServer(t)
	a, credA := s.enrolOverHTTP(t, "host-a")
	b, _ := s.enrolOverHTTP(t, "host-b")

	snap := hosttest.Snapshot(hosttest.Container("calm"))
	snap.Hostname = "host-b"
	var doc map[string]any
	json.Unmarshal(snapshotJSON(t, snap), &doc)
	doc["host_id"] = strconv.FormatInt(b, 10)
	doc["host"].(map[string]any)["id"] = b
	body, _ := json.Marshal(doc)

	rec := s.agent(t, agentCall{path: agentSnapshotsPath, credential: credA, body: body})
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"host_id":"`+strconv.FormatInt(a, 10)+`"`) {
		t.Fatalf("A's snapshot = %d %s, want 202 for host %d", rec.Code, rec.Body.String(), a)
	}
	if n, _, _ := s.stored(t, a); n != 1 {
		t.Errorf("host A has %d snapshots, want 1", n)
	}
	if n, r, ok := s.stored(t, b); n != 0 || r != 0 || ok {
		t.Errorf("host B has %d snapshots and %d results (summary %v), want nothing", n, r, ok)
	}
	hb, _ := s.store.HostByID(context.Background(), b)
	if hb.Name != "host-b" || hb.LastSnapshotAt != nil {
		t.Errorf("host B = %+v, want it untouched", hb)
	}
	ha, _ := s.store.HostByID(context.Background(), a)
	if ha.Name != "host-a" {
		t.Errorf("host A is called %q after its snapshot named host-b, want host-a still", ha.Name)
	}
}

// TestUnreadableDataIsInfoNeverPass sends a hand-made snapshot in which
// the agent could not read the audit rules (permission denied), the
// docker.service unit (permission denied), /etc/docker (I/O error) or the
// container list (engine error). Every control that needs them reports
// info, "not readable", and none passes.
func TestUnreadableDataIsInfoNeverPass(t *testing.T) {
	s := newHostServer(t)
	id, cred := s.enrolOverHTTP(t, "h")
	snap := hosttest.Snapshot(hosttest.Container("calm"))
	snap.Host.Audit = hostsnapshot.Failed[*hostsnapshot.AuditRules](hostsnapshot.Read{State: hostsnapshot.ReadDenied})
	snap.Host.Files = []hostsnapshot.File{
		{Path: "/lib/systemd/system/docker.service", Role: "docker.service", Read: hostsnapshot.Read{State: hostsnapshot.ReadDenied}},
		{Path: "/etc/docker", Role: "etc-docker", Read: hostsnapshot.Read{State: hostsnapshot.ReadFailed, Detail: "input/output error"}},
	}
	snap.Engine.Containers = hostsnapshot.Failed[[]hostsnapshot.Container](hostsnapshot.Read{State: hostsnapshot.ReadFailed, Detail: "engine answered 500"})
	rec := s.agent(t, agentCall{path: agentSnapshotsPath, credential: cred, body: snapshotJSON(t, snap)})
	if rec.Code != http.StatusAccepted {
		t.Fatalf("snapshot = %d %s", rec.Code, rec.Body.String())
	}

	results, err := s.store.HostResults(context.Background(), id, store.HostResultFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byControl := map[string][]store.HostResult{}
	for _, r := range results {
		byControl[r.ControlID] = append(byControl[r.ControlID], r)
		if r.Status == "pass" && strings.Contains(r.Evidence, "not readable") {
			t.Errorf("%s passes on unreadable data: %s", r.ControlID, r.Evidence)
		}
	}
	// Audit watches (1.1.3-1.1.18), the docker.service unit's owner and
	// mode (3.1, 3.2), /etc/docker's (3.5, 3.6), and per-container
	// controls, reported once for the host.
	want := map[string]string{
		"3.1": "not readable: /lib/systemd/system/docker.service: not readable: permission denied",
		"3.2": "not readable: /lib/systemd/system/docker.service: not readable: permission denied",
		"3.5": "not readable: /etc/docker: not readable (input/output error)",
		"3.6": "not readable: /etc/docker: not readable (input/output error)",
	}
	for i := 3; i <= 18; i++ {
		want["1.1."+strconv.Itoa(i)] = "not readable: audit rules: not readable: permission denied"
	}
	for _, c := range []string{"4.1", "5.4", "5.5", "5.10", "5.11", "5.13", "5.31", "5.32"} {
		want[c] = "not readable: containers: not readable (engine answered 500)"
	}
	for control, evidence := range want {
		rs := byControl[control]
		if len(rs) != 1 || rs[0].Status != "info" || rs[0].Evidence != evidence || rs[0].ResourceKind != "host" {
			t.Errorf("%s = %+v, want one host result: info, %q", control, rs, evidence)
		}
	}
	h, _ := s.store.HostByID(context.Background(), id)
	if h.Containers != nil || h.Images == nil || *h.Images != 1 {
		t.Errorf("summary containers %v images %v, want unknown containers and 1 image", h.Containers, h.Images)
	}
}

func TestEnrolRefusalsOverHTTP(t *testing.T) {
	s := newHostServer(t)
	tok, _ := s.hosts.CreateToken(context.Background(), 0, "test")
	tests := []struct {
		name   string
		body   string
		status int
		detail string
	}{
		{name: "unknown token", body: `{"token":"palisade_enrol_nope","hostname":"h"}`, status: 401, detail: "unknown, expired or already used"},
		{name: "not JSON", body: `token=x`, status: 400, detail: "JSON object"},
		{name: "no hostname", body: `{"token":"` + tok.Secret + `"}`, status: 400, detail: "bad host name"},
		{name: "too large", body: `{"token":"` + strings.Repeat("x", maxAgentEnrolBody) + `"}`, status: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.agent(t, agentCall{path: "/api/agent/v1/enroll", body: []byte(tt.body)})
			var p agentProblem
			json.Unmarshal(rec.Body.Bytes(), &p)
			if rec.Code != tt.status || p.Status != tt.status || !strings.Contains(p.Detail, tt.detail) ||
				rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("= %d %s %s, want %d problem with %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String(), tt.status, tt.detail)
			}
		})
	}
	// None of the refusals spent the token.
	body, _ := json.Marshal(map[string]string{"token": tok.Secret, "hostname": "h"})
	if rec := s.agent(t, agentCall{path: "/api/agent/v1/enroll", body: body}); rec.Code != http.StatusCreated {
		t.Errorf("enrol with the unspent token = %d %s", rec.Code, rec.Body.String())
	}
}

// form posts a form as a browser does, with the session's CSRF token.
func (s hostServer) form(t *testing.T, path, session string, values url.Values) *httptest.ResponseRecorder {
	t.Helper()
	values.Set("_csrf", s.h.auth.CSRFToken(auth.SessionBinding(session)))
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: session})
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

// ingested enrols a host and sends the faulty snapshot: "calm" and the
// privileged "priv".
func (s hostServer) ingested(t *testing.T) int64 {
	t.Helper()
	id, cred := s.enrolOverHTTP(t, "h")
	priv := hosttest.Container("priv")
	priv.HostConfig.Privileged = true
	priv.Name = "/=cmd|calc"
	rec := s.agent(t, agentCall{path: agentSnapshotsPath, credential: cred,
		body: snapshotJSON(t, hosttest.Snapshot(hosttest.Container("calm"), priv))})
	if rec.Code != http.StatusAccepted {
		t.Fatalf("snapshot = %d %s", rec.Code, rec.Body.String())
	}
	return id
}

func TestHostPages(t *testing.T) {
	s := newHostServer(t)
	id := s.ingested(t)
	path := hostPath(id)
	viewer := s.session(t, "viewer")

	list := s.do(t, call{method: http.MethodGet, path: "/hosts", page: true, session: viewer})
	body := hostTagGaps.ReplaceAllString(list.Body.String(), "><")
	for _, want := range []string{
		`<td data-testid="host-docker">27.5.1</td>`,
		`<td data-testid="host-os">Debian GNU/Linux 12 (bookworm)</td>`,
		`<td data-testid="host-kernel">6.1.0-28-amd64</td>`,
		`<td data-testid="host-images">1</td>`,
		`<td data-testid="host-containers">2</td>`,
		`<span class="control-status control-status-fail">28</span>`,
		`<a href="` + path + `" data-testid="host-name">h</a>`,
	} {
		if list.Code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET /hosts = %d, lacks %s", list.Code, want)
		}
	}

	page := s.do(t, call{method: http.MethodGet, path: path + "?status=fail", page: true, session: viewer})
	html := page.Body.String()
	if page.Code != 200 || strings.Count(html, `data-testid="result"`) != 28 ||
		strings.Count(html, `data-status="fail"`) != 28 || strings.Contains(html, `data-status="pass"`) {
		t.Errorf("status=fail page = %d with %d results, want the 28 failing ones only", page.Code, strings.Count(html, `data-testid="result"`))
	}
	for _, section := range []string{"<h3>1 Host configuration</h3>", "<h3>2 Docker daemon configuration</h3>",
		"<h3>4 Container images and build file</h3>", "<h3>5 Container runtime</h3>"} {
		if !strings.Contains(html, section) {
			t.Errorf("failing results lack the section %s", section)
		}
	}
	if strings.Contains(html, "<h3>3 Docker daemon configuration files</h3>") {
		t.Error("a section without failing results is shown under status=fail")
	}
	if strings.Contains(html, `data-testid="exempt-button"`) {
		t.Error("a viewer sees exempt buttons")
	}
	operator := s.session(t, "operator")
	opPage := s.do(t, call{method: http.MethodGet, path: path + "?status=fail", page: true, session: operator})
	if n := strings.Count(opPage.Body.String(), `data-testid="exempt-button"`); n != 28 {
		t.Errorf("operator sees %d exempt buttons, want one per failing result (28)", n)
	}
	if bad := s.do(t, call{method: http.MethodGet, path: path + "?status=bogus", page: true, session: viewer}); bad.Code != 400 {
		t.Errorf("unknown status filter = %d, want 400", bad.Code)
	}
	if missing := s.do(t, call{method: http.MethodGet, path: "/hosts/999999", page: true, session: viewer}); missing.Code != 404 {
		t.Errorf("unknown host = %d, want 404", missing.Code)
	}
}

func TestHostExportIsCSV(t *testing.T) {
	s := newHostServer(t)
	id := s.ingested(t)
	rec := s.do(t, call{method: http.MethodGet, path: hostPath(id) + "/results.csv?status=fail", session: s.session(t, "viewer")})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), "host-") {
		t.Fatalf("export = %d %v", rec.Code, rec.Header())
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 29 || !cmp.Equal(rows[0], []string{"control_id", "section", "title", "level", "resource_kind",
		"resource_id", "resource_name", "status", "exempt", "justification", "evidence", "remediation"}) {
		t.Fatalf("CSV has %d rows, header %v; want a header and 28 failing results", len(rows), rows[0])
	}
	var priv []string
	for _, r := range rows[1:] {
		if r[4] == "container" {
			priv = append(priv, r[0])
			if r[6] != "'=cmd|calc" {
				t.Errorf("container name cell %q, want the formula neutralised", r[6])
			}
		}
	}
	if !cmp.Equal(priv, []string{"5.2", "5.4", "5.5", "5.22"}) {
		t.Errorf("container rows %v, want 5.2, 5.4, 5.5, 5.22 in benchmark order", priv)
	}
}

func TestExemptFromHostPage(t *testing.T) {
	s := newHostServer(t)
	id := s.ingested(t)
	path := hostPath(id)
	operator := s.session(t, "operator")

	if rec := s.form(t, path+"/exemptions", s.session(t, "viewer"), url.Values{"control_id": {"5.5"}, "justification": {"x"}}); rec.Code != 403 {
		t.Errorf("viewer exempting = %d, want 403", rec.Code)
	}
	rec := s.form(t, path+"/exemptions", operator, url.Values{
		"control_id": {"5.5"}, "resource": {"=cmd|calc"}, "justification": {"GPU driver needs it"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != path+"#exemptions" {
		t.Fatalf("exempt = %d to %q, want 303 to the host's exemptions", rec.Code, rec.Header().Get("Location"))
	}
	h, _ := s.store.HostByID(context.Background(), id)
	if h.FailingControls != 27 || h.ExemptResults != 1 {
		t.Errorf("after exempting: %d failing controls, %d exempt results; want 27 and 1", h.FailingControls, h.ExemptResults)
	}
	page := s.do(t, call{method: http.MethodGet, path: path + "?status=exempt", page: true, session: operator}).Body.String()
	if strings.Count(page, `data-testid="result"`) != 1 || !strings.Contains(page, `data-testid="exempt-badge"`) ||
		!strings.Contains(page, "Exempt: GPU driver needs it") || !strings.Contains(page, `data-testid="exemption" data-control="5.5"`) {
		t.Errorf("exempt filter does not show the one exempt result with its justification")
	}

	again := s.form(t, path+"/exemptions", operator, url.Values{"control_id": {"5.5"}, "resource": {"=cmd|calc"}, "justification": {"again"}})
	if again.Code != 200 || !strings.Contains(again.Body.String(), "already exempt") {
		t.Errorf("exempting twice = %d, want the page again with the reason", again.Code)
	}
	bad := s.form(t, path+"/exemptions", operator, url.Values{"control_id": {"9.9"}, "justification": {"x"}})
	if bad.Code != 200 || !strings.Contains(bad.Body.String(), `data-testid="form-error"`) {
		t.Errorf("exempting an unknown control = %d, want the page with an error", bad.Code)
	}

	xs, _ := s.store.HostExemptions(context.Background(), id)
	if len(xs) != 1 {
		t.Fatalf("%d exemptions stored, want 1", len(xs))
	}
	del := s.form(t, path+"/exemptions/"+strconv.FormatInt(xs[0].ID, 10)+"/delete", operator, url.Values{})
	if del.Code != http.StatusSeeOther {
		t.Errorf("remove exemption = %d", del.Code)
	}
	h, _ = s.store.HostByID(context.Background(), id)
	if h.FailingControls != 28 {
		t.Errorf("after removing the exemption: %d failing controls, want 28", h.FailingControls)
	}
	for _, action := range []string{"host.control_exempted", "host.control_exemption_removed"} {
		entries, _ := s.store.AuditEntries(context.Background(), store.AuditFilter{Action: action})
		if len(entries) != 1 || entries[0].ActorName != "operator" || entries[0].ResourceID != strconv.FormatInt(id, 10) {
			t.Errorf("audit %s = %+v, want one entry by operator for the host", action, entries)
		}
	}
}

func TestAdminMakesTokenAndRevokesCredential(t *testing.T) {
	s := newHostServer(t)
	admin := s.session(t, "admin")
	if rec := s.form(t, "/settings/hosts/tokens", s.session(t, "operator"), url.Values{}); rec.Code != 403 {
		t.Errorf("operator making a token = %d, want 403", rec.Code)
	}
	rec := s.form(t, "/settings/hosts/tokens", admin, url.Values{"expires": {"1h"}})
	m := regexp.MustCompile(`data-testid="token-secret">(palisade_enrol_[A-Za-z0-9_-]{43})<`).FindStringSubmatch(rec.Body.String())
	if rec.Code != 200 || m == nil || !strings.Contains(rec.Body.String(), "palisade-agent -server http://127.0.0.1:9 -token "+m[1]) {
		t.Fatalf("make token = %d, want the page with the token and the agent command:\n%s", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("the page showing a token may be cached")
	}
	if bad := s.form(t, "/settings/hosts/tokens", admin, url.Values{"expires": {"9000h"}}); bad.Code != 200 || !strings.Contains(bad.Body.String(), `data-testid="form-error"`) {
		t.Errorf("token for 9000h = %d, want the page with an error", bad.Code)
	}

	body, _ := json.Marshal(map[string]string{"token": m[1], "hostname": "new-host"})
	enrol := s.agent(t, agentCall{path: "/api/agent/v1/enroll", body: body})
	var er agentEnrolResponse
	json.Unmarshal(enrol.Body.Bytes(), &er)
	if enrol.Code != 201 {
		t.Fatalf("enrol with the page's token = %d", enrol.Code)
	}
	settings := s.do(t, call{method: http.MethodGet, path: "/settings/hosts", page: true, session: admin}).Body.String()
	if strings.Contains(settings, `data-testid="token-row"`) || !strings.Contains(settings, `data-testid="credential-revoke"`) {
		t.Error("settings page still lists the spent token or offers no revocation")
	}

	revoke := s.form(t, "/hosts/"+er.HostID+"/credential/revoke", admin, url.Values{})
	if revoke.Code != http.StatusSeeOther {
		t.Fatalf("revoke = %d %s", revoke.Code, revoke.Body.String())
	}
	snap := s.agent(t, agentCall{path: agentSnapshotsPath, credential: er.Credential, body: snapshotJSON(t, hosttest.Snapshot())})
	if snap.Code != http.StatusUnauthorized {
		t.Errorf("snapshot with a revoked credential = %d, want 401", snap.Code)
	}
	for _, action := range []string{"host.enrolment_token_created", "host.credential_revoked"} {
		entries, _ := s.store.AuditEntries(context.Background(), store.AuditFilter{Action: action})
		if len(entries) != 1 || entries[0].ActorName != "admin" {
			t.Errorf("audit %s = %+v, want one entry by admin", action, entries)
		}
		if strings.Contains(auditJSON(entries), m[1]) {
			t.Errorf("audit %s holds the token", action)
		}
	}
}

func auditJSON(es []store.AuditEntry) string {
	b, _ := json.Marshal(es)
	return string(b)
}

// hostTagGaps is the whitespace templ leaves between elements.
var hostTagGaps = regexp.MustCompile(`>\s+<`)
