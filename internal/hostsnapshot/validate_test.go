package hostsnapshot

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func valid() *Snapshot {
	return &Snapshot{
		SchemaVersion: SchemaVersion,
		AgentVersion:  "test",
		CollectedAt:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Hostname:      "host1",
		HostRoot:      "/",
		Engine: Engine{
			Info:       Got(&Info{ServerVersion: "27.0.1"}),
			Version:    Got(&Version{Version: "27.0.1"}),
			Containers: Got([]Container{{ID: "c1", Config: ContainerConfig{Env: []string{"PATH"}}}}),
			Images:     Got([]Image{{ID: "sha256:1", History: Got([]Layer{})}}),
			Networks:   Got([]Network{}),
			Plugins:    Got([]Plugin{}),
			Swarm:      Failed[*SwarmDetails](Skipped("swarm mode is inactive")),
			Execs:      Got(&ExecHistory{}),
			Processes:  Got([]ContainerProcs{}),
		},
		Host: Host{
			DaemonConfig: Failed[*DaemonConfig](Read{State: ReadMissing}),
			Dockerd:      Got(&Process{PID: 1, Args: []string{"dockerd"}}),
			Files:        []File{{Path: "/etc/docker", Role: "etc-docker", Read: Read{State: ReadOK}, Mode: 0o755}},
			Audit:        Failed[*AuditRules](Read{State: ReadDenied}),
			Mounts:       Got([]Mount{}),
			DockerGroup:  Failed[*Group](Read{State: ReadMissing}),
			Listeners:    Got([]Listener{}),
			Security:     Got(&LSM{AppArmor: Got(true), SELinux: Got("disabled")}),
			Environment:  Got(map[string]string{}),
		},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *Snapshot)
		want   string // substring of the error; empty means valid
	}{
		{name: "valid", change: func(*Snapshot) {}},
		{name: "unknown schema version", change: func(s *Snapshot) { s.SchemaVersion = 2 }, want: "schema_version is 2"},
		{name: "missing schema version", change: func(s *Snapshot) { s.SchemaVersion = 0 }, want: "schema_version is 0"},
		{name: "missing hostname", change: func(s *Snapshot) { s.Hostname = "" }, want: "hostname is missing"},
		{name: "missing collected_at", change: func(s *Snapshot) { s.CollectedAt = time.Time{} }, want: "collected_at is missing"},
		{name: "unknown read state", change: func(s *Snapshot) { s.Engine.Images.Read.State = "maybe" }, want: `engine.images.read.state "maybe"`},
		{name: "empty read state", change: func(s *Snapshot) { s.Host.Mounts.Read = Read{} }, want: "host.mounts.read.state"},
		{name: "info ok without value", change: func(s *Snapshot) { s.Engine.Info.Value = nil }, want: "engine.info is ok but has no value"},
		{name: "too many containers", change: func(s *Snapshot) {
			cs := make([]Container, MaxContainers+1)
			for i := range cs {
				cs[i].ID = strings.Repeat("a", 10) + string(rune('a'+i%26)) + time.Duration(i).String()
			}
			s.Engine.Containers = Got(cs)
		}, want: "engine.containers has 5001 entries, more than the limit of 5000"},
		{name: "too many images", change: func(s *Snapshot) {
			ims := make([]Image, MaxImages+1)
			for i := range ims {
				ims[i] = Image{ID: "x", History: Got([]Layer{})}
			}
			s.Engine.Images = Got(ims)
		}, want: "engine.images has 10001 entries"},
		{name: "duplicate container", change: func(s *Snapshot) {
			s.Engine.Containers = Got([]Container{{ID: "c1"}, {ID: "c1"}})
		}, want: "container c1 listed twice"},
		{name: "container without id", change: func(s *Snapshot) { s.Engine.Containers = Got([]Container{{}}) }, want: "has no Id"},
		{name: "environment values are refused", change: func(s *Snapshot) {
			s.Engine.Containers.Value[0].Config.Env = []string{"DB_PASSWORD=hunter2"}
		}, want: `holds a value for "DB_PASSWORD"`},
		{name: "oversize string", change: func(s *Snapshot) {
			s.Engine.Images.Value[0].History = Got([]Layer{{CreatedBy: strings.Repeat("x", MaxString+1)}})
		}, want: "History.CreatedBy is 65537 bytes long"},
		{name: "file without role", change: func(s *Snapshot) { s.Host.Files[0].Role = "" }, want: "needs a path and a role"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := valid()
			tc.change(s)
			err := s.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
		})
	}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestDecode(t *testing.T) {
	var good bytes.Buffer
	if err := Encode(&good, valid()); err != nil {
		t.Fatal(err)
	}
	huge := append([]byte(`{"schema_version":1,"hostname":"`), bytes.Repeat([]byte("a"), MaxBytes)...)
	huge = append(huge, `"}`...)
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{name: "plain JSON", body: good.Bytes()},
		{name: "gzipped JSON", body: gz(good.Bytes())},
		{name: "empty body", body: nil, want: "empty body"},
		{name: "not JSON", body: []byte("hello"), want: "json"},
		{name: "truncated JSON", body: good.Bytes()[:good.Len()/2], want: "json"},
		{name: "two objects", body: append(append([]byte{}, good.Bytes()...), good.Bytes()...), want: "data after the JSON object"},
		{name: "wrong type", body: []byte(`{"schema_version":"one"}`), want: "json"},
		{name: "bad mode", body: bytes.Replace(good.Bytes(), []byte(`"mode":"0755"`), []byte(`"mode":"0999"`), 1), want: "not an octal mode"},
		{name: "over the size limit", body: huge, want: "larger than"},
		{name: "over the size limit after gunzip", body: gz(huge), want: "larger than"},
		{name: "broken gzip", body: []byte{0x1f, 0x8b, 0, 0}, want: "gzip"},
		{name: "valid JSON, invalid snapshot", body: []byte(`{"schema_version":1}`), want: "hostname is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Decode(bytes.NewReader(tc.body))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if s.Hostname != "host1" || s.Host.Files[0].Mode != 0o755 {
					t.Errorf("decoded %q mode %s", s.Hostname, s.Host.Files[0].Mode)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode = %v, want an ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}

func TestModeJSON(t *testing.T) {
	tests := []struct {
		name string
		mode Mode
		json string
	}{
		{name: "file", mode: 0o640, json: `"0640"`},
		{name: "setuid", mode: 0o4755, json: `"4755"`},
		{name: "none", mode: 0, json: `"0000"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.mode)
			if err != nil || string(b) != tc.json {
				t.Fatalf("Marshal = %s, %v; want %s", b, err, tc.json)
			}
			var m Mode
			if err := json.Unmarshal(b, &m); err != nil || m != tc.mode {
				t.Fatalf("Unmarshal = %s, %v; want %s", m, err, tc.mode)
			}
		})
	}
}

func TestReadOf(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		reason string
	}{
		{name: "nil", err: nil, reason: "read"},
		{name: "missing", err: &fsErr{errors.New("x"), "notexist"}, reason: "not found"},
		{name: "denied", err: &fsErr{errors.New("x"), "perm"}, reason: "not readable: permission denied"},
		{name: "other", err: errors.New("disk on fire"), reason: "not readable (disk on fire)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ReadOf(tc.err).Reason(); got != tc.reason {
				t.Errorf("Reason = %q, want %q", got, tc.reason)
			}
		})
	}
}
