package dockerhost

import (
	"fmt"
	"strings"
	"testing"
)

// Good is the well-configured container's options. Every faulty container
// starts from it and changes one thing, so that its failures are exactly
// that fault's.
var Good = []string{
	"--read-only", "--memory", "64m", "--cpus", "0.5", "--pids-limit", "64",
	"--security-opt", "no-new-privileges", "--user", "1000:1000",
	"--health-cmd", "true", "--health-interval", "1s",
	"--restart", "on-failure:5", "--cap-drop", "ALL", "--network", "none",
}

// Without returns Good minus the named flag and its value.
func Without(flag string) []string {
	var out []string
	for i := 0; i < len(Good); i++ {
		if Good[i] == flag {
			if i+1 < len(Good) && !strings.HasPrefix(Good[i+1], "--") {
				i++
			}
			continue
		}
		out = append(out, Good[i])
	}
	return out
}

func with(extra ...string) []string {
	return append(append([]string{}, Good...), extra...)
}

// Fault is one container of the faulty set.
type Fault struct {
	Name string
	Opts []string
	// Want lists exactly the container-level controls it fails, worked
	// out by hand.
	Want []string
}

// Faults are the containers of the faulty set on this engine: a
// well-configured one and one per fault. lowPort is a free host port below
// 1024; lowPortNet is the network the container publishing it joins (nil
// for the default network mode).
func (e *Engine) Faults(lowPort int, lowPortNet []string) []Fault {
	return []Fault{
		{
			Name: "good",
			Opts: Good,
			// Non-root user (4.1), memory/CPU/pids limits (5.11, 5.12,
			// 5.29), read-only root (5.13), no-new-privileges (5.26), health
			// check (5.27), on-failure:5 (5.15), all caps dropped (5.4), no
			// network so no ports (5.8, 5.14). Its health-check execs run
			// every second but are the engine's own, so 5.23/5.24 pass.
			// AppArmor/SELinux (5.2/5.3) and docker0 (5.30) do not apply on
			// this host, and are reported once for the host, not here.
			Want: nil,
		},
		{
			Name: "privileged",
			Opts: with("--privileged"),
			// 5.5 privileged; a privileged container also holds every
			// capability (5.4) and runs without seccomp filtering (5.22).
			// It cannot start in this sandbox; the configuration is enough.
			Want: []string{"5.22", "5.4", "5.5"},
		},
		{
			Name: "docker-socket",
			Opts: with("-v", e.Socket+":/var/run/docker.sock"),
			// 5.32: the engine's own socket is mounted. The socket lives in
			// a temporary directory, not a host system directory, so 5.6
			// passes.
			Want: []string{"5.32"},
		},
		{
			Name: "host-network",
			Opts: append(Without("--network"), "--network", "host"),
			// 5.10 only: it publishes nothing, and host networking is
			// otherwise independent of the other settings.
			Want: []string{"5.10"},
		},
		{
			Name: "no-memory-limit",
			Opts: Without("--memory"),
			// 5.11 only.
			Want: []string{"5.11"},
		},
		{
			Name: "added-caps",
			Opts: with("--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN"),
			// 5.4: SYS_ADMIN and NET_ADMIN are outside Docker's default set
			// (the rest are dropped with ALL).
			Want: []string{"5.4"},
		},
		{
			Name: "writable-rootfs",
			Opts: Without("--read-only"),
			// 5.13 only.
			Want: []string{"5.13"},
		},
		{
			Name: "low-port",
			Opts: append(append(Without("--network"), lowPortNet...), "-p", fmt.Sprintf("127.0.0.1:%d:8080", lowPort)),
			// 5.8: host port below 1024. It is bound to 127.0.0.1, so 5.14
			// passes; 5.9 (only needed ports) is a judgement call and gives
			// info, not fail.
			Want: []string{"5.8"},
		},
	}
}

// CreateFaults creates the faulty set from image and starts what can
// start. It returns the set and each container's ID by name.
func (e *Engine) CreateFaults(t testing.TB, image string) ([]Fault, map[string]string) {
	t.Helper()
	lowPort := FreeLowPort(t)
	lowPortNet := []string{"--network", "palisade-e2e"}
	if _, err := e.Try("network", "create", "palisade-e2e"); err != nil {
		t.Logf("no user-defined network on this machine (%v); the low-port container uses the default network mode", err)
		lowPortNet = nil
	}
	faults := e.Faults(lowPort, lowPortNet)
	ids := map[string]string{}
	for _, f := range faults {
		args := append([]string{"create", "--name", f.Name}, f.Opts...)
		ids[f.Name] = e.Run(t, append(args, image)...)
		if _, err := e.Try("start", f.Name); err != nil {
			t.Logf("container %s created but not started: %v", f.Name, err)
		}
	}
	return faults, ids
}
