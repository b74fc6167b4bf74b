package collect

import (
	"context"
	"os"
	"path/filepath"
	"time"

	hs "github.com/palisadesec/palisade/internal/hostsnapshot"
)

// Collector gathers snapshots of one Docker host.
type Collector struct {
	Docker *Docker
	// HostRoot is where the host's root filesystem is visible ("/" on the
	// host; "/host" in a container started with -v /:/host:ro). /proc is
	// read from HostRoot/proc, so such a container also needs --pid host.
	HostRoot string
	// AgentVersion is written into every snapshot.
	AgentVersion string
	// Execs holds the exec sessions seen on the event stream.
	Execs *ExecLog
	// Hostname overrides the host name read from HostRoot/etc/hostname.
	Hostname string
}

// New returns a collector for the engine at socket.
func New(socket, hostRoot, agentVersion string) *Collector {
	if hostRoot == "" {
		hostRoot = "/"
	}
	return &Collector{
		Docker:       NewDocker(socket),
		HostRoot:     hostRoot,
		AgentVersion: agentVersion,
		Execs:        NewExecLog(time.Now().UTC()),
	}
}

// Collect reads everything once. Parts that cannot be read are recorded as
// such; Collect fails only when the context ends.
func (c *Collector) Collect(ctx context.Context) (*hs.Snapshot, error) {
	s := &hs.Snapshot{
		SchemaVersion: hs.SchemaVersion,
		AgentVersion:  c.AgentVersion,
		CollectedAt:   time.Now().UTC(),
		HostRoot:      c.HostRoot,
	}
	c.collectEngine(ctx, &s.Engine)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := &hostReader{root: c.HostRoot, socket: c.hostPath(c.Docker.Socket)}
	h.collect(&s.Host, s.Engine.Info.Value)
	s.Hostname = c.hostname(s.Engine.Info.Value)
	return s, nil
}

// hostPath turns a path the agent sees into the host's path.
func (c *Collector) hostPath(p string) string {
	if c.HostRoot == "/" {
		return p
	}
	rel, err := filepath.Rel(c.HostRoot, p)
	if err != nil || rel == ".." || filepath.IsAbs(rel) || len(rel) > 1 && rel[:2] == ".." {
		return p
	}
	return "/" + rel
}

func (c *Collector) hostname(info *hs.Info) string {
	if c.Hostname != "" {
		return c.Hostname
	}
	if b, err := os.ReadFile(filepath.Join(c.HostRoot, "etc/hostname")); err == nil {
		if n := firstLine(string(b)); n != "" {
			return n
		}
	}
	if info != nil && info.Name != "" {
		return info.Name
	}
	n, _ := os.Hostname()
	return n
}
