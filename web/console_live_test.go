package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/store"
)

// TestScansPollFastWhileAScanIsActive: the scans list polls every two
// seconds while a scan is queued or running and every ten otherwise, so a
// scan that a push starts shows up without a reload.
func TestScansPollFastWhileAScanIsActive(t *testing.T) {
	s := newPagesServer(t)
	f := seedPages(t, s)
	ctx := context.Background()

	idle := s.page(t, request{path: "/scans", role: "viewer"})
	if trig, _ := idle.Find(`#scans-live`).Attr("hx-trigger"); trig != "every 10s" || testid(idle, "scan-activity") != "No scan is queued or running." {
		t.Errorf("idle scans page: trigger %q, says %q; want every 10s", trig, testid(idle, "scan-activity"))
	}

	var running int64
	err := s.store.Pool().QueryRow(ctx, `INSERT INTO scans (registry_id, repository, reference, digest, trigger, state, started_at)
		VALUES ($1, 'busybox', 'latest', 'sha256:ee', 'poll', 'running', now()) RETURNING id`, f.registry).Scan(&running)
	if err != nil {
		t.Fatal(err)
	}
	busy := s.page(t, request{path: "/scans?trigger=poll", role: "viewer"})
	live := busy.Find(`#scans-live`)
	poll, _ := live.Attr("hx-get")
	if trig, _ := live.Attr("hx-trigger"); trig != "every 2s" || !strings.HasPrefix(poll, "/scans/status?seen=") || !strings.Contains(poll, "trigger=poll") {
		t.Fatalf("busy scans page: trigger %q, poll %q", trig, poll)
	}
	if got := testid(busy, "scan-activity"); got != "1 scan running, 0 queued." {
		t.Errorf("activity = %q", got)
	}

	// The scan ends: the next poll fires scans-finished and slows down.
	if _, err := s.store.Pool().Exec(ctx, `UPDATE scans SET state = 'failed', reason = 'pull: unauthorized', finished_at = now() + interval '1 second' WHERE id = $1`, running); err != nil {
		t.Fatal(err)
	}
	rec := s.do(t, request{path: poll, role: "viewer", htmxTarget: "scans-live"})
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if trig, _ := doc.Find(`#scans-live`).Attr("hx-trigger"); rec.Header().Get("HX-Trigger") != scansFinishedEvent || trig != "every 10s" {
		t.Errorf("poll after the end: HX-Trigger %q, trigger %q; want the event and every 10s", rec.Header().Get("HX-Trigger"), trig)
	}
	if got := testid(doc, "scan-reason"); got != "pull: unauthorized" {
		t.Errorf("failed scan's reason = %q", got)
	}

	rows := readCSV(t, s.do(t, request{path: "/scans/export.csv?state=failed", role: "viewer"}))
	if len(rows) != 2 || rows[1][1] != "failed" || rows[1][2] != "poll" || rows[1][11] != "pull: unauthorized" {
		t.Errorf("scans csv = %v", rows)
	}
}

func TestRescanQueuesForcedScanAndFollowsIt(t *testing.T) {
	s := newPagesServer(t)
	f := seedPages(t, s)
	ctx := context.Background()
	doc := s.page(t, request{path: imagePath(f.debian), role: "operator"})
	if doc.Find(`[data-testid="rescan"]`).Length() != 1 {
		t.Fatal("an operator sees no rescan button")
	}
	if state, _ := doc.Find(`[data-testid="image-scan-status"]`).Attr("data-state"); state != "done" {
		t.Errorf("latest scan state = %q, want the push scan done", state)
	}

	rec := s.do(t, request{method: http.MethodPost, path: imagePath(f.debian) + "/rescan", role: "operator",
		form: url.Values{}, htmxTarget: "image-scan-status"})
	panel, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	status := panel.Find(`[data-testid="image-scan-status"]`)
	state, _ := status.Attr("data-state")
	poll, _ := status.Attr("hx-get")
	if rec.Code != http.StatusOK || state != "queued" || poll != imagePath(f.debian)+"/scan-status?polling=1" {
		t.Fatalf("rescan answer = %d, state %q, poll %q:\n%s", rec.Code, state, poll, rec.Body.String())
	}
	var trigger, digest string
	var jobs int
	err = s.store.Pool().QueryRow(ctx, `SELECT s.trigger, s.digest, (SELECT count(*) FROM river_job j WHERE j.id = s.job_id)
		FROM scans s ORDER BY id DESC LIMIT 1`).Scan(&trigger, &digest, &jobs)
	if err != nil || trigger != "manual" || digest != f.debianDigest || jobs != 1 {
		t.Errorf("queued scan: trigger %q digest %q jobs %d (%v)", trigger, digest, jobs, err)
	}
	entries, err := s.store.AuditEntries(ctx, store.AuditFilter{Action: "image.rescan_queued"})
	if err != nil || len(entries) != 1 || entries[0].ActorName != "operator" || entries[0].Details["digest"] != f.debianDigest {
		t.Errorf("audit = %+v (%v)", entries, err)
	}

	// Still queued: the panel keeps polling, with no event.
	again := s.do(t, request{path: poll, role: "viewer", htmxTarget: "image-scan-status"})
	if again.Header().Get("HX-Trigger") != "" || !strings.Contains(again.Body.String(), `hx-trigger="every 2s"`) {
		t.Errorf("poll of a queued scan: trigger %q, body %s", again.Header().Get("HX-Trigger"), again.Body.String())
	}
	if _, err := s.store.Pool().Exec(ctx, `UPDATE scans SET state = 'done', finished_at = now() WHERE state = 'queued'`); err != nil {
		t.Fatal(err)
	}
	done := s.do(t, request{path: poll, role: "viewer", htmxTarget: "image-scan-status"})
	if done.Header().Get("HX-Trigger") != scansFinishedEvent || strings.Contains(done.Body.String(), "hx-trigger") {
		t.Errorf("poll after the scan: trigger %q, body %s", done.Header().Get("HX-Trigger"), done.Body.String())
	}

	// Without htmx the browser goes back to the image.
	plain := s.do(t, request{method: http.MethodPost, path: imagePath(f.debian) + "/rescan", role: "admin", form: url.Values{}})
	if plain.Code != http.StatusSeeOther || plain.Header().Get("Location") != imagePath(f.debian) {
		t.Errorf("plain rescan = %d to %q", plain.Code, plain.Header().Get("Location"))
	}
}

func TestRegistrySettingsAddEditTestRemove(t *testing.T) {
	s := newPagesServer(t)
	ctx := context.Background()
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.NotFound(w, r)
	}))
	defer fake.Close()

	form := url.Values{
		"name": {"corp"}, "url": {fake.URL}, "insecure_http": {"true"}, "auth_kind": {"basic"},
		"username": {"robot"}, "password": {"hunter2-secret"}, "scan_on_push": {"true"},
		"include": {"team-a/*\n\n team-b/* "}, "poll_interval": {"15m"},
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("url", "ftp://nowhere")
	rec := s.do(t, request{method: http.MethodPost, path: "/settings/registries", role: "admin", form: bad})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `data-testid="form-errors"`) ||
		!strings.Contains(rec.Body.String(), "url: must look like") {
		t.Fatalf("invalid form = %d:\n%s", rec.Code, rec.Body.String())
	}
	if strings.Contains(rec.Body.String(), "hunter2-secret") {
		t.Error("the form echoed the password back")
	}

	rec = s.do(t, request{method: http.MethodPost, path: "/settings/registries", role: "admin", form: form})
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !strings.HasSuffix(loc, "?done=created") {
		t.Fatalf("create = %d to %q: %s", rec.Code, loc, rec.Body.String())
	}
	r, err := s.store.RegistryByName(ctx, "corp")
	if err != nil {
		t.Fatal(err)
	}
	show := s.page(t, request{path: loc, role: "admin"})
	secret, err := s.regs.WebhookSecret(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := testid(show, "webhook-url"); got != "http://127.0.0.1:9/hooks/registry/"+r.WebhookToken {
		t.Errorf("webhook url = %q", got)
	}
	if testid(show, "webhook-secret") != secret || !strings.Contains(testid(show, "webhook-config"), `Authorization: ["Bearer `+secret+`"]`) {
		t.Errorf("webhook secret %q, config %q", testid(show, "webhook-secret"), testid(show, "webhook-config"))
	}
	if strings.Contains(show.Text(), "hunter2-secret") || !strings.Contains(testid(show, "registry-auth"), "robot") {
		t.Errorf("show page: auth %q (password shown: %t)", testid(show, "registry-auth"), strings.Contains(show.Text(), "hunter2-secret"))
	}

	// Edit without a password keeps the stored one.
	edit := s.page(t, request{path: registryPath(r.ID) + "/edit", role: "admin"})
	if v, _ := edit.Find("#r-password").Attr("value"); v != "" || !strings.Contains(edit.Text(), "team-b/*") {
		t.Errorf("edit form: password value %q, patterns kept %t", v, strings.Contains(edit.Text(), "team-b/*"))
	}
	form.Set("password", "")
	form.Set("scan_on_push", "")
	rec = s.do(t, request{method: http.MethodPost, path: registryPath(r.ID), role: "admin", form: form})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("update = %d: %s", rec.Code, rec.Body.String())
	}
	conn, err := s.regs.Open(ctx, r.ID)
	if err != nil || conn.Creds.Password != "hunter2-secret" || conn.ScanOnPush ||
		strings.Join(conn.IncludePatterns, ",") != "team-a/*,team-b/*" || conn.PollInterval == nil {
		t.Errorf("after edit: %+v creds %+v (%v)", conn.Registry, conn.Creds, err)
	}

	test := s.do(t, request{method: http.MethodPost, path: registryPath(r.ID) + "/test", role: "admin", form: url.Values{}, htmxTarget: "registry-test"})
	if !strings.Contains(test.Body.String(), "Connected") {
		t.Errorf("test against a live registry:\n%s", test.Body.String())
	}
	fake.Close()
	failed := s.do(t, request{method: http.MethodPost, path: registryPath(r.ID) + "/test", role: "admin", form: url.Values{}, htmxTarget: "registry-test"})
	if !strings.Contains(failed.Body.String(), `data-testid="registry-test-error"`) {
		t.Errorf("test against a closed port:\n%s", failed.Body.String())
	}

	confirm := s.page(t, request{path: registryPath(r.ID) + "/remove", role: "admin"})
	if !strings.Contains(testid(confirm, "remove-consequences"), "0 repositories and 0 images") {
		t.Errorf("confirmation = %q", testid(confirm, "remove-consequences"))
	}
	rec = s.do(t, request{method: http.MethodPost, path: registryPath(r.ID) + "/remove", role: "admin", form: url.Values{}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("remove = %d", rec.Code)
	}
	if _, err := s.store.RegistryByName(ctx, "corp"); err == nil {
		t.Error("the registry is still there")
	}

	var actions []string
	entries, err := s.store.AuditEntries(ctx, store.AuditFilter{ResourceKind: "registry"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		actions = append(actions, e.Action)
		if strings.Contains(strings.ToLower(strings.Join(mapValues(e.Details), " ")), "hunter2") {
			t.Errorf("audit entry %s holds the password", e.Action)
		}
	}
	want := "registry.removed,registry.connection_tested,registry.connection_tested,registry.updated,registry.created"
	if strings.Join(actions, ",") != want {
		t.Errorf("audit = %v, want %s", actions, want)
	}
}

func mapValues(m map[string]any) []string {
	var out []string
	for _, v := range m {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func TestRegistryNameConflictIsAFormProblem(t *testing.T) {
	s := newPagesServer(t)
	if _, _, err := s.regs.Add(context.Background(), registries.Settings{Name: "local", URL: "https://r.example",
		AuthKind: registries.AuthNone}); err != nil {
		t.Fatal(err)
	}
	rec := s.do(t, request{method: http.MethodPost, path: "/settings/registries", role: "admin",
		form: url.Values{"name": {"local"}, "url": {"https://other.example"}, "auth_kind": {"none"}}})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "a registry named &#34;local&#34; is already connected") {
		t.Errorf("duplicate name = %d:\n%s", rec.Code, rec.Body.String())
	}
}
