//go:build e2e

package dockerhost_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisadesec/palisade/e2e/dockerhost"
	"github.com/palisadesec/palisade/internal/hostbench"
	"github.com/palisadesec/palisade/internal/hostsnapshot"
	"github.com/palisadesec/palisade/internal/hostsnapshot/collect"
)

// good is the well-configured container's options; every faulty container
// starts from it and changes one thing, so that its failures are exactly
// that fault's.
var good = []string{
	"--read-only", "--memory", "64m", "--cpus", "0.5", "--pids-limit", "64",
	"--security-opt", "no-new-privileges", "--user", "1000:1000",
	"--health-cmd", "true", "--health-interval", "1s",
	"--restart", "on-failure:5", "--cap-drop", "ALL", "--network", "none",
}

// without returns good minus the named flag and its value.
func without(flag string) []string {
	var out []string
	for i := 0; i < len(good); i++ {
		if good[i] == flag {
			if i+1 < len(good) && !strings.HasPrefix(good[i+1], "--") {
				i++
			}
			continue
		}
		out = append(out, good[i])
	}
	return out
}

func TestCollectAndEvaluateRealEngine(t *testing.T) {
	eng := dockerhost.Start(t)
	image := "palisade-e2e/busybox:1"
	usedID := eng.ImportBusybox(t, image)
	unusedID := eng.ImportBusybox(t, "palisade-e2e/unused:1")

	col := collect.New(eng.Socket, "/", "e2e")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// What the agent does: follow events so that health-check execs,
		// which the engine forgets within a second, are seen.
		_ = col.Docker.Events(ctx, map[string][]string{"type": {"container"}}, func(ev collect.Event) {
			col.ObserveEvent(ctx, ev)
		})
	}()

	lowPort := dockerhost.FreeLowPort(t)
	lowPortNet := []string{"--network", "palisade-e2e"}
	if _, err := eng.Try("network", "create", "palisade-e2e"); err != nil {
		t.Logf("no user-defined network on this machine (%v); the low-port container uses the default network mode", err)
		lowPortNet = nil
	}

	tests := []struct {
		name string
		opts []string
		// want lists exactly the container-level controls that fail.
		want []string
	}{
		{
			name: "good",
			opts: good,
			// Non-root user (4.1), memory/CPU/pids limits (5.11, 5.12,
			// 5.29), read-only root (5.13), no-new-privileges (5.26), health
			// check (5.27), on-failure:5 (5.15), all caps dropped (5.4), no
			// network so no ports (5.8, 5.14). Its health-check execs run
			// every second but are the engine's own, so 5.23/5.24 pass.
			// AppArmor/SELinux (5.2/5.3) and docker0 (5.30) do not apply on
			// this host, and are reported once for the host, not here.
			want: nil,
		},
		{
			name: "privileged",
			opts: append(append([]string{}, good...), "--privileged"),
			// 5.5 privileged; a privileged container also holds every
			// capability (5.4) and runs without seccomp filtering (5.22).
			// It cannot start in this sandbox; the configuration is enough.
			want: []string{"5.22", "5.4", "5.5"},
		},
		{
			name: "docker-socket",
			opts: append(append([]string{}, good...), "-v", eng.Socket+":/var/run/docker.sock"),
			// 5.32: the engine's own socket is mounted. The socket lives in
			// a temporary directory, not a host system directory, so 5.6
			// passes.
			want: []string{"5.32"},
		},
		{
			name: "host-network",
			opts: append(without("--network"), "--network", "host"),
			// 5.10 only: it publishes nothing, and host networking is
			// otherwise independent of the other settings.
			want: []string{"5.10"},
		},
		{
			name: "no-memory-limit",
			opts: without("--memory"),
			// 5.11 only.
			want: []string{"5.11"},
		},
		{
			name: "added-caps",
			opts: append(append([]string{}, good...), "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN"),
			// 5.4: SYS_ADMIN and NET_ADMIN are outside Docker's default set
			// (the rest are dropped with ALL).
			want: []string{"5.4"},
		},
		{
			name: "writable-rootfs",
			opts: without("--read-only"),
			// 5.13 only.
			want: []string{"5.13"},
		},
		{
			name: "low-port",
			opts: append(append(without("--network"), lowPortNet...), "-p", fmt.Sprintf("127.0.0.1:%d:8080", lowPort)),
			// 5.8: host port below 1024. It is bound to 127.0.0.1, so 5.14
			// passes; 5.9 (only needed ports) is a judgement call and gives
			// info, not fail.
			want: []string{"5.8"},
		},
	}

	ids := map[string]string{}
	for _, tc := range tests {
		args := append([]string{"create", "--name", tc.name}, tc.opts...)
		ids[tc.name] = eng.Run(t, append(args, image)...)
		if _, err := eng.Try("start", tc.name); err != nil {
			t.Logf("container %s created but not started: %v", tc.name, err)
		}
	}
	time.Sleep(3 * time.Second) // let health checks run a few times

	snap, err := col.Collect(ctx)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	if err := snap.Validate(); err != nil {
		t.Fatalf("validate collected snapshot: %v", err)
	}
	rep, err := hostbench.Evaluate(snap, hostbench.Options{})
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			seen := false
			for _, r := range rep.Results {
				if r.Resource.Kind != hostbench.KindContainer || r.Resource.ID != ids[tc.name] {
					continue
				}
				seen = true
				if r.Status == hostbench.StatusFail {
					got = append(got, r.ControlID)
				}
			}
			if !seen {
				t.Fatalf("no container-level results for %s", tc.name)
			}
			sort.Strings(got)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("failing controls (-want +got):\n%s\n%s", diff, evidence(rep, ids[tc.name]))
			}
		})
	}

	t.Run("images in use told apart", func(t *testing.T) {
		inUse := map[string]bool{}
		for _, im := range snap.Engine.Images.Value {
			inUse[im.ID] = im.InUse
		}
		if !inUse[usedID] || inUse[unusedID] {
			t.Errorf("InUse: used image %v, unused image %v; want true, false", inUse[usedID], inUse[unusedID])
		}
	})

	t.Run("dockerd command line read", func(t *testing.T) {
		p := snap.Host.Dockerd.Value
		if p == nil || !strings.Contains(p.FoundBy, eng.Socket) {
			t.Fatalf("dockerd: %+v %s", p, snap.Host.Dockerd.Reason())
		}
		// --iptables=false is only on the command line.
		if r := result(rep, "2.4"); r.Status != hostbench.StatusFail {
			t.Errorf("2.4 = %s (%s), want fail", r.Status, r.Evidence)
		}
	})

	t.Run("health-check execs seen and not counted", func(t *testing.T) {
		n := 0
		for _, s := range snap.Engine.Execs.Value.Sessions {
			if s.ContainerID == ids["good"] {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no exec sessions recorded for the good container; health checks run every second")
		}
	})
}

func result(rep *hostbench.Report, id string) hostbench.Result {
	for _, r := range rep.Results {
		if r.ControlID == id {
			return r
		}
	}
	return hostbench.Result{}
}

func evidence(rep *hostbench.Report, id string) string {
	var b strings.Builder
	for _, r := range rep.Results {
		if r.Resource.ID == id {
			fmt.Fprintf(&b, "  %s %s: %s\n", r.ControlID, r.Status, r.Evidence)
		}
	}
	return b.String()
}

var _ = hostsnapshot.SchemaVersion
