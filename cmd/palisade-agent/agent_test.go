package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
)

func TestCheckServerURL(t *testing.T) {
	tests := []struct {
		name, url string
		ok        bool
	}{
		{name: "https", url: "https://palisade.example.com", ok: true},
		{name: "http to 127.0.0.1", url: "http://127.0.0.1:8080", ok: true},
		{name: "http to ::1", url: "http://[::1]:8080", ok: true},
		{name: "http to localhost", url: "http://localhost:8080", ok: true},
		{name: "http to another host", url: "http://palisade.example.com", ok: false},
		{name: "http to a private address", url: "http://10.0.0.5", ok: false},
		{name: "other scheme", url: "ftp://127.0.0.1", ok: false},
		{name: "empty", url: "", ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkServerURL(tc.url); (err == nil) != tc.ok {
				t.Errorf("checkServerURL(%q) = %v, want ok=%v", tc.url, err, tc.ok)
			}
		})
	}
}

// fakeServer is the server side of docs/agent-protocol.md.
type fakeServer struct {
	mu        sync.Mutex
	enrolls   int
	snapshots []*hostsnapshot.Snapshot
	reject    bool
	got       chan struct{}
}

func (f *fakeServer) handler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/agent/v1/enroll", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Token, Hostname string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Token != "one-time" || req.Hostname == "" {
			problemJSON(w, http.StatusUnauthorized, "Invalid enrolment token", "the token is unknown or used")
			return
		}
		f.mu.Lock()
		f.enrolls++
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]string{"host_id": "h-1", "credential": "secret-cred"})
	})
	mux.HandleFunc("POST /api/agent/v1/snapshots", func(w http.ResponseWriter, r *http.Request) {
		if f.reject || r.Header.Get("Authorization") != "Bearer secret-cred" {
			problemJSON(w, http.StatusUnauthorized, "Unknown credential", "enrol again")
			return
		}
		if r.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("snapshot not gzipped")
		}
		s, err := hostsnapshot.Decode(r.Body)
		if err != nil {
			problemJSON(w, http.StatusBadRequest, "Invalid snapshot", err.Error())
			return
		}
		f.mu.Lock()
		f.snapshots = append(f.snapshots, s)
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		if f.got != nil {
			f.got <- struct{}{}
		}
	})
	return mux
}

func problemJSON(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": title, "status": status, "detail": detail})
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestEnrolOnceThenSend(t *testing.T) {
	fs := &fakeServer{}
	srv := httptest.NewServer(fs.handler(t))
	defer srv.Close()
	credFile := filepath.Join(t.TempDir(), "agent", "credential.json")
	args := []string{"-once", "-server", srv.URL, "-credential-file", credFile,
		"-docker-socket", filepath.Join(t.TempDir(), "no-engine.sock"), "-hostname", "host1"}

	tests := []struct {
		name        string
		env         map[string]string
		wantEnrolls int
		wantSent    int
	}{
		{name: "first run enrols with the token from the environment", env: map[string]string{"PALISADE_AGENT_TOKEN": "one-time"}, wantEnrolls: 1, wantSent: 1},
		{name: "second run uses the stored credential", env: map[string]string{}, wantEnrolls: 1, wantSent: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := run(context.Background(), args, env(tc.env), io.Discard, io.Discard); err != nil {
				t.Fatalf("run: %v", err)
			}
			if fs.enrolls != tc.wantEnrolls || len(fs.snapshots) != tc.wantSent {
				t.Errorf("enrols %d, snapshots %d; want %d, %d", fs.enrolls, len(fs.snapshots), tc.wantEnrolls, tc.wantSent)
			}
			fi, err := os.Stat(credFile)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("credential file: %v, mode %v; want 0600", err, fi.Mode())
			}
		})
	}
	s := fs.snapshots[0]
	if s.Hostname != "host1" || s.Engine.Info.OK() || !strings.Contains(s.Engine.Info.Reason(), "not readable") {
		t.Errorf("snapshot of a host without engine: hostname %q, info %s", s.Hostname, s.Engine.Info.Reason())
	}
}

func TestServerRejects(t *testing.T) {
	fs := &fakeServer{reject: true}
	srv := httptest.NewServer(fs.handler(t))
	defer srv.Close()
	dir := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "bad token", env: map[string]string{"PALISADE_AGENT_TOKEN": "wrong"}, want: "Invalid enrolment token"},
		{name: "no token and no credential", env: map[string]string{}, want: "no enrolment token"},
		{name: "credential refused", env: map[string]string{"PALISADE_AGENT_TOKEN": "one-time"}, want: "Unknown credential: enrol again"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"-once", "-server", srv.URL, "-credential-file", filepath.Join(dir, tc.name),
				"-docker-socket", filepath.Join(dir, "none.sock")}
			err := run(context.Background(), args, env(tc.env), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run = %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(tc.want, "Unknown") && !errors.Is(err, errRejected) {
				t.Errorf("a 401 should be errRejected: %v", err)
			}
		})
	}
}

// fakeEngine serves just enough of the Engine API on a unix socket: one
// container event on the stream, 404 for everything else.
func fakeEngine(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pal-agent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
		fmt.Fprintln(w, `{"Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"web"}}}`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"page not found"}`, http.StatusNotFound)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock
}

func TestSendsAfterDockerEvent(t *testing.T) {
	fs := &fakeServer{got: make(chan struct{}, 10)}
	srv := httptest.NewServer(fs.handler(t))
	defer srv.Close()
	sock := fakeEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args := []string{"-server", srv.URL, "-credential-file", filepath.Join(t.TempDir(), "c.json"),
		"-docker-socket", sock, "-interval", "1h", "-debounce", "100ms", "-hostname", "host1"}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, env(map[string]string{"PALISADE_AGENT_TOKEN": "one-time"}), io.Discard, io.Discard)
	}()

	for i, why := range []string{"at start", "after the container event"} {
		select {
		case <-fs.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("snapshot %d (%s) not sent within 10s", i+1, why)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
