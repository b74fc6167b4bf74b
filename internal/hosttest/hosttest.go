package hosttest

import (
	"strings"
	"time"

	hs "github.com/palisadesec/palisade/internal/hostsnapshot"
)

// CollectedAt is when every snapshot from this package was collected.
var CollectedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Snapshot returns a valid snapshot of host "host1": Docker 27.5.1 on
// Debian 12 with kernel 6.1.0-28-amd64, dockerd started from systemd with
// no daemon.json, AppArmor on, no audit rules, the given containers and
// one image they use.
func Snapshot(cs ...hs.Container) *hs.Snapshot {
	if cs == nil {
		cs = []hs.Container{}
	}
	info := &hs.Info{
		ID: "ABCD", Name: "host1", ServerVersion: "27.5.1", OperatingSystem: "Debian GNU/Linux 12 (bookworm)",
		OSType: "linux", KernelVersion: "6.1.0-28-amd64", Architecture: "x86_64", Driver: "overlay2",
		LoggingDriver: "json-file", CgroupDriver: "systemd", CgroupVersion: "2", DockerRootDir: "/var/lib/docker",
		Containers: len(cs), Images: 1,
		SecurityOptions: []string{"name=apparmor", "name=seccomp,profile=builtin", "name=cgroupns"},
		Swarm:           hs.SwarmInfo{LocalNodeState: "inactive"},
	}
	return &hs.Snapshot{
		SchemaVersion: hs.SchemaVersion,
		AgentVersion:  "test",
		CollectedAt:   CollectedAt,
		Hostname:      "host1",
		HostRoot:      "/",
		Engine: hs.Engine{
			Socket:     "/var/run/docker.sock",
			Info:       hs.Got(info),
			Version:    hs.Got(&hs.Version{Version: "27.5.1", KernelVersion: "6.1.0-28-amd64", Os: "linux"}),
			Containers: hs.Got(cs),
			Images:     hs.Got([]hs.Image{Image(cs...)}),
			Networks:   hs.Got([]hs.Network{}),
			Plugins:    hs.Got([]hs.Plugin{}),
			Swarm:      hs.Failed[*hs.SwarmDetails](hs.Skipped("swarm mode is inactive")),
			Execs:      hs.Got(&hs.ExecHistory{Since: CollectedAt.Add(-time.Hour), Sessions: []hs.ExecSession{}}),
			Processes:  hs.Got([]hs.ContainerProcs{}),
		},
		Host: hs.Host{
			DaemonConfig: hs.Item[*hs.DaemonConfig]{Read: hs.Read{State: hs.ReadMissing}},
			Dockerd: hs.Got(&hs.Process{PID: 42, FoundBy: "test",
				Args: []string{"/usr/bin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock"}}),
			Files:       []hs.File{},
			Audit:       hs.Got(&hs.AuditRules{Source: "auditctl", Rules: []string{}}),
			Mounts:      hs.Got([]hs.Mount{{MountPoint: "/", FSType: "ext4", Source: "/dev/sda1"}}),
			DockerGroup: hs.Got(&hs.Group{Name: "docker", GID: 999, Members: []string{}}),
			Listeners:   hs.Got([]hs.Listener{}),
			Security:    hs.Got(&hs.LSM{AppArmor: hs.Got(true), SELinux: hs.Got("disabled")}),
			Environment: hs.Got(map[string]string{}),
		},
	}
}

// ImageID is the ID of the one image in Snapshot.
const ImageID = "sha256:" + "ab12" + "0000000000000000000000000000000000000000000000000000000000"

// Image returns the snapshot's image, used by the containers given.
func Image(cs ...hs.Container) hs.Image {
	im := hs.Image{
		ID: ImageID, RepoTags: []string{"app:1"}, Created: "2026-01-01T00:00:00Z", Size: 5 << 20,
		Config:  hs.ContainerConfig{User: "1000", Healthcheck: &hs.Healthcheck{Test: []string{"CMD", "true"}}},
		InUse:   len(cs) > 0,
		History: hs.Got([]hs.Layer{{CreatedBy: "ADD rootfs.tar /", Size: 5 << 20}}),
	}
	for _, c := range cs {
		im.ContainerIDs = append(im.ContainerIDs, c.ID)
	}
	return im
}

// Container returns a well-configured running container called name,
// with an ID made from the name: non-root, read-only root filesystem,
// memory, CPU and PID limits, every capability dropped, no new
// privileges, a health check, a bounded restart policy and its own
// network with nothing published.
func Container(name string) hs.Container {
	limit := int64(64)
	return hs.Container{
		ID:              (name + strings.Repeat("0", 64))[:64],
		Name:            "/" + name,
		Image:           ImageID,
		State:           hs.ContainerState{Status: "running", Running: true, Pid: 100, Health: &hs.Health{Status: "healthy"}},
		AppArmorProfile: "docker-default",
		HostConfig: hs.HostConfig{
			NetworkMode: "app", ReadonlyRootfs: true, Memory: 64 << 20, NanoCPUs: 5e8, CPUShares: 512,
			PidsLimit: &limit, SecurityOpt: []string{"no-new-privileges"}, CapDrop: []string{"ALL"},
			RestartPolicy: hs.RestartPolicy{Name: "on-failure", MaximumRetryCount: 5},
			IpcMode:       "private", PidMode: "", UTSMode: "", CgroupnsMode: "private",
			LogConfig: hs.LogConfig{Type: "json-file"},
		},
		Config: hs.ContainerConfig{User: "1000", Image: "app:1",
			Healthcheck: &hs.Healthcheck{Test: []string{"CMD", "true"}}},
		NetworkSettings: hs.NetworkSettings{Networks: map[string]hs.EndpointSummary{"app": {}}},
	}
}
