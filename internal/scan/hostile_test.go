package scan_test

import (
	"archive/tar"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/inventory"
	"github.com/palisadesec/palisade/internal/jobs"
	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/registrytest"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/secrets"
	"github.com/palisadesec/palisade/internal/store"
)

// TestHostileRegistriesAndImages runs real scans (registry client,
// inventory, store) against a registry that misbehaves in every way the
// issue lists. Each scan ends failed with a clear reason, or waits for a
// retry with the reason when the error is transient; a good image in the
// same registry is scanned all the same; nothing is written outside the
// scratch directory.
func TestHostileRegistriesAndImages(t *testing.T) {
	ctx := context.Background()
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	log := slog.New(slog.DiscardHandler)
	box, _ := secrets.New(strings.Repeat("h", 32))
	mgr := registries.NewManager(st, box, "http://127.0.0.1:8080")
	srv := registrytest.New(t)
	conn, _, err := mgr.Add(ctx, registries.Settings{Name: "hostile", URL: srv.URL, InsecureHTTP: true, AuthKind: registries.AuthNone, ScanOnPush: true})
	if err != nil {
		t.Fatal(err)
	}

	good := srv.PushImage(t, "good", "1", registrytest.Image(t, "linux/amd64"))
	canary := t.TempDir() // the evil image aims links and ../ paths here
	evil := srv.PushImage(t, "evil", "1", evilImage(t, canary))
	truncated := srv.PushImage(t, "truncated", "1", registrytest.Image(t, "linux/amd64"))
	corrupt := srv.PushImage(t, "corrupt", "1", registrytest.Image(t, "linux/amd64"))
	srv.PushImage(t, "slow", "1", registrytest.Image(t, "linux/amd64"))
	srv.ServeHugeManifest("huge", "1", 10<<20, true)
	srv.FailPath("/v2/locked/manifests/*", http.StatusUnauthorized)
	srv.FailPath("/v2/down/manifests/*", http.StatusInternalServerError)
	srv.HangPath("/v2/slow/manifests/*")
	srv.TruncateBlob(layerDigest(t, srv, "truncated"))
	srv.CorruptBlob(layerDigest(t, srv, "corrupt"))
	_ = truncated
	_ = corrupt

	scratchParent := t.TempDir()
	svc := scan.NewService(scan.Options{
		Store: st, Registries: mgr, Images: scan.RegistrySource{Timeout: 500 * time.Millisecond},
		Inventorier: scan.ImageInventorier{Options: inventory.Options{
			ScratchDir: scratchParent, Logger: log,
			Limits: inventory.Limits{MaxLayerBytes: 64 << 20},
		}},
		Matcher: scan.NewMatcher(st), Logger: log, UnhealthyLevels: []string{"critical", "high", "unknown"},
	})
	workers := river.NewWorkers()
	river.AddWorker(workers, &scan.Worker{Service: svc})
	runner, err := jobs.NewRunner(pool, jobs.Options{Workers: workers, MaxWorkers: 4, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc.UseQueue(runner)
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop(ctx, runner, log)

	tests := []struct {
		name       string
		repository string
		wantState  string // done, failed, or queued (waiting for a retry)
		wantReason string
	}{
		{name: "good image", repository: "good", wantState: store.ScanDone},
		{name: "401", repository: "locked", wantState: store.ScanFailed, wantReason: "401"},
		{name: "404", repository: "missing", wantState: store.ScanFailed, wantReason: "not found"},
		{name: "500 is retried", repository: "down", wantState: store.ScanQueued, wantReason: "500"},
		{name: "never answers: retried", repository: "slow", wantState: store.ScanQueued, wantReason: "timed out"},
		{name: "10 MB manifest", repository: "huge", wantState: store.ScanFailed, wantReason: "exceeds the 4 MiB limit"},
		{name: "gzip bomb and path tricks", repository: "evil", wantState: store.ScanFailed, wantReason: "uncompressed"},
		{name: "truncated blob is retried", repository: "truncated", wantState: store.ScanQueued, wantReason: ""},
		{name: "digest mismatch", repository: "corrupt", wantState: store.ScanFailed, wantReason: "digest"},
	}
	ids := map[string]int64{}
	for _, tt := range tests {
		q, err := svc.Enqueue(ctx, scan.Request{RegistryID: conn.ID, Repository: tt.repository, Reference: "1", Trigger: scan.TriggerManual})
		if err != nil {
			t.Fatal(err)
		}
		ids[tt.name] = q.ScanID
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := waitForAttempt(t, st, ids[tt.name])
			if sc.State != tt.wantState {
				t.Fatalf("state = %s (%q), want %s", sc.State, sc.Reason, tt.wantState)
			}
			if !strings.Contains(sc.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to mention %q", sc.Reason, tt.wantReason)
			}
			if tt.wantState != store.ScanDone && sc.Reason == "" {
				t.Error("a scan that did not finish gives no reason")
			}
		})
	}
	_ = good
	_ = evil

	entries, err := os.ReadDir(canary)
	if err != nil || len(entries) != 0 {
		t.Errorf("the canary directory holds %d entries (%v), want none", len(entries), err)
	}
	left, _ := filepath.Glob(filepath.Join(scratchParent, "*", "*"))
	if len(left) != 0 {
		t.Errorf("scratch files left behind: %v", left)
	}
}

// waitForAttempt waits until a scan has finished or has failed one
// attempt and waits for a retry.
func waitForAttempt(t *testing.T, st *store.Store, id int64) store.Scan {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		sc, err := st.ScanByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if sc.State == store.ScanDone || sc.State == store.ScanFailed || (sc.State == store.ScanQueued && sc.Attempts > 0) {
			return sc
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("scan %d made no attempt within 60s", id)
	return store.Scan{}
}

func layerDigest(t *testing.T, srv *registrytest.Server, repo string) string {
	t.Helper()
	conn := registries.Connection{Registry: store.Registry{URL: srv.URL, InsecureHTTP: true, AuthKind: "none"}}
	imgs, err := scan.RegistrySource{}.Images(context.Background(), conn, repo, "1")
	if err != nil {
		t.Fatal(err)
	}
	layers, err := imgs[0].Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// writeEvilTar writes the evil layer: entries that try to leave the root
// toward canary, links pointing there, a dpkg status that is a symlink to
// /etc/shadow, and 100 MB of zeros.
func writeEvilTar(t *testing.T, p, canary string) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	up := strings.Repeat("../", 12) + strings.TrimPrefix(canary, "/")
	entries := []tar.Header{
		{Name: up + "/escaped", Typeflag: tar.TypeReg, Mode: 0o644, Size: 5},
		{Name: "usr/bin/linked", Typeflag: tar.TypeLink, Linkname: canary + "/hardlink"},
		{Name: "var/lib/dpkg/status", Typeflag: tar.TypeSymlink, Linkname: "/etc/shadow"},
		{Name: "etc/os-release", Typeflag: tar.TypeSymlink, Linkname: up + "/os-release"},
	}
	for _, h := range entries {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte("pwned"))
		}
	}
	const bomb = 100 << 20
	if err := tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: bomb}); err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for i := 0; i < bomb>>20; i++ {
		if _, err := tw.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

// evilImage has a layer with an entry named ../../escape, a hard link to
// /etc/shadow, a symlink out of the root, and 100 MB of zeros (a gzip
// bomb of about 100 KB compressed) past the test's 64 MiB layer limit.
func evilImage(t *testing.T, canary string) v1.Image {
	t.Helper()
	p := filepath.Join(t.TempDir(), "evil.tar")
	writeEvilTar(t, p, canary)
	layer, err := tarball.LayerFromFile(p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
