//go:build e2e

package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/palisadesec/palisade/e2e/dockerhost"
	"github.com/palisadesec/palisade/e2e/harness"
	"github.com/palisadesec/palisade/internal/hostsnapshot"
	"github.com/palisadesec/palisade/internal/recommend"
)

const hostAgentName = "e2e-docker-host"

// TestHostAgentReportsFaultyContainers runs the whole path: a private
// dockerd with the faulty containers, `palisade serve`, a token from
// `palisade hosts token`, and the real palisade-agent enrolling and
// sending its snapshot. The server's results must name exactly the
// container-level controls worked out by hand in dockerhost.Faults.
func TestHostAgentReportsFaultyContainers(t *testing.T) {
	pg := harness.StartPostgres(t)
	env := harness.BaseEnv(t, pg.URL)
	srv := harness.StartServer(t, env)
	srv.WaitFor(t, "/readyz", http.StatusOK, 60*time.Second)
	ctx := context.Background()
	db, err := pgx.Connect(ctx, pg.URL)
	if err != nil {
		t.Fatalf("connect to the database: %v", err)
	}
	defer db.Close(ctx)

	eng := dockerhost.Start(t)
	image := "palisade-e2e/busybox:1"
	eng.ImportBusybox(t, image)
	faults, ids := eng.CreateFaults(t, image)

	token := hostToken(t, env, srv.URL)
	credFile := filepath.Join(t.TempDir(), "credential.json")
	agent := startHostAgent(t, buildHostAgent(t), "-server", srv.URL, "-token", token,
		"-credential-file", credFile, "-docker-socket", eng.Socket, "-hostname", hostAgentName)
	hostID := waitForHostSnapshot(t, db, agent, 90*time.Second)
	agent.stop(t)
	if !strings.Contains(agent.output(), "Snapshot sent") {
		t.Errorf("agent did not log a sent snapshot:\n%s", agent.output())
	}

	t.Run("failing controls per container", func(t *testing.T) {
		got := hostFailingByContainer(t, db, hostID)
		for _, f := range faults {
			want := append([]string(nil), f.Want...)
			sort.Strings(want)
			fails, seen := got[ids[f.Name]]
			if !seen {
				t.Errorf("%s: no container-level results stored", f.Name)
				continue
			}
			if diff := cmp.Diff(want, fails); diff != "" {
				t.Errorf("%s: failing controls (-want +got):\n%s", f.Name, diff)
			}
		}
		if len(got) != len(faults) {
			t.Errorf("results for %d containers, want %d", len(got), len(faults))
		}
	})

	t.Run("summary and assessment", func(t *testing.T) {
		checkHostSummary(t, db, eng, hostID)
		checkHostAssessment(t, db, hostID, ids["privileged"])
	})

	t.Run("token spent", func(t *testing.T) {
		body, _ := json.Marshal(map[string]string{"token": token, "hostname": "again"})
		code, _ := hostPost(t, srv.URL+"/api/agent/v1/enroll", "", "", body)
		if code != http.StatusUnauthorized {
			t.Errorf("enrolling again with the spent token = %d, want 401", code)
		}
	})

	t.Run("refused snapshots store nothing", func(t *testing.T) {
		checkHostRefusals(t, db, srv.URL, credFile, hostID)
	})

	t.Run("host page", func(t *testing.T) {
		checkHostPage(t, db, srv.URL, hostID)
	})
}

// hostToken runs `palisade hosts token` and returns the token it printed.
func hostToken(t *testing.T, env map[string]string, serverURL string) string {
	t.Helper()
	out, code := harness.RunPalisade(t, env, "hosts", "token", "--expires", "1h")
	m := regexp.MustCompile(`palisade_enrol_[A-Za-z0-9_-]{43}`).FindString(out)
	if code != 0 || m == "" {
		t.Fatalf("palisade hosts token exited %d without a token:\n%s", code, out)
	}
	if !strings.Contains(out, "palisade-agent -server "+serverURL+" -token "+m) {
		t.Errorf("palisade hosts token does not print the agent command for %s:\n%s", serverURL, out)
	}
	return m
}

func buildHostAgent(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "palisade-agent")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/palisade-agent")
	cmd.Dir = harness.RepoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/palisade-agent: %v\n%s", err, out)
	}
	return bin
}

// hostAgent is a running palisade-agent.
type hostAgent struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

func (a *hostAgent) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.out.Write(p)
}

func (a *hostAgent) output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.out.String()
}

func (a *hostAgent) exited() bool {
	select {
	case err := <-a.done:
		a.done <- err
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits for the agent to exit.
func (a *hostAgent) stop(t *testing.T) {
	t.Helper()
	if a.exited() {
		return
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
		a.done <- nil
	case <-time.After(30 * time.Second):
		_ = a.cmd.Process.Kill()
		t.Errorf("palisade-agent did not stop within 30s of SIGTERM")
	}
}

func startHostAgent(t *testing.T, bin string, args ...string) *hostAgent {
	t.Helper()
	a := &hostAgent{done: make(chan error, 1)}
	a.cmd = exec.Command(bin, args...)
	a.cmd.Stdout, a.cmd.Stderr = a, a
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start palisade-agent: %v", err)
	}
	go func() { a.done <- a.cmd.Wait() }()
	t.Cleanup(func() {
		a.stop(t)
		if t.Failed() {
			t.Logf("palisade-agent output:\n%s", a.output())
		}
	})
	return a
}

// waitForHostSnapshot waits until the agent's host has results and
// returns its id.
func waitForHostSnapshot(t *testing.T, db *pgx.Conn, agent *hostAgent, within time.Duration) int64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var id int64
		err := db.QueryRow(context.Background(), `SELECT id FROM hosts
			WHERE name = $1 AND last_snapshot_at IS NOT NULL`, hostAgentName).Scan(&id)
		if err == nil {
			return id
		}
		if agent.exited() {
			t.Fatalf("palisade-agent exited before a snapshot was stored:\n%s", agent.output())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no snapshot stored within %s; agent output:\n%s", within, agent.output())
	return 0
}

// hostFailingByContainer returns the failing container-level controls of
// a host by container ID, sorted; a container with results but no failure
// maps to nil.
func hostFailingByContainer(t *testing.T, db *pgx.Conn, hostID int64) map[string][]string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT resource_id, control_id, status, exempt
		FROM host_results WHERE host_id = $1 AND resource_kind = 'container'`, hostID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	var id, control, status string
	var exempt bool
	_, err = pgx.ForEachRow(rows, []any{&id, &control, &status, &exempt}, func() error {
		if _, ok := out[id]; !ok {
			out[id] = nil
		}
		if status == "fail" && !exempt {
			out[id] = append(out[id], control)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, fails := range out {
		sort.Strings(fails)
	}
	return out
}

// checkHostSummary compares the host row with what the engine and the
// kernel say themselves.
func checkHostSummary(t *testing.T, db *pgx.Conn, eng *dockerhost.Engine, hostID int64) {
	t.Helper()
	var docker, kernel string
	var images, containers, failing int
	err := db.QueryRow(context.Background(), `SELECT docker_version, kernel, image_count, container_count,
		failing_controls FROM hosts WHERE id = $1`, hostID).Scan(&docker, &kernel, &images, &containers, &failing)
	if err != nil {
		t.Fatal(err)
	}
	osRelease, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	if want := eng.Run(t, "version", "--format", "{{.Server.Version}}"); docker != want {
		t.Errorf("docker version %q, want %q", docker, want)
	}
	if want := strings.TrimSpace(string(osRelease)); kernel != want {
		t.Errorf("kernel %q, want %q", kernel, want)
	}
	// One imported image, eight containers from dockerhost.Faults.
	if images != 1 || containers != 8 || failing == 0 {
		t.Errorf("images %d, containers %d, failing controls %d; want 1, 8 and some", images, containers, failing)
	}
}

func checkHostAssessment(t *testing.T, db *pgx.Conn, hostID int64, privilegedID string) {
	t.Helper()
	var status string
	var raw []byte
	err := db.QueryRow(context.Background(), `SELECT status, details FROM assessments
		WHERE recommendation_id = $1 AND resource_kind = 'host' AND resource_id = $2`,
		recommend.HostConfiguration.ID, hostID).Scan(&status, &raw)
	if err != nil {
		t.Fatal(err)
	}
	var d recommend.HostDetails
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	var c55 *recommend.FailingControl
	for i := range d.FailingControls {
		if d.FailingControls[i].ControlID == "5.5" {
			c55 = &d.FailingControls[i]
		}
	}
	want := []recommend.AffectedResource{{ID: privilegedID, Name: "privileged"}}
	if status != "unhealthy" || c55 == nil || !cmp.Equal(c55.Containers, want) {
		t.Errorf("assessment %s with 5.5 = %+v, want unhealthy naming only the privileged container", status, c55)
	}
}

// hostState is what a refused snapshot must leave alone.
type hostState struct {
	Snapshots, LatestSnapshot, Results int64
	LastSnapshotAt                     string
}

func readHostState(t *testing.T, db *pgx.Conn, hostID int64) hostState {
	t.Helper()
	var s hostState
	err := db.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM host_snapshots WHERE host_id = $1),
		(SELECT coalesce(max(id), 0) FROM host_snapshots WHERE host_id = $1),
		(SELECT count(*) FROM host_results WHERE host_id = $1),
		(SELECT last_snapshot_at::text FROM hosts WHERE id = $1)`, hostID).
		Scan(&s.Snapshots, &s.LatestSnapshot, &s.Results, &s.LastSnapshotAt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func hostPost(t *testing.T, url, credential, encoding string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type") + " " + b.String()
}

// checkHostRefusals posts, with the agent's own credential, a snapshot
// that is too large once gunzipped, one too large on the wire, and
// malformed ones: each gets its 4xx and the host's stored state stays.
func checkHostRefusals(t *testing.T, db *pgx.Conn, serverURL, credFile string, hostID int64) {
	t.Helper()
	raw, err := os.ReadFile(credFile)
	if err != nil {
		t.Fatal(err)
	}
	var cred struct {
		HostID     string `json:"host_id"`
		Credential string `json:"credential"`
	}
	if err := json.Unmarshal(raw, &cred); err != nil || cred.HostID != fmt.Sprint(hostID) {
		t.Fatalf("credential file %s: %v (host %s, want %d)", raw, err, cred.HostID, hostID)
	}
	before := readHostState(t, db, hostID)

	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write([]byte(`{"schema_version":1,"hostname":"x","padding":"`))
	zw.Write(bytes.Repeat([]byte("a"), hostsnapshot.MaxBytes))
	zw.Write([]byte(`"}`))
	zw.Close()
	tests := []struct {
		name     string
		body     []byte
		encoding string
		want     int
	}{
		{name: "over the limit once gunzipped", body: bomb.Bytes(), encoding: "gzip", want: http.StatusRequestEntityTooLarge},
		{name: "over the limit on the wire", body: bytes.Repeat([]byte(" "), hostsnapshot.MaxBytes+1), want: http.StatusRequestEntityTooLarge},
		{name: "malformed JSON", body: []byte(`{"schema_version":1,"hostname":`), want: http.StatusBadRequest},
		{name: "fails validation", body: []byte(`{"schema_version":1,"hostname":"x"}`), want: http.StatusBadRequest},
	}
	for _, tt := range tests {
		code, body := hostPost(t, serverURL+"/api/agent/v1/snapshots", cred.Credential, tt.encoding, tt.body)
		if code != tt.want || !strings.HasPrefix(body, "application/problem+json ") {
			t.Errorf("%s: %d %.300s, want %d with a problem body", tt.name, code, body, tt.want)
		}
	}
	if after := readHostState(t, db, hostID); after != before {
		t.Errorf("refused snapshots changed what is stored: before %+v, after %+v", before, after)
	}
}

// checkHostPage opens the host page in Chromium (local mode, so as an
// admin), saves a screenshot of the failing results, and exempts one
// control through the page's form.
func checkHostPage(t *testing.T, db *pgx.Conn, serverURL string, hostID int64) {
	t.Helper()
	ctx := harness.Browser(t)
	page := fmt.Sprintf("%s/hosts/%d", serverURL, hostID)
	if err := chromedp.Do(ctx, chromedp.Navigate(page+"?status=fail")); err != nil {
		t.Fatalf("open host page: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="host-title"]`)))
	if err != nil || title != hostAgentName {
		t.Errorf("host page title = %q (%v), want %s", title, err, hostAgentName)
	}
	counts, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[
		document.querySelectorAll('[data-testid="result"]').length,
		document.querySelectorAll('[data-testid="result"]:not([data-status="fail"])').length,
		document.querySelectorAll('[data-testid="control-section"]').length]`))
	if err != nil {
		t.Fatalf("count results: %v", err)
	}
	var failing int
	db.QueryRow(context.Background(), `SELECT count(*) FROM host_results WHERE host_id = $1 AND status = 'fail'`, hostID).Scan(&failing)
	if len(counts) != 3 || counts[0] != failing || counts[1] != 0 || counts[2] < 2 {
		t.Errorf("page shows %v (results, non-failing, sections), want %d failing results in several sections", counts, failing)
	}
	harness.Screenshot(t, ctx, "hosts-host-page")

	// Only the no-memory-limit container fails 5.11; exempting it there
	// takes one control off the count.
	var before int
	db.QueryRow(context.Background(), `SELECT failing_controls FROM hosts WHERE id = $1`, hostID).Scan(&before)
	row := `tr[data-control="5.11"][data-kind="container"] `
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(row+`[data-testid="exempt-button"]`)),
		chromedp.SendKeys(chromedp.CSS(row+`textarea[name="justification"]`), "batch job sized by its scheduler"),
		chromedp.Click(chromedp.CSS(row+`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="exemption"][data-control="5.11"]`)),
	)
	if err != nil {
		t.Fatalf("exempt 5.11 from the page: %v", err)
	}
	var after int
	var resource, by string
	db.QueryRow(context.Background(), `SELECT failing_controls FROM hosts WHERE id = $1`, hostID).Scan(&after)
	db.QueryRow(context.Background(), `SELECT resource, created_by_name FROM host_exemptions WHERE host_id = $1`, hostID).Scan(&resource, &by)
	if after != before-1 || resource != "no-memory-limit" || by != "local admin" {
		t.Errorf("after exempting: %d failing controls (was %d), exemption for %q by %q", after, before, resource, by)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(serverURL+"/hosts")); err != nil {
		t.Fatalf("open hosts list: %v", err)
	}
	n, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="host-row"] [data-testid="host-containers"]`)))
	if err != nil || n != "8" {
		t.Errorf("hosts list shows %q containers (%v), want 8", n, err)
	}
	harness.Screenshot(t, ctx, "hosts-list")

	// The console's button makes a token like the CLI does.
	err = chromedp.Do(ctx,
		chromedp.Navigate(serverURL+"/settings/hosts"),
		chromedp.Click(chromedp.CSS(`[data-testid="token-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="token-secret"]`)),
	)
	if err != nil {
		t.Fatalf("make a token on the settings page: %v", err)
	}
	secret, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="token-secret"]`)))
	if err != nil || !regexp.MustCompile(`^palisade_enrol_[A-Za-z0-9_-]{43}$`).MatchString(secret) {
		t.Errorf("settings page shows token %q (%v)", secret, err)
	}
	harness.Screenshot(t, ctx, "hosts-settings")
}
