package hostbench

import (
	"strings"
	"testing"
	"time"

	hs "github.com/palisadesec/palisade/internal/hostsnapshot"
)

func TestModeWithin(t *testing.T) {
	tests := []struct {
		name    string
		mode    hs.Mode
		allowed hs.Mode
		want    bool
	}{
		{name: "0640 passes 644 or stricter", mode: 0o640, allowed: 0o644, want: true},
		{name: "0660 fails 644: group write", mode: 0o660, allowed: 0o644, want: false},
		{name: "0600 passes 644", mode: 0o600, allowed: 0o644, want: true},
		{name: "0604 passes 644 although 604 > 600 as a number", mode: 0o604, allowed: 0o644, want: true},
		{name: "0700 fails 644: owner execute", mode: 0o700, allowed: 0o644, want: false},
		{name: "0444 passes 444", mode: 0o444, allowed: 0o444, want: true},
		{name: "0400 passes 444", mode: 0o400, allowed: 0o444, want: true},
		{name: "04755 fails 755: setuid", mode: 0o4755, allowed: 0o755, want: false},
		{name: "0660 passes 660", mode: 0o660, allowed: 0o660, want: true},
		{name: "0666 fails 660: world write", mode: 0o666, allowed: 0o660, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.mode.Within(tc.allowed); got != tc.want {
				t.Errorf("%s within %s = %v, want %v", tc.mode, tc.allowed, got, tc.want)
			}
		})
	}
}

func TestFileControls(t *testing.T) {
	file := func(role, p string, mode hs.Mode, uid, gid int, group string) hs.File {
		return hs.File{Path: p, Role: role, Read: hs.Read{State: hs.ReadOK}, Type: "file", Mode: mode, UID: uid, GID: gid, Group: group}
	}
	tests := []struct {
		name    string
		files   []hs.File
		dockerd *hs.Process
		control string
		want    Status
		ev      string
	}{
		{name: "daemon.json 0640 passes 3.18", control: "3.18", want: StatusPass,
			files: []hs.File{file("daemon.json", "/etc/docker/daemon.json", 0o640, 0, 0, "root")}, ev: "mode 0640"},
		{name: "daemon.json 0660 fails 3.18", control: "3.18", want: StatusFail,
			files: []hs.File{file("daemon.json", "/etc/docker/daemon.json", 0o660, 0, 0, "root")}, ev: "grants 0020 beyond 0644"},
		{name: "daemon.json 0600 passes 3.18", control: "3.18", want: StatusPass,
			files: []hs.File{file("daemon.json", "/etc/docker/daemon.json", 0o600, 0, 0, "root")}},
		{name: "unit owned by uid 1000 fails 3.1", control: "3.1", want: StatusFail,
			files: []hs.File{file("docker.service", "/lib/systemd/system/docker.service", 0o644, 1000, 0, "root")}},
		{name: "missing unit is not applicable", control: "3.1", want: StatusNotApplicable,
			files: []hs.File{{Path: "/etc/systemd/system/docker.service", Role: "docker.service", Read: hs.Read{State: hs.ReadMissing}}}, ev: "not found"},
		{name: "unreadable unit gives info, never pass", control: "3.2", want: StatusInfo,
			files: []hs.File{{Path: "/lib/systemd/system/docker.service", Role: "docker.service", Read: hs.Read{State: hs.ReadDenied}}},
			ev:    "not readable: permission denied"},
		{name: "socket root:docker 0660 passes 3.15", control: "3.15", want: StatusPass,
			files: []hs.File{file("docker.sock", "/var/run/docker.sock", 0o660, 0, 999, "docker")}},
		{name: "socket root:root fails 3.15", control: "3.15", want: StatusFail,
			files: []hs.File{file("docker.sock", "/var/run/docker.sock", 0o660, 0, 0, "root")}},
		{name: "rootless socket owned by the engine's user passes 3.15", control: "3.15", want: StatusPass,
			dockerd: &hs.Process{PID: 7, UID: 1001, Args: []string{"dockerd"}},
			files:   []hs.File{file("docker.sock", "/run/user/1001/docker.sock", 0o660, 1001, 1001, "alice")}},
		{name: "socket 0666 fails 3.16", control: "3.16", want: StatusFail,
			files: []hs.File{file("docker.sock", "/var/run/docker.sock", 0o666, 0, 999, "docker")}},
		{name: "tls key 0400 passes 3.14", control: "3.14", want: StatusPass,
			files: []hs.File{file("tlskey", "/etc/docker/key.pem", 0o400, 0, 0, "root")}},
		{name: "tls key 0440 fails 3.14", control: "3.14", want: StatusFail,
			files: []hs.File{file("tlskey", "/etc/docker/key.pem", 0o440, 0, 0, "root")}},
		{name: "no tls key configured is not applicable", control: "3.13", want: StatusNotApplicable},
		{name: "cert 0644 fails 3.8 (444 or stricter)", control: "3.8", want: StatusFail,
			files: []hs.File{file("registry-cert", "/etc/docker/certs.d/r:5000/ca.crt", 0o644, 0, 0, "root")}},
		{name: "/etc/docker 0750 passes 3.6", control: "3.6", want: StatusPass,
			files: []hs.File{file("etc-docker", "/etc/docker", 0o750, 0, 0, "root")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := snapshot(loadInfo(t, "docker-info-no-swarm.json"), nil, nil, nil)
			s.Host.Files = tc.files
			if tc.dockerd != nil {
				s.Host.Dockerd = hs.Got(tc.dockerd)
			}
			r := only(t, evaluate(t, s, Options{}), tc.control)
			if r.Status != tc.want || !strings.Contains(r.Evidence, tc.ev) {
				t.Errorf("%s = %s (%q), want %s containing %q", tc.control, r.Status, r.Evidence, tc.want, tc.ev)
			}
		})
	}
}

// TestRealDockerInfo runs the three real `docker info` outputs through the
// daemon controls that /info decides.
func TestRealDockerInfo(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		args    []string
		control string
		want    Status
		ev      string
	}{
		// badsec: Debug=true, SecurityOptions ["foo="], json-file logging.
		{name: "badsec debug fails log level", file: "docker-info-badsec.json", control: "2.3", want: StatusFail, ev: "Debug=true"},
		{name: "badsec has no seccomp", file: "docker-info-badsec.json", control: "2.17", want: StatusFail, ev: "seccomp is not among"},
		{name: "badsec no userns", file: "docker-info-badsec.json", control: "2.9", want: StatusFail},
		{name: "badsec no AppArmor in engine, host has it", file: "docker-info-badsec.json", control: "5.2", want: StatusFail, ev: "host kernel has AppArmor"},
		{name: "badsec json-file logs stay local", file: "docker-info-badsec.json", control: "2.13", want: StatusFail, ev: "json-file"},
		{name: "badsec overlay2 is not aufs", file: "docker-info-badsec.json", control: "2.6", want: StatusPass, ev: "overlay2"},
		{name: "badsec no authz plugin", file: "docker-info-badsec.json", control: "2.12", want: StatusFail},
		{name: "badsec loopback is not an insecure registry", file: "docker-info-badsec.json", control: "2.5", want: StatusPass},
		{name: "badsec live restore off", file: "docker-info-badsec.json", control: "2.15", want: StatusFail},
		{name: "badsec swarm inactive passes 5.1", file: "docker-info-badsec.json", control: "5.1", want: StatusPass},
		{name: "badsec swarm controls do not apply", file: "docker-info-badsec.json", control: "7.3", want: StatusNotApplicable},
		// daemon-warnings: its warnings are about cgroup support and IP
		// forwarding; none says the API is reachable without TLS.
		{name: "daemon-warnings unix socket only: TLS not applicable", file: "docker-info-daemon-warnings.json", control: "2.7", want: StatusNotApplicable},
		{name: "daemon-warnings with tcp on the command line fails TLS", file: "docker-info-daemon-warnings.json",
			args: []string{"dockerd", "-H", "tcp://0.0.0.0:2375", "-H", "unix:///var/run/docker.sock"}, control: "2.7", want: StatusFail, ev: "has no TLS"},
		{name: "daemon-warnings with tls but no verify fails", file: "docker-info-daemon-warnings.json",
			args: []string{"dockerd", "--tls", "-H=tcp://0.0.0.0:2376"}, control: "2.7", want: StatusFail, ev: "without client certificate verification"},
		{name: "daemon-warnings with tlsverify passes", file: "docker-info-daemon-warnings.json",
			args:    []string{"dockerd", "--tlsverify", "--tlscacert=/etc/docker/ca.pem", "--tlscert", "/etc/docker/cert.pem", "--tlskey", "/etc/docker/key.pem", "-H", "tcp://10.0.0.5:2376"},
			control: "2.7", want: StatusPass},
		{name: "daemon-warnings uses AppArmor: containers judged", file: "docker-info-daemon-warnings.json", control: "5.2", want: StatusNotApplicable, ev: "no containers"},
		{name: "daemon-warnings default seccomp is info", file: "docker-info-daemon-warnings.json", control: "2.17", want: StatusInfo, ev: "profile=default"},
		{name: "no-swarm debug on fails 2.3", file: "docker-info-no-swarm.json", control: "2.3", want: StatusFail},
		{name: "no-swarm experimental off", file: "docker-info-no-swarm.json", control: "2.18", want: StatusPass},
		{name: "no-swarm community engine: section 8 not applicable", file: "docker-info-no-swarm.json", control: "8.1.1", want: StatusNotApplicable},
		{name: "no-swarm data root bind-mounted onto itself fails 1.1.1", file: "docker-info-no-swarm.json", control: "1.1.1", want: StatusFail, ev: "only a bind mount"},
		{name: "no-swarm data root on its own partition passes 1.1.1", file: "docker-info-no-swarm.json", control: "1.1.1", want: StatusPass, ev: "xfs on /dev/sdb1"},
		{name: "no-swarm data root on / fails 1.1.1", file: "docker-info-no-swarm.json", control: "1.1.1", want: StatusFail, ev: "/var/lib/docker is not a mount point"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := snapshot(loadInfo(t, tc.file), tc.args, nil, nil)
			if strings.Contains(tc.name, "bind-mounted") {
				s.Host.Mounts.Value = append(s.Host.Mounts.Value,
					hs.Mount{MountPoint: "/var/lib/docker", Root: "/var/lib/docker", FSType: "ext4", Source: "/dev/sda1"})
			}
			if strings.Contains(tc.name, "own partition") {
				s.Host.Mounts.Value = append(s.Host.Mounts.Value,
					hs.Mount{MountPoint: "/var/lib/docker", Root: "/", FSType: "xfs", Source: "/dev/sdb1"})
			}
			r := only(t, evaluate(t, s, Options{}), tc.control)
			if r.Status != tc.want || !strings.Contains(r.Evidence, tc.ev) {
				t.Errorf("%s = %s (%q), want %s containing %q", tc.control, r.Status, r.Evidence, tc.want, tc.ev)
			}
		})
	}
}

func TestTLSWarningFromEngine(t *testing.T) {
	info := loadInfo(t, "docker-info-daemon-warnings.json")
	info.Warnings = append(info.Warnings, "WARNING: API is accessible on http://0.0.0.0:2375 without encryption.")
	// Even with the command line unreadable, the engine's own warning decides.
	s := snapshot(info, nil, nil, nil)
	s.Host.Dockerd = hs.Failed[*hs.Process](hs.Read{State: hs.ReadDenied})
	r := only(t, evaluate(t, s, Options{}), "2.7")
	if r.Status != StatusFail {
		t.Errorf("2.7 = %s (%s), want fail", r.Status, r.Evidence)
	}
}

func TestSettingsFromBothPlaces(t *testing.T) {
	info := loadInfo(t, "docker-info-no-swarm.json")
	tests := []struct {
		name    string
		args    []string
		file    map[string]any
		fileRd  hs.ReadState
		cmdRd   hs.ReadState
		control string
		want    Status
		ev      string
	}{
		{name: "icc=false in daemon.json", file: map[string]any{"icc": false}, control: "2.2", want: StatusPass, ev: "daemon.json"},
		{name: "icc=false on the command line", args: []string{"dockerd", "--icc=false"}, control: "2.2", want: StatusPass, ev: "dockerd --icc"},
		{name: "icc unset: default true fails", control: "2.2", want: StatusFail},
		{name: "icc unset and command line unreadable: info", cmdRd: hs.ReadDenied, control: "2.2", want: StatusInfo, ev: "not readable: dockerd command line"},
		{name: "icc unset and daemon.json unreadable: info", fileRd: hs.ReadDenied, control: "2.2", want: StatusInfo, ev: "not readable: /etc/docker/daemon.json"},
		{name: "userland-proxy false in daemon.json", file: map[string]any{"userland-proxy": false}, control: "2.16", want: StatusPass},
		{name: "no-new-privileges flag", args: []string{"dockerd", "--no-new-privileges"}, control: "2.14", want: StatusPass},
		{name: "no-new-privileges unknown: info not pass", cmdRd: hs.ReadMissing, control: "2.14", want: StatusInfo},
		{name: "iptables false in file", file: map[string]any{"iptables": false}, control: "2.4", want: StatusFail},
		{name: "iptables=false on command line", args: []string{"dockerd", "--iptables=false"}, control: "2.4", want: StatusFail},
		{name: "log-level debug via -l", args: []string{"dockerd", "-l", "debug"}, control: "2.3", want: StatusFail, ev: "log-level=debug"},
		{name: "default ulimits in file", file: map[string]any{"default-ulimits": map[string]any{"nofile": map[string]any{"Hard": 64000.0}}}, control: "2.8", want: StatusPass, ev: "nofile"},
		{name: "cgroup-parent on command line", args: []string{"dockerd", "--cgroup-parent", "/foo"}, control: "2.10", want: StatusFail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args == nil {
				args = []string{"dockerd"}
			}
			s := snapshot(info, args, nil, nil)
			// Without the network list only the settings can decide 2.2.
			s.Engine.Networks = hs.Failed[[]hs.Network](hs.Read{State: hs.ReadFailed})
			if tc.file != nil {
				s.Host.DaemonConfig = hs.Got(&hs.DaemonConfig{Path: "/etc/docker/daemon.json", Parsed: tc.file})
			}
			if tc.fileRd != "" {
				s.Host.DaemonConfig = hs.Item[*hs.DaemonConfig]{Read: hs.Read{State: tc.fileRd}, Value: &hs.DaemonConfig{Path: "/etc/docker/daemon.json"}}
			}
			if tc.cmdRd != "" {
				s.Host.Dockerd = hs.Failed[*hs.Process](hs.Read{State: tc.cmdRd})
			}
			r := only(t, evaluate(t, s, Options{}), tc.control)
			if r.Status != tc.want || !strings.Contains(r.Evidence, tc.ev) {
				t.Errorf("%s = %s (%q), want %s containing %q", tc.control, r.Status, r.Evidence, tc.want, tc.ev)
			}
		})
	}
}

func TestRootless(t *testing.T) {
	info := loadInfo(t, "docker-info-no-swarm.json")
	info.SecurityOptions = []string{"name=seccomp,profile=builtin", "name=rootless", "name=cgroupns"}
	s := snapshot(info, []string{"dockerd", "--host=unix:///run/user/1001/docker.sock"}, []hs.Container{container("web")}, nil)
	s.Host.Dockerd.Value.UID = 1001
	rep := evaluate(t, s, Options{})
	tests := []struct {
		control string
		want    Status
		ev      string
	}{
		{control: "2.1", want: StatusPass, ev: "rootless"},
		{control: "2.9", want: StatusPass, ev: "rootless engine"},
		{control: "5.2", want: StatusNotApplicable, ev: "cannot load AppArmor"},
	}
	for _, tc := range tests {
		t.Run(tc.control, func(t *testing.T) {
			r := only(t, rep, tc.control)
			if r.Status != tc.want || !strings.Contains(r.Evidence, tc.ev) {
				t.Errorf("%s = %s (%q), want %s containing %q", tc.control, r.Status, r.Evidence, tc.want, tc.ev)
			}
		})
	}
}

func TestContainerControls(t *testing.T) {
	info := loadInfo(t, "docker-info-no-swarm.json") // AppArmor host
	tests := []struct {
		name    string
		change  func(c *hs.Container)
		control string
		want    Status
		ev      string
	}{
		{name: "well configured passes 5.14", change: func(*hs.Container) {}, control: "5.14", want: StatusPass},
		{name: "IPv6 wildcard [::]:80 is detected", control: "5.14", want: StatusFail, ev: "[::]:80",
			change: func(c *hs.Container) {
				c.NetworkSettings.Ports = map[string][]hs.PortBinding{"80/tcp": {{HostIP: "::", HostPort: "80"}}}
			}},
		{name: "IPv6 wildcard also fails 5.8", control: "5.8", want: StatusFail, ev: "[::]:80",
			change: func(c *hs.Container) {
				c.NetworkSettings.Ports = map[string][]hs.PortBinding{"80/tcp": {{HostIP: "::", HostPort: "80"}}}
			}},
		{name: "configured port of a stopped container counts", control: "5.8", want: StatusFail, ev: "(configured)",
			change: func(c *hs.Container) {
				c.State = hs.ContainerState{Status: "created"}
				c.HostConfig.PortBindings = map[string][]hs.PortBinding{"80/tcp": {{HostIP: "", HostPort: "443"}}}
			}},
		{name: "loopback binding passes 5.14", control: "5.14", want: StatusPass,
			change: func(c *hs.Container) {
				c.NetworkSettings.Ports = map[string][]hs.PortBinding{"80/tcp": {{HostIP: "127.0.0.1", HostPort: "8080"}}}
			}},
		{name: "restart always fails 5.15", control: "5.15", want: StatusFail,
			change: func(c *hs.Container) { c.HostConfig.RestartPolicy = hs.RestartPolicy{Name: "always"} }},
		{name: "on-failure without limit fails 5.15", control: "5.15", want: StatusFail,
			change: func(c *hs.Container) { c.HostConfig.RestartPolicy = hs.RestartPolicy{Name: "on-failure"} }},
		{name: "added default cap passes 5.4", control: "5.4", want: StatusPass,
			change: func(c *hs.Container) { c.HostConfig.CapAdd = []string{"NET_BIND_SERVICE"} }},
		{name: "added SYS_ADMIN fails 5.4", control: "5.4", want: StatusFail, ev: "SYS_ADMIN",
			change: func(c *hs.Container) { c.HostConfig.CapAdd = []string{"CAP_SYS_ADMIN"} }},
		{name: "unconfined AppArmor fails 5.2 on an AppArmor engine", control: "5.2", want: StatusFail,
			change: func(c *hs.Container) { c.AppArmorProfile = "unconfined" }},
		{name: "rw /etc mount fails 5.6", control: "5.6", want: StatusFail, ev: "/etc",
			change: func(c *hs.Container) {
				c.Mounts = []hs.MountPoint{{Type: "bind", Source: "/etc", Destination: "/host/etc", RW: true}}
			}},
		{name: "ro /etc mount passes 5.6", control: "5.6", want: StatusPass,
			change: func(c *hs.Container) {
				c.Mounts = []hs.MountPoint{{Type: "bind", Source: "/etc/ssl/certs", Destination: "/certs", RW: false}}
			}},
		{name: "docker.sock mounted fails 5.32", control: "5.32", want: StatusFail,
			change: func(c *hs.Container) {
				c.Mounts = []hs.MountPoint{{Type: "bind", Source: "/var/run/docker.sock", Destination: "/var/run/docker.sock", RW: true}}
			}},
		{name: "/var/run mounted holds the socket: fails 5.32", control: "5.32", want: StatusFail, ev: "holds the engine's socket",
			change: func(c *hs.Container) {
				c.Mounts = []hs.MountPoint{{Type: "bind", Source: "/var/run", Destination: "/host-run", RW: false}}
			}},
		{name: "rshared propagation fails 5.20", control: "5.20", want: StatusFail,
			change: func(c *hs.Container) {
				c.Mounts = []hs.MountPoint{{Type: "bind", Source: "/data", Destination: "/data", RW: true, Propagation: "rshared"}}
			}},
		{name: "root user fails 4.1", control: "4.1", want: StatusFail,
			change: func(c *hs.Container) { c.Config.User = "root:root" }},
		{name: "pids limit -1 fails 5.29", control: "5.29", want: StatusFail,
			change: func(c *hs.Container) { c.HostConfig.PidsLimit = i64(-1) }},
		{name: "no-new-privileges:false fails 5.26", control: "5.26", want: StatusFail,
			change: func(c *hs.Container) { c.HostConfig.SecurityOpt = []string{"no-new-privileges:false"} }},
		{name: "health check configured but not started passes 5.27", control: "5.27", want: StatusPass,
			change: func(c *hs.Container) { c.State = hs.ContainerState{Status: "created"} }},
		{name: "seccomp unconfined fails 5.22", control: "5.22", want: StatusFail,
			change: func(c *hs.Container) {
				c.HostConfig.SecurityOpt = append(c.HostConfig.SecurityOpt, "seccomp=unconfined")
			}},
		{name: "sshd running fails 5.7", control: "5.7", want: StatusFail, ev: "sshd",
			change: func(c *hs.Container) { c.Name = "/sshd-box" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := container("web")
			tc.change(&c)
			s := snapshot(info, nil, []hs.Container{c}, nil)
			cmds := []string{"/app/server"}
			if c.Name == "/sshd-box" {
				cmds = append(cmds, "/usr/sbin/sshd -D")
			}
			s.Engine.Processes = hs.Got([]hs.ContainerProcs{{ContainerID: c.ID, Read: hs.Read{State: hs.ReadOK}, Commands: cmds}})
			r := only(t, evaluate(t, s, Options{}), tc.control)
			if r.Resource.Kind != KindContainer || r.Resource.Name != strings.TrimPrefix(c.Name, "/") {
				t.Errorf("resource = %+v, want the container", r.Resource)
			}
			if r.Status != tc.want || !strings.Contains(r.Evidence, tc.ev) {
				t.Errorf("%s = %s (%q), want %s containing %q", tc.control, r.Status, r.Evidence, tc.want, tc.ev)
			}
		})
	}
}

func TestExecSessions(t *testing.T) {
	info := loadInfo(t, "docker-info-no-swarm.json")
	now := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	health := hs.ExecSession{ID: "h1", Command: []string{"/bin/sh", "-c", "wget -q -O- localhost:8080/health"}, Inspected: true, User: "", SeenAt: now}
	tests := []struct {
		name     string
		user     string
		sessions []hs.ExecSession
		control  string
		want     Status
		ev       string
	}{
		{name: "health-check exec as root is not counted for 5.24", user: "root", control: "5.24", want: StatusPass,
			sessions: []hs.ExecSession{health}, ev: "1 of them health checks"},
		{name: "a person's exec as root fails 5.24", user: "1000", control: "5.24", want: StatusFail,
			sessions: []hs.ExecSession{health, {ID: "p1", Command: []string{"sh"}, Inspected: true, User: "0", SeenAt: now}}},
		{name: "exec without --user inherits a non-root user", user: "1000", control: "5.24", want: StatusPass,
			sessions: []hs.ExecSession{{ID: "p2", Command: []string{"sh"}, Inspected: true, SeenAt: now}}},
		{name: "privileged exec fails 5.23", user: "1000", control: "5.23", want: StatusFail,
			sessions: []hs.ExecSession{{ID: "p3", Command: []string{"sh"}, Inspected: true, Privileged: true, User: "1000", SeenAt: now}}},
		{name: "exec gone before inspection gives info", user: "1000", control: "5.23", want: StatusInfo, ev: "ended before",
			sessions: []hs.ExecSession{{ID: "p4", Command: []string{"sh"}, SeenAt: now}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := container("web")
			c.Config.User = tc.user
			for i := range tc.sessions {
				tc.sessions[i].ContainerID = c.ID
			}
			s := snapshot(info, nil, []hs.Container{c}, nil)
			s.Engine.Execs = hs.Got(&hs.ExecHistory{Since: now.Add(-time.Hour), Sessions: tc.sessions})
			r := only(t, evaluate(t, s, Options{}), tc.control)
			if r.Status != tc.want || !strings.Contains(r.Evidence, tc.ev) {
				t.Errorf("%s = %s (%q), want %s containing %q", tc.control, r.Status, r.Evidence, tc.want, tc.ev)
			}
		})
	}
}

func TestImagesInUseToldApart(t *testing.T) {
	info := loadInfo(t, "docker-info-no-swarm.json")
	used := hs.Image{ID: "sha256:aaaa", RepoTags: []string{"app:1"}, InUse: true, History: hs.Got([]hs.Layer{})}
	unused := hs.Image{ID: "sha256:bbbb", RepoTags: []string{"old:1"}, History: hs.Got([]hs.Layer{})}
	s := snapshot(info, nil, []hs.Container{container("web")}, []hs.Image{used, unused})
	rep := evaluate(t, s, Options{})

	byImage := map[string]Result{}
	for _, r := range find(rep, "4.6") {
		byImage[r.Resource.Name] = r
	}
	if r := byImage["app:1"]; r.Status != StatusFail {
		t.Errorf("4.6 for the image in use = %s (%s), want fail", r.Status, r.Evidence)
	}
	if r := byImage["old:1"]; r.Status != StatusInfo || !strings.Contains(r.Evidence, "not used by any container") {
		t.Errorf("4.6 for the unused image = %s (%s), want info saying it is unused", r.Status, r.Evidence)
	}
	if r := only(t, rep, "6.1"); !strings.Contains(r.Evidence, "2 images, 1 used by containers, 1 unused: old:1") {
		t.Errorf("6.1 evidence = %q", r.Evidence)
	}
}

func TestUnreadableNeverPasses(t *testing.T) {
	info := loadInfo(t, "docker-info-no-swarm.json")
	s := snapshot(info, nil, nil, nil)
	s.Engine.Info = hs.Failed[*hs.Info](hs.Read{State: hs.ReadDenied})
	s.Engine.Containers = hs.Failed[[]hs.Container](hs.Read{State: hs.ReadFailed, Detail: "timeout"})
	s.Engine.Images = hs.Failed[[]hs.Image](hs.Read{State: hs.ReadFailed})
	s.Engine.Networks = hs.Failed[[]hs.Network](hs.Read{State: hs.ReadFailed})
	s.Engine.Execs = hs.Failed[*hs.ExecHistory](hs.Read{State: hs.ReadFailed})
	s.Host = hs.Host{
		DaemonConfig: hs.Failed[*hs.DaemonConfig](hs.Read{State: hs.ReadDenied}),
		Dockerd:      hs.Failed[*hs.Process](hs.Read{State: hs.ReadDenied}),
		Audit:        hs.Failed[*hs.AuditRules](hs.Read{State: hs.ReadDenied}),
		Mounts:       hs.Failed[[]hs.Mount](hs.Read{State: hs.ReadDenied}),
		DockerGroup:  hs.Failed[*hs.Group](hs.Read{State: hs.ReadDenied}),
		Listeners:    hs.Failed[[]hs.Listener](hs.Read{State: hs.ReadDenied}),
		Security:     hs.Failed[*hs.LSM](hs.Read{State: hs.ReadDenied}),
		Environment:  hs.Failed[map[string]string](hs.Read{State: hs.ReadDenied}),
		Files: []hs.File{
			{Path: "/lib/systemd/system/docker.service", Role: "docker.service", Read: hs.Read{State: hs.ReadDenied}},
			{Path: "/var/run/docker.sock", Role: "docker.sock", Read: hs.Read{State: hs.ReadDenied}},
		},
	}
	rep := evaluate(t, s, Options{})
	for _, r := range rep.Results {
		if r.Status == StatusPass {
			t.Errorf("%s passed with nothing readable: %s", r.ControlID, r.Evidence)
		}
	}
	for _, id := range []string{"1.1.1", "1.1.3", "2.2", "2.14", "3.1", "3.16", "4.1", "5.4"} {
		r := only(t, rep, id)
		if r.Status != StatusInfo || !strings.Contains(r.Evidence, "not readable") {
			t.Errorf("%s = %s (%q), want info saying not readable", id, r.Status, r.Evidence)
		}
	}
}

func TestAuditRules(t *testing.T) {
	tests := []struct {
		name  string
		rules []string
		path  string
		want  bool
	}{
		{name: "watch on the file", rules: []string{"-w /usr/bin/dockerd -p rwxa -k docker"}, path: "/usr/bin/dockerd", want: true},
		{name: "watch without -p records everything", rules: []string{"-w /usr/bin/dockerd -k docker"}, path: "/usr/bin/dockerd", want: true},
		{name: "watch on a longer name is not a match", rules: []string{"-w /usr/bin/dockerd-rootless.sh -k docker"}, path: "/usr/bin/dockerd", want: false},
		{name: "execute-only watch misses writes", rules: []string{"-w /usr/bin/dockerd -p x"}, path: "/usr/bin/dockerd", want: false},
		{name: "directory watch covers its files", rules: []string{"-w /etc/docker -p wa"}, path: "/etc/docker/daemon.json", want: true},
		{name: "syscall rule with path", rules: []string{"-a always,exit -F path=/usr/bin/runc -F perm=wa -k docker"}, path: "/usr/bin/runc", want: true},
		{name: "never rule does not count", rules: []string{"-a never,exit -F path=/usr/bin/runc"}, path: "/usr/bin/runc", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := auditCovers(tc.rules, tc.path); got != tc.want {
				t.Errorf("auditCovers(%q, %s) = %v, want %v", tc.rules, tc.path, got, tc.want)
			}
		})
	}
}

func TestExemptions(t *testing.T) {
	info := loadInfo(t, "docker-info-no-swarm.json")
	web, db := container("web"), container("db")
	web.HostConfig.Memory, db.HostConfig.Memory = 0, 0
	s := snapshot(info, nil, []hs.Container{web, db}, nil)
	tests := []struct {
		name       string
		exemptions []Exemption
		wantExempt map[string]bool // container name -> exempt for 5.11
		wantErr    bool
	}{
		{name: "one container by name", exemptions: []Exemption{{ControlID: "5.11", Resource: "web", Justification: "batch job sized by the scheduler"}},
			wantExempt: map[string]bool{"web": true, "db": false}},
		{name: "one container by id prefix", exemptions: []Exemption{{ControlID: "5.11", Resource: db.ID[:12], Justification: "tested"}},
			wantExempt: map[string]bool{"web": false, "db": true}},
		{name: "whole control", exemptions: []Exemption{{ControlID: "5.11", Justification: "memory is capped by the VM"}},
			wantExempt: map[string]bool{"web": true, "db": true}},
		{name: "no justification is refused", exemptions: []Exemption{{ControlID: "5.11"}}, wantErr: true},
		{name: "unknown control is refused", exemptions: []Exemption{{ControlID: "9.9", Justification: "x"}}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Evaluate(s, Options{Exemptions: tc.exemptions})
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range find(rep, "5.11") {
				if r.Status != StatusFail {
					t.Errorf("%s: exempt results keep their status; got %s", r.Resource.Name, r.Status)
				}
				if r.Exempt != tc.wantExempt[r.Resource.Name] {
					t.Errorf("%s exempt = %v, want %v", r.Resource.Name, r.Exempt, tc.wantExempt[r.Resource.Name])
				}
			}
		})
	}
}

func TestEveryControlReportsOnce(t *testing.T) {
	s := snapshot(loadInfo(t, "docker-info-no-swarm.json"), nil, []hs.Container{container("a"), container("b")}, nil)
	rep := evaluate(t, s, Options{})
	for _, c := range Controls() {
		rs := find(rep, c.ID)
		want := 1
		if c.Scope == KindContainer && len(rs) > 1 {
			want = 2
		}
		if len(rs) != want {
			t.Errorf("control %s: %d results, want %d", c.ID, len(rs), want)
		}
		for _, r := range rs {
			if r.Evidence == "" || r.Status == "" {
				t.Errorf("control %s: empty status or evidence: %+v", c.ID, r)
			}
		}
	}
}
