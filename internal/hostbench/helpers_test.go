package hostbench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hs "github.com/palisadesec/palisade/internal/hostsnapshot"
)

// loadInfo reads one of the real `docker info` outputs in testdata.
func loadInfo(t *testing.T, name string) *hs.Info {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	var info hs.Info
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return &info
}

// snapshot returns a readable snapshot of a host with the given info, a
// dockerd started with args, no daemon.json, and the containers and
// images given.
func snapshot(info *hs.Info, args []string, cs []hs.Container, ims []hs.Image) *hs.Snapshot {
	if args == nil {
		args = []string{"/usr/bin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock"}
	}
	if cs == nil {
		cs = []hs.Container{}
	}
	if ims == nil {
		ims = []hs.Image{}
	}
	return &hs.Snapshot{
		SchemaVersion: hs.SchemaVersion,
		CollectedAt:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Hostname:      "host1",
		HostRoot:      "/",
		Engine: hs.Engine{
			Info:       hs.Got(info),
			Version:    hs.Got(&hs.Version{Version: info.ServerVersion}),
			Containers: hs.Got(cs),
			Images:     hs.Got(ims),
			Networks:   hs.Got([]hs.Network{}),
			Plugins:    hs.Got([]hs.Plugin{}),
			Swarm:      hs.Failed[*hs.SwarmDetails](hs.Skipped("swarm mode is inactive")),
			Execs:      hs.Got(&hs.ExecHistory{Sessions: []hs.ExecSession{}}),
			Processes:  hs.Got([]hs.ContainerProcs{}),
		},
		Host: hs.Host{
			DaemonConfig: hs.Item[*hs.DaemonConfig]{Read: hs.Read{State: hs.ReadMissing}, Value: &hs.DaemonConfig{Path: "/etc/docker/daemon.json"}},
			Dockerd:      hs.Got(&hs.Process{PID: 42, Args: args, FoundBy: "test"}),
			Audit:        hs.Got(&hs.AuditRules{Source: "auditctl", Rules: []string{}}),
			Mounts:       hs.Got([]hs.Mount{{MountPoint: "/", FSType: "ext4", Source: "/dev/sda1"}}),
			DockerGroup:  hs.Got(&hs.Group{Name: "docker", GID: 999, Members: []string{}}),
			Listeners:    hs.Got([]hs.Listener{}),
			Security: hs.Got(&hs.LSM{
				AppArmor: hs.Got(true),
				SELinux:  hs.Got("disabled"),
			}),
			Environment: hs.Got(map[string]string{}),
		},
	}
}

func evaluate(t *testing.T, s *hs.Snapshot, opts Options) *Report {
	t.Helper()
	rep, err := Evaluate(s, opts)
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return rep
}

// find returns the results of one control.
func find(rep *Report, id string) []Result {
	var out []Result
	for _, r := range rep.Results {
		if r.ControlID == id {
			out = append(out, r)
		}
	}
	return out
}

func only(t *testing.T, rep *Report, id string) Result {
	t.Helper()
	rs := find(rep, id)
	if len(rs) != 1 {
		t.Fatalf("control %s: %d results, want 1: %+v", id, len(rs), rs)
	}
	return rs[0]
}

func i64(v int64) *int64 { return &v }

// container returns a well-configured running container; tests change it.
func container(name string) hs.Container {
	return hs.Container{
		ID:              (name + strings.Repeat("0", 64))[:64],
		Name:            "/" + name,
		Image:           "sha256:aaaa",
		State:           hs.ContainerState{Status: "running", Running: true, Health: &hs.Health{Status: "healthy"}},
		AppArmorProfile: "docker-default",
		HostConfig: hs.HostConfig{
			NetworkMode: "app", ReadonlyRootfs: true, Memory: 64 << 20, NanoCPUs: 5e8,
			PidsLimit: i64(64), SecurityOpt: []string{"no-new-privileges"}, CapDrop: []string{"ALL"},
			RestartPolicy: hs.RestartPolicy{Name: "on-failure", MaximumRetryCount: 5},
		},
		Config: hs.ContainerConfig{User: "1000", Image: "app:1",
			Healthcheck: &hs.Healthcheck{Test: []string{"CMD-SHELL", "wget -q -O- localhost:8080/health"}}},
		NetworkSettings: hs.NetworkSettings{Networks: map[string]hs.EndpointSummary{"app": {}}},
	}
}
