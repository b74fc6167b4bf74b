package hostsnapshot

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Limits on a snapshot. A host beyond them is unusual enough that refusing
// the snapshot (and saying why) beats storing a partial picture.
const (
	MaxBytes          = 32 << 20 // encoded JSON, after gzip is undone
	MaxContainers     = 5000
	MaxImages         = 10000
	MaxLayers         = 1000 // history entries per image
	MaxNetworks       = 2000
	MaxPlugins        = 500
	MaxFiles          = 5000
	MaxMounts         = 10000
	MaxListeners      = 20000
	MaxAuditRules     = 10000
	MaxGroupMembers   = 10000
	MaxExecSessions   = 10000
	MaxProcesses      = 2000 // per container
	MaxDaemonConfig   = 1 << 20
	MaxCmdlineArgs    = 1000
	MaxString         = 64 << 10 // any single string, such as a history line
	maxProblemsListed = 20
)

// ErrInvalid is wrapped by every error Validate and Decode return for a
// snapshot that is malformed, too large or of an unknown version.
var ErrInvalid = errors.New("invalid snapshot")

// ValidationError lists what is wrong with a snapshot.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	ps := e.Problems
	more := ""
	if len(ps) > maxProblemsListed {
		more = fmt.Sprintf("; and %d more", len(ps)-maxProblemsListed)
		ps = ps[:maxProblemsListed]
	}
	return "invalid snapshot: " + strings.Join(ps, "; ") + more
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Encode writes the snapshot as JSON.
func Encode(w io.Writer, s *Snapshot) error {
	if err := json.NewEncoder(w).Encode(s); err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	return nil
}

// Decode reads one JSON snapshot of at most MaxBytes from r, gunzipping it
// first when it starts with the gzip magic bytes, and validates it.
func Decode(r io.Reader) (*Snapshot, error) {
	br := &peekReader{r: r}
	head, err := br.peek(2)
	if err != nil {
		return nil, fmt.Errorf("%w: read body: %v", ErrInvalid, err)
	}
	var src io.Reader = br
	if bytes.Equal(head, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrInvalid, err)
		}
		defer zr.Close()
		src = zr
	}
	data, err := io.ReadAll(io.LimitReader(src, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read body: %v", ErrInvalid, err)
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, MaxBytes)
	}
	var s Snapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: json: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrInvalid)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// peekReader lets Decode look at the first bytes without losing them.
type peekReader struct {
	r   io.Reader
	buf []byte
}

func (p *peekReader) peek(n int) ([]byte, error) {
	for len(p.buf) < n {
		b := make([]byte, n-len(p.buf))
		k, err := p.r.Read(b)
		p.buf = append(p.buf, b[:k]...)
		if err == io.EOF {
			if len(p.buf) == 0 {
				return nil, errors.New("empty body")
			}
			return p.buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return p.buf, nil
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// Validate checks the schema version, the required fields, that every item
// has a known read state, and the count and size limits.
func (s *Snapshot) Validate() error {
	v := &validator{}
	if s.SchemaVersion != SchemaVersion {
		v.addf("schema_version is %d; this server reads version %d", s.SchemaVersion, SchemaVersion)
		return v.err()
	}
	s.validateHeader(v)
	s.Engine.validate(v)
	s.Host.validate(v)
	return v.err()
}

func (s *Snapshot) validateHeader(v *validator) {
	if s.CollectedAt.IsZero() {
		v.addf("collected_at is missing")
	} else if s.CollectedAt.After(time.Now().Add(24 * time.Hour)) {
		v.addf("collected_at %s is in the future", s.CollectedAt.Format(time.RFC3339))
	}
	if s.Hostname == "" {
		v.addf("hostname is missing")
	}
	v.str("hostname", s.Hostname, 253)
	v.str("agent_version", s.AgentVersion, 200)
	v.str("host_root", s.HostRoot, 4096)
}

func (e *Engine) validate(v *validator) {
	v.read("engine.info", e.Info.Read)
	if e.Info.OK() && e.Info.Value == nil {
		v.addf("engine.info is ok but has no value")
	}
	v.read("engine.version", e.Version.Read)
	v.read("engine.containers", e.Containers.Read)
	v.read("engine.images", e.Images.Read)
	v.read("engine.networks", e.Networks.Read)
	v.read("engine.plugins", e.Plugins.Read)
	v.read("engine.swarm", e.Swarm.Read)
	v.read("engine.execs", e.Execs.Read)
	v.read("engine.processes", e.Processes.Read)
	v.count("engine.containers", len(e.Containers.Value), MaxContainers)
	v.count("engine.images", len(e.Images.Value), MaxImages)
	v.count("engine.networks", len(e.Networks.Value), MaxNetworks)
	v.count("engine.plugins", len(e.Plugins.Value), MaxPlugins)
	v.count("engine.processes", len(e.Processes.Value), MaxContainers)

	seen := map[string]bool{}
	for i, c := range e.Containers.Value {
		where := fmt.Sprintf("engine.containers[%d]", i)
		if c.ID == "" {
			v.addf("%s has no Id", where)
		} else if seen[c.ID] {
			v.addf("%s: container %s listed twice", where, c.ID)
		}
		seen[c.ID] = true
		c.validate(v, where)
	}
	for i, im := range e.Images.Value {
		where := fmt.Sprintf("engine.images[%d]", i)
		if im.ID == "" {
			v.addf("%s has no Id", where)
		}
		v.read(where+".History", im.History.Read)
		v.count(where+".History", len(im.History.Value), MaxLayers)
		for _, l := range im.History.Value {
			v.str(where+".History.CreatedBy", l.CreatedBy, MaxString)
		}
		v.envNames(where+".Config.Env", im.Config.Env)
	}
	for i, p := range e.Processes.Value {
		where := fmt.Sprintf("engine.processes[%d]", i)
		v.read(where, p.Read)
		v.count(where+".commands", len(p.Commands), MaxProcesses)
	}
	if e.Execs.Value != nil {
		v.count("engine.execs.sessions", len(e.Execs.Value.Sessions), MaxExecSessions)
	}
}

func (c *Container) validate(v *validator, where string) {
	v.str(where+".Name", c.Name, 1024)
	v.count(where+".Mounts", len(c.Mounts), 1000)
	v.count(where+".ExecIDs", len(c.ExecIDs), MaxExecSessions)
	v.envNames(where+".Config.Env", c.Config.Env)
}

func (h *Host) validate(v *validator) {
	v.read("host.daemon_config", h.DaemonConfig.Read)
	if d := h.DaemonConfig.Value; d != nil {
		v.count("host.daemon_config.raw bytes", len(d.Raw), MaxDaemonConfig)
	}
	v.read("host.dockerd", h.Dockerd.Read)
	if p := h.Dockerd.Value; p != nil {
		v.count("host.dockerd.args", len(p.Args), MaxCmdlineArgs)
		for _, a := range p.Args {
			v.str("host.dockerd.args", a, MaxString)
		}
	}
	v.count("host.files", len(h.Files), MaxFiles)
	for i, f := range h.Files {
		where := fmt.Sprintf("host.files[%d]", i)
		if f.Path == "" || f.Role == "" {
			v.addf("%s needs a path and a role", where)
		}
		v.read(where, f.Read)
	}
	v.read("host.audit", h.Audit.Read)
	if a := h.Audit.Value; a != nil {
		v.count("host.audit.rules", len(a.Rules), MaxAuditRules)
	}
	v.read("host.mounts", h.Mounts.Read)
	v.count("host.mounts", len(h.Mounts.Value), MaxMounts)
	v.read("host.docker_group", h.DockerGroup.Read)
	if g := h.DockerGroup.Value; g != nil {
		v.count("host.docker_group.members", len(g.Members), MaxGroupMembers)
	}
	v.read("host.listeners", h.Listeners.Read)
	v.count("host.listeners", len(h.Listeners.Value), MaxListeners)
	v.read("host.security", h.Security.Read)
	if l := h.Security.Value; l != nil {
		v.read("host.security.apparmor", l.AppArmor.Read)
		v.read("host.security.selinux", l.SELinux.Read)
	}
	v.read("host.environment", h.Environment.Read)
	v.count("host.environment", len(h.Environment.Value), 100)
}

type validator struct {
	problems []string
}

func (v *validator) addf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *validator) read(where string, r Read) {
	if !r.State.Valid() {
		v.addf("%s.read.state %q is not one of ok, not_found, permission_denied, error, skipped", where, r.State)
	}
	v.str(where+".read.detail", r.Detail, 1000)
}

func (v *validator) count(where string, n, limit int) {
	if n > limit {
		v.addf("%s has %d entries, more than the limit of %d", where, n, limit)
	}
}

func (v *validator) str(where, s string, limit int) {
	if len(s) > limit {
		v.addf("%s is %d bytes long, more than the limit of %d", where, len(s), limit)
	}
}

// envNames refuses environment entries with values: the agent must strip
// them so that no secret reaches the server.
func (v *validator) envNames(where string, env []string) {
	v.count(where, len(env), 1000)
	for _, e := range env {
		if strings.Contains(e, "=") {
			v.addf("%s holds a value for %q; only names may be sent", where, strings.SplitN(e, "=", 2)[0])
			return
		}
	}
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}
