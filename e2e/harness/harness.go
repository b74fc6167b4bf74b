package harness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RepoRoot is the repository's top directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("harness: cannot locate the repository")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Binary returns the palisade binary named by PALISADE_BIN, which
// `make test` builds and sets.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("PALISADE_BIN")
	if bin == "" {
		t.Fatal("PALISADE_BIN is not set: run the e2e tests through `make test`, which builds the binary")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("PALISADE_BIN: %v", err)
	}
	return bin
}

// Postgres is a private PostgreSQL cluster for one test.
type Postgres struct {
	Dir string
	URL string
	t   testing.TB
}

// StartPostgres creates and starts a throwaway cluster on a free port.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	root := RepoRoot(t)
	if err := os.MkdirAll(filepath.Join(root, ".data"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(filepath.Join(root, ".data"), "e2e-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p := &Postgres{Dir: dir, t: t}
	p.URL = strings.TrimSpace(p.pgScript("start", "--fast", dir, "0"))
	t.Cleanup(func() { p.pgScript("destroy", dir) })
	return p
}

// Stop stops the cluster, keeping its data.
func (p *Postgres) Stop() { p.pgScript("stop", p.Dir) }

// Start starts the stopped cluster again on the same port.
func (p *Postgres) Start() { p.pgScript("start", p.Dir) }

func (p *Postgres) pgScript(args ...string) string {
	p.t.Helper()
	cmd := exec.Command(filepath.Join(RepoRoot(p.t), "scripts", "pg.sh"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		p.t.Fatalf("scripts/pg.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// Server is a running `palisade serve`.
type Server struct {
	URL  string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

// syncBuffer collects a process's output for the failure report.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// BaseEnv returns the settings every e2e server needs: the database, a
// secret key, a free loopback port, and no reach beyond loopback.
func BaseEnv(t testing.TB, databaseURL string) map[string]string {
	t.Helper()
	return map[string]string{
		"PALISADE_DATABASE_URL":       databaseURL,
		"PALISADE_SECRET_KEY":         "e2e-secret-key-0123456789abcdef0123456789",
		"PALISADE_LISTEN_ADDR":        fmt.Sprintf("127.0.0.1:%d", FreePort(t)),
		"PALISADE_FEED_SYNC_INTERVAL": "0",
		"PALISADE_LOG_LEVEL":          "debug",
	}
}

// StartServer runs `palisade serve` with env and waits until /healthz
// answers. Its output is printed if the test fails.
func StartServer(t testing.TB, env map[string]string) *Server {
	t.Helper()
	cmd := exec.Command(Binary(t), "serve")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &Server{URL: "http://" + env["PALISADE_LISTEN_ADDR"], cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start palisade: %v", err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		s.Stop(t)
		if t.Failed() {
			t.Logf("palisade output:\n%s", s.logs.String())
		}
	})
	s.WaitFor(t, "/healthz", http.StatusOK, 60*time.Second)
	return s
}

// Logs returns what the server printed so far.
func (s *Server) Logs() string { return s.logs.String() }

// Stop sends SIGTERM and waits for a graceful exit, returning its error.
func (s *Server) Stop(t testing.TB) error {
	t.Helper()
	if s.cmd.ProcessState != nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Errorf("palisade did not stop within 60s of SIGTERM")
		return <-s.done
	}
}

// WaitFor polls path until it answers status; the deadline only bounds a
// hung test.
func (s *Server) WaitFor(t testing.TB, path string, status int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("palisade exited (%v) while waiting for %s:\n%s", err, path, s.logs.String())
		default:
		}
		code, _, err := Get(s.URL + path)
		if err == nil && code == status {
			return
		}
		last = fmt.Sprintf("%d %v", code, err)
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s did not answer %d within %s (last: %s)", path, status, within, last)
}

// Get fetches url and returns the status and body.
func Get(url string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RunPalisade runs a one-shot palisade command and returns its output and
// exit code.
func RunPalisade(t testing.TB, env map[string]string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		t.Fatalf("run palisade %v: %v", args, err)
	}
	return string(out), 0
}

// OSVZip returns the path of an OSV zip the repository ships ("Go.zip",
// "PyPI.zip"), the shared data files byte for byte.
func OSVZip(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), "internal", "feeds", "snapshot", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("OSV zip %s: %v", name, err)
	}
	return p
}
