package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Registry is a private Debian docker-registry (CNCF distribution) for one
// test, run by scripts/registry.sh with its data in a directory under the
// repository's .data/.
type Registry struct {
	Dir string
	// URL is "http://127.0.0.1:PORT"; Host is "127.0.0.1:PORT", the
	// registry part of image references.
	URL  string
	Host string

	notifyURL, secret string
	t                 testing.TB
}

// StartRegistry starts a registry on a free loopback port. With notifyURL
// and secret, the registry POSTs its push notifications there with
// "Authorization: Bearer secret"; with both empty it sends none. The
// registry is stopped and its data removed in t.Cleanup; its log is
// printed if the test failed.
func StartRegistry(t testing.TB, notifyURL, secret string) *Registry {
	t.Helper()
	if (notifyURL == "") != (secret == "") {
		t.Fatal("StartRegistry: give both a notify URL and a secret, or neither")
	}
	root := RepoRoot(t)
	if err := os.MkdirAll(filepath.Join(root, ".data"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(filepath.Join(root, ".data"), "e2e-registry-")
	if err != nil {
		t.Fatal(err)
	}
	r := &Registry{Dir: dir, notifyURL: notifyURL, secret: secret, t: t}
	t.Cleanup(func() {
		r.registryScript("stop", dir)
		if t.Failed() {
			t.Logf("docker-registry log (%s):\n%s", dir, r.Log())
		}
		_ = os.RemoveAll(dir)
	})
	r.start("0")
	return r
}

// Stop stops the registry, keeping its images.
func (r *Registry) Stop() { r.registryScript("stop", r.Dir) }

// Start starts the stopped registry again, on the same port and with the
// same notifications.
func (r *Registry) Start() { r.start(strings.TrimPrefix(r.Host, "127.0.0.1:")) }

func (r *Registry) start(port string) {
	r.t.Helper()
	args := []string{"start", r.Dir, port}
	if r.notifyURL != "" {
		args = append(args, r.notifyURL, r.secret)
	}
	r.URL = strings.TrimSpace(r.registryScript(args...))
	r.Host = strings.TrimPrefix(r.URL, "http://")
}

// Ref returns "HOST/repo:tag", or "HOST/repo@digest" for a digest.
func (r *Registry) Ref(repo, ref string) string {
	if strings.Contains(ref, ":") {
		return r.Host + "/" + repo + "@" + ref
	}
	return r.Host + "/" + repo + ":" + ref
}

// Log returns what the registry logged so far.
func (r *Registry) Log() string {
	b, err := os.ReadFile(filepath.Join(r.Dir, "registry.log"))
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

func (r *Registry) registryScript(args ...string) string {
	r.t.Helper()
	cmd := exec.Command(filepath.Join(RepoRoot(r.t), "scripts", "registry.sh"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		r.t.Fatalf("scripts/registry.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// Notify restarts the registry so that it sends its push notifications to
// notifyURL with "Authorization: Bearer secret". A registry must exist
// before Palisade can hand out its webhook URL, hence the restart.
func (r *Registry) Notify(notifyURL, secret string) {
	r.t.Helper()
	r.notifyURL, r.secret = notifyURL, secret
	r.Stop()
	r.Start()
}
