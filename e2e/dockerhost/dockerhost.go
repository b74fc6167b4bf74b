// Package dockerhost starts a private Docker engine for end-to-end tests
// (through scripts/dockerd.sh), imports a small busybox image from a
// tarball built on the spot, and runs docker commands against it. Nothing
// is pulled from a registry.
package dockerhost

import (
	"archive/tar"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Engine is a running private dockerd.
type Engine struct {
	// Dir holds the engine's data root, exec root, pid file and log.
	Dir string
	// Socket is the path of the engine's unix socket.
	Socket string
	cli    string
}

// Start starts a private engine for the test and stops it (and removes its
// directory) when the test ends.
func Start(t testing.TB) *Engine {
	t.Helper()
	root := repoRoot(t)
	// Keep the directory short: unix socket paths are limited to 107 bytes.
	dir, err := os.MkdirTemp("", "pal-dh-")
	if err != nil {
		t.Fatalf("make engine dir: %v", err)
	}
	script := filepath.Join(root, "scripts", "dockerd.sh")
	out, err := exec.Command(script, "start", dir).Output()
	if err != nil {
		t.Fatalf("%s start %s: %v\n%s", script, dir, err, stderrOf(err))
	}
	e := &Engine{Dir: dir, Socket: strings.TrimPrefix(strings.TrimSpace(string(out)), "unix://"), cli: dockerCLI()}
	t.Cleanup(func() {
		e.removeAll(t)
		if out, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("%s stop %s: %v\n%s", script, dir, err, out)
		}
		if t.Failed() {
			t.Logf("engine log kept in %s/dockerd.log", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return e
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// dockerCLI prefers Debian's client, which matches Debian's engine.
func dockerCLI() string {
	if _, err := os.Stat("/usr/bin/docker"); err == nil {
		return "/usr/bin/docker"
	}
	return "docker"
}

func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Run runs a docker command against the engine and returns its trimmed
// standard output, failing the test on error.
func (e *Engine) Run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := e.Try(args...)
	if err != nil {
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// Try runs a docker command and returns its output or an error carrying
// its standard error.
func (e *Engine) Try(args ...string) (string, error) {
	cmd := exec.Command(e.cli, append([]string{"-H", "unix://" + e.Socket}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// ImportBusybox builds a root filesystem tarball holding a static busybox
// (from Debian's busybox-static) and imports it as ref, with sleep as its
// command. It returns the image ID.
func (e *Engine) ImportBusybox(t testing.TB, ref string) string {
	t.Helper()
	tarball := filepath.Join(e.Dir, strings.NewReplacer("/", "_", ":", "_").Replace(ref)+".tar")
	if err := writeBusyboxTar(tarball); err != nil {
		t.Fatalf("build image tarball: %v", err)
	}
	e.Run(t, "import", "--change", `CMD ["/bin/sleep","3600"]`, tarball, ref)
	return e.Run(t, "image", "inspect", "--format", "{{.Id}}", ref)
}

func writeBusyboxTar(path string) error {
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return fmt.Errorf("read /bin/busybox (Debian busybox-static): %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	now := time.Now()
	hdrs := []*tar.Header{
		{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: now},
		{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777, ModTime: now},
		{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bb)), ModTime: now},
	}
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			f.Close()
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(bb); err != nil {
				f.Close()
				return err
			}
		}
	}
	for _, applet := range []string{"sh", "sleep", "true", "ps", "id", "ls", "cat"} {
		h := &tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777, ModTime: now}
		if err := tw.WriteHeader(h); err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// FreeLowPort finds a loopback port below 1024 that nothing listens on.
func FreeLowPort(t testing.TB) int {
	t.Helper()
	for p := 990; p > 600; p-- {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			l.Close()
			return p
		}
	}
	t.Fatalf("no free loopback port between 601 and 990")
	return 0
}

// removeAll removes the engine's containers and user networks, so that no
// bridge interface is left on the host after the engine stops.
func (e *Engine) removeAll(t testing.TB) {
	if ids, err := e.Try("ps", "-aq"); err == nil && ids != "" {
		if _, err := e.Try(append([]string{"rm", "-f"}, strings.Fields(ids)...)...); err != nil {
			t.Logf("remove containers: %v", err)
		}
	}
	if _, err := e.Try("network", "prune", "-f"); err != nil {
		t.Logf("prune networks: %v", err)
	}
}
