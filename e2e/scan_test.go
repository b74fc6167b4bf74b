//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/palisadesec/palisade/e2e/harness"
)

// TestScanOnPush connects a real registry to the running server, pushes
// three images (a debootstrap Debian, a distroless-style one, a scratch
// image with a Go binary) and checks that findings appear without anyone
// asking for a scan. Expected findings were worked out by hand from the
// records in the shared Go and PyPI zips:
//   - urllib3 1.26.12 (Debian's python3-urllib3): PYSEC-2023-192
//     (CVE-2023-43804, introduced 0, fixed 1.26.17) and PYSEC-2023-212
//     (CVE-2023-45803, introduced 0, fixed 1.26.18);
//   - Go 1.19.8 (`go version` on /usr/bin/containerd): GO-2023-1753
//     (CVE-2023-29400, introduced 0, fixed 1.19.9), reported once for all
//     the Go binaries built with it;
//   - gjson v1.6.0 in the scratch image: GO-2021-0059 (CVE-2020-35380,
//     introduced 0, fixed 1.6.4).
func TestScanOnPush(t *testing.T) {
	ctx := context.Background()
	rootfs := harness.DebianTestImage(t)
	pg := harness.StartPostgres(t)
	env := harness.BaseEnv(t, pg.URL)
	if out, code := harness.RunPalisade(t, env, "feeds", "import", harness.OSVZip(t, "Go.zip"), harness.OSVZip(t, "PyPI.zip")); code != 0 {
		t.Fatalf("feeds import: %s", out)
	}
	srv := harness.StartServer(t, env)
	srv.WaitFor(t, "/readyz", http.StatusOK, 60*time.Second)

	reg := harness.StartRegistry(t, "", "")
	out, code := harness.RunPalisade(t, env, "registry", "add", "--name", "local", "--url", reg.URL, "--insecure-http")
	if code != 0 {
		t.Fatalf("registry add: %s", out)
	}
	hookURL := regexp.MustCompile(`Webhook URL:\s+(\S+)`).FindStringSubmatch(out)
	secret := regexp.MustCompile(`Webhook secret:\s+(\S+)`).FindStringSubmatch(out)
	if hookURL == nil || secret == nil {
		t.Fatalf("registry add printed no webhook URL and secret:\n%s", out)
	}
	reg.Notify(hookURL[1], secret[1])

	db, err := pgx.Connect(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)

	pushed := time.Now()
	debianDigest := harness.PushRootFS(t, reg, "debian", "bookworm", rootfs)
	pushDone := time.Now()
	waitForImage(t, db, debianDigest, 120*time.Second)
	t.Logf("push to findings stored: %.1f s after the push finished (the push itself took %.1f s)",
		time.Since(pushDone).Seconds(), pushDone.Sub(pushed).Seconds())

	t.Run("debian findings", func(t *testing.T) {
		want := map[string]string{ // package vuln -> fixed version
			"urllib3 CVE-2023-43804": "1.26.17",
			"urllib3 CVE-2023-45803": "1.26.18",
			"stdlib CVE-2023-29400":  "1.19.9",
		}
		got := findingsOf(t, db, debianDigest)
		for k, fixed := range want {
			if got[k] != fixed {
				t.Errorf("finding %s: fixed version %q, want %q", k, got[k], fixed)
			}
		}
		for k := range got {
			if strings.HasPrefix(k, "Jinja2 ") {
				t.Errorf("Jinja2 3.1.2 has finding %s; every Jinja2 record in the snapshot is fixed before 3.1.2", k)
			}
		}
		var stdlibRows int
		var paths []string
		err := db.QueryRow(ctx, `
			SELECT count(*), max(p.paths) FROM image_packages p JOIN images i ON i.id = p.image_id
			WHERE i.digest = $1 AND p.type = 'go-stdlib'`, debianDigest).Scan(&stdlibRows, &paths)
		if err != nil {
			t.Fatal(err)
		}
		if stdlibRows != 1 || !slices.Contains(paths, "/usr/bin/containerd") || !slices.Contains(paths, "/usr/sbin/runc") {
			t.Errorf("Go toolchain packages = %d with paths %v, want one covering containerd and runc", stdlibRows, paths)
		}
		var containerd string
		err = db.QueryRow(ctx, `
			SELECT p.version FROM image_packages p JOIN images i ON i.id = p.image_id
			WHERE i.digest = $1 AND p.type = 'deb' AND p.name = 'containerd' AND p.ecosystem = 'Debian:12'`, debianDigest).Scan(&containerd)
		if err != nil || containerd != "1.6.20~ds1-1+deb12u3" {
			t.Errorf("containerd deb = %q (%v), want 1.6.20~ds1-1+deb12u3 from the image's dpkg status", containerd, err)
		}
		var healthy bool
		var status string
		err = db.QueryRow(ctx, `
			SELECT i.healthy, a.status FROM images i
			JOIN assessments a ON a.resource_kind = 'image' AND a.resource_id = i.id
			WHERE i.digest = $1`, debianDigest).Scan(&healthy, &status)
		if err != nil || healthy || status != "unhealthy" {
			t.Errorf("image healthy=%t assessment=%q (%v), want unhealthy", healthy, status, err)
		}
	})

	t.Run("distroless-style image", func(t *testing.T) {
		digest := harness.PushDistrolessStyle(t, reg, "distroless", "latest")
		waitForImage(t, db, digest, 60*time.Second)
		rows, err := db.Query(ctx, `
			SELECT p.name, p.version FROM image_packages p JOIN images i ON i.id = p.image_id
			WHERE i.digest = $1 AND p.type = 'deb' AND p.ecosystem = 'Debian:12'`, digest)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
			var kv [2]string
			return kv, r.Scan(&kv[0], &kv[1])
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(harness.DistrolessPackages) {
			t.Errorf("distroless packages = %v, want the %d under status.d", got, len(harness.DistrolessPackages))
		}
		for _, kv := range got {
			if harness.DistrolessPackages[kv[0]] != kv[1] {
				t.Errorf("package %s %s not in status.d as written", kv[0], kv[1])
			}
		}
	})

	t.Run("scratch Go binary", func(t *testing.T) {
		digest := harness.PushScratchGoBinary(t, reg, "gobin", "v1")
		waitForImage(t, db, digest, 60*time.Second)
		got := findingsOf(t, db, digest)
		if got["github.com/tidwall/gjson CVE-2020-35380"] != "1.6.4" {
			t.Errorf("gjson findings = %v, want CVE-2020-35380 fixed in 1.6.4", got)
		}
	})

	t.Run("same digest is scanned once", func(t *testing.T) {
		before := scanCount(t, db)
		harness.PushRootFS(t, reg, "debian", "bookworm", rootfs)
		time.Sleep(3 * time.Second) // give a duplicate time to appear
		if after := scanCount(t, db); after != before {
			t.Errorf("pushing the same digest again made %d new scans, want none", after-before)
		}
	})
}

// waitForImage polls until a scan of digest is done, failing on a failed
// scan. The deadline only bounds a hung test; the time it took is logged
// by the caller.
func waitForImage(t *testing.T, db *pgx.Conn, digest string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var state, reason string
		err := db.QueryRow(context.Background(), `
			SELECT state, reason FROM scans WHERE digest = $1 ORDER BY id DESC LIMIT 1`, digest).Scan(&state, &reason)
		if err == nil && state == "failed" {
			t.Fatalf("scan of %s failed: %s", digest, reason)
		}
		if err == nil && state == "done" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no finished scan of %s within %s", digest, within)
}

// findingsOf maps "package vulnerability" to the fixed version for an
// image's open findings.
func findingsOf(t *testing.T, db *pgx.Conn, digest string) map[string]string {
	t.Helper()
	rows, err := db.Query(context.Background(), `
		SELECT p.name, f.vuln_id, f.fixed_version
		FROM findings f JOIN image_packages p ON p.id = f.package_id JOIN images i ON i.id = f.image_id
		WHERE i.digest = $1 AND f.status = 'open'`, digest)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var pkg, vuln, fixed string
	_, err = pgx.ForEachRow(rows, []any{&pkg, &vuln, &fixed}, func() error {
		out[pkg+" "+vuln] = fixed
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func scanCount(t *testing.T, db *pgx.Conn) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM scans`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
