package collect

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	hs "github.com/palisadesec/palisade/internal/hostsnapshot"
)

func TestParseProcNetTCP(t *testing.T) {
	tests := []struct {
		name  string
		proto string
		in    string
		want  []hs.Listener
	}{
		{name: "ipv4 wildcard and loopback, established skipped", proto: "tcp",
			in: `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0979 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0100007F:0979 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0`,
			want: []hs.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 80}, {Proto: "tcp", Address: "127.0.0.1", Port: 2425}}},
		{name: "ipv6 wildcard [::]:80 and ::1", proto: "tcp6",
			in: `  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1
   1: 00000000000000000000000001000000:0951 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2`,
			want: []hs.Listener{{Proto: "tcp6", Address: "::", Port: 80}, {Proto: "tcp6", Address: "::1", Port: 2385}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseProcNetTCP(tc.in, tc.proto)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMountinfo(t *testing.T) {
	in := `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
35 22 8:17 / /var/lib/docker rw,relatime shared:20 - xfs /dev/sdb1 rw
40 22 0:44 / /mnt/with\040space rw - tmpfs tmpfs rw`
	want := []hs.Mount{
		{MountPoint: "/", Root: "/", FSType: "ext4", Source: "/dev/sda1", Options: "rw,relatime"},
		{MountPoint: "/var/lib/docker", Root: "/", FSType: "xfs", Source: "/dev/sdb1", Options: "rw,relatime"},
		{MountPoint: "/mnt/with space", Root: "/", FSType: "tmpfs", Source: "tmpfs", Options: "rw"},
	}
	if diff := cmp.Diff(want, parseMountinfo(in)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFlagValues(t *testing.T) {
	args := []string{"dockerd", "-H", "unix:///run/d.sock", "--host=tcp://127.0.0.1:2376", "--exec-root", "/x", "--config-file=/etc/d.json"}
	tests := []struct {
		name  string
		names []string
		want  []string
	}{
		{name: "hosts in both forms", names: []string{"-H", "--host"}, want: []string{"unix:///run/d.sock", "tcp://127.0.0.1:2376"}},
		{name: "separate value", names: []string{"--exec-root"}, want: []string{"/x"}},
		{name: "equals value", names: []string{"--config-file"}, want: []string{"/etc/d.json"}},
		{name: "absent", names: []string{"--containerd"}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, flagValues(args, tc.names...)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnvNames(t *testing.T) {
	got := envNames([]string{"PATH=/bin", "DB_PASSWORD=hunter2", "EMPTY="})
	if diff := cmp.Diff([]string{"PATH", "DB_PASSWORD", "EMPTY"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestHostPath(t *testing.T) {
	tests := []struct {
		name, root, in, want string
	}{
		{name: "on the host", root: "/", in: "/var/run/docker.sock", want: "/var/run/docker.sock"},
		{name: "in a container", root: "/host", in: "/host/run/docker.sock", want: "/run/docker.sock"},
		{name: "outside the host root", root: "/host", in: "/var/run/docker.sock", want: "/var/run/docker.sock"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Collector{HostRoot: tc.root}
			if got := c.hostPath(tc.in); got != tc.want {
				t.Errorf("hostPath(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}
