package collect

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	hs "github.com/palisadesec/palisade/internal/hostsnapshot"
)

// maxTop bounds how many running containers get their process list read.
const maxTop = 500

func readItem[T any](ctx context.Context, d *Docker, path string) hs.Item[T] {
	var v T
	if err := d.Get(ctx, path, &v); err != nil {
		return hs.Failed[T](engineRead(err))
	}
	return hs.Got(v)
}

func engineRead(err error) hs.Read {
	if IsNotFound(err) {
		return hs.Read{State: hs.ReadMissing, Detail: err.Error()}
	}
	return hs.Read{State: hs.ReadFailed, Detail: truncate(err.Error(), 300)}
}

func (c *Collector) collectEngine(ctx context.Context, e *hs.Engine) {
	d := c.Docker
	e.Socket = d.Socket
	e.Info = readItem[*hs.Info](ctx, d, "/info")
	e.Version = readItem[*hs.Version](ctx, d, "/version")
	e.Containers = c.containers(ctx)
	e.Images = c.images(ctx, e.Containers.Value)
	e.Networks = readItem[[]hs.Network](ctx, d, "/networks")
	e.Plugins = c.plugins(ctx)
	e.Swarm = c.swarm(ctx, e.Info)
	e.Processes = c.processes(ctx, e.Containers)
	for _, ct := range e.Containers.Value {
		for _, id := range ct.ExecIDs {
			c.Execs.inspect(ctx, d, ct.ID, id, nil)
		}
	}
	e.Execs = hs.Got(c.Execs.history())
}

func (c *Collector) containers(ctx context.Context) hs.Item[[]hs.Container] {
	var list []struct {
		ID string `json:"Id"`
	}
	if err := c.Docker.Get(ctx, "/containers/json?all=1", &list); err != nil {
		return hs.Failed[[]hs.Container](engineRead(err))
	}
	if len(list) > hs.MaxContainers {
		return hs.Failed[[]hs.Container](hs.Read{State: hs.ReadFailed,
			Detail: fmt.Sprintf("%d containers, more than the limit of %d", len(list), hs.MaxContainers)})
	}
	out := make([]hs.Container, 0, len(list))
	for _, l := range list {
		var ct hs.Container
		if err := c.Docker.Get(ctx, "/containers/"+l.ID+"/json", &ct); err != nil {
			if IsNotFound(err) {
				continue // removed since the list was read
			}
			return hs.Failed[[]hs.Container](engineRead(err))
		}
		ct.Config.Env = envNames(ct.Config.Env)
		out = append(out, ct)
	}
	return hs.Got(out)
}

// envNames keeps the names of environment variables and drops the values,
// which often hold secrets.
func envNames(env []string) []string {
	if env == nil {
		return nil
	}
	out := make([]string, 0, len(env))
	for _, e := range env {
		name, _, _ := strings.Cut(e, "=")
		out = append(out, name)
	}
	return out
}

type imageSummary struct {
	ID          string   `json:"Id"`
	RepoTags    []string `json:"RepoTags"`
	RepoDigests []string `json:"RepoDigests"`
	Size        int64    `json:"Size"`
}

type imageInspect struct {
	ID       string             `json:"Id"`
	RepoTags []string           `json:"RepoTags"`
	Created  string             `json:"Created"`
	Config   hs.ContainerConfig `json:"Config"`
}

func (c *Collector) images(ctx context.Context, cs []hs.Container) hs.Item[[]hs.Image] {
	var list []imageSummary
	if err := c.Docker.Get(ctx, "/images/json?all=0", &list); err != nil {
		return hs.Failed[[]hs.Image](engineRead(err))
	}
	if len(list) > hs.MaxImages {
		return hs.Failed[[]hs.Image](hs.Read{State: hs.ReadFailed,
			Detail: fmt.Sprintf("%d images, more than the limit of %d", len(list), hs.MaxImages)})
	}
	users := map[string][]string{}
	for _, ct := range cs {
		users[ct.Image] = append(users[ct.Image], ct.ID)
	}
	out := make([]hs.Image, 0, len(list))
	for _, l := range list {
		im := hs.Image{ID: l.ID, RepoTags: l.RepoTags, RepoDigests: l.RepoDigests, Size: l.Size}
		var ins imageInspect
		if err := c.Docker.Get(ctx, "/images/"+url.PathEscape(l.ID)+"/json", &ins); err == nil {
			im.Created = ins.Created
			im.Config = ins.Config
			im.Config.Env = envNames(ins.Config.Env)
		}
		im.ContainerIDs = users[l.ID]
		im.InUse = len(im.ContainerIDs) > 0
		im.History = c.history(ctx, l.ID)
		out = append(out, im)
	}
	return hs.Got(out)
}

func (c *Collector) history(ctx context.Context, id string) hs.Item[[]hs.Layer] {
	var layers []hs.Layer
	if err := c.Docker.Get(ctx, "/images/"+url.PathEscape(id)+"/history", &layers); err != nil {
		return hs.Failed[[]hs.Layer](engineRead(err))
	}
	if len(layers) > hs.MaxLayers {
		layers = layers[:hs.MaxLayers]
	}
	for i := range layers {
		layers[i].CreatedBy = truncate(layers[i].CreatedBy, 4096)
		layers[i].Comment = truncate(layers[i].Comment, 1024)
	}
	return hs.Got(layers)
}

func (c *Collector) plugins(ctx context.Context) hs.Item[[]hs.Plugin] {
	var raw []struct {
		ID      string `json:"Id"`
		Name    string `json:"Name"`
		Enabled bool   `json:"Enabled"`
		Config  struct {
			Interface struct {
				Types []struct{ Prefix, Capability, Version string }
			}
		}
	}
	if err := c.Docker.Get(ctx, "/plugins", &raw); err != nil {
		return hs.Failed[[]hs.Plugin](engineRead(err))
	}
	out := make([]hs.Plugin, 0, len(raw))
	for _, p := range raw {
		pl := hs.Plugin{ID: p.ID, Name: p.Name, Enabled: p.Enabled}
		for _, t := range p.Config.Interface.Types {
			pl.Types = append(pl.Types, fmt.Sprintf("%s.%s/%s", t.Prefix, t.Capability, t.Version))
		}
		out = append(out, pl)
	}
	return hs.Got(out)
}

func (c *Collector) swarm(ctx context.Context, info hs.Item[*hs.Info]) hs.Item[*hs.SwarmDetails] {
	if !info.OK() || info.Value == nil {
		return hs.Failed[*hs.SwarmDetails](hs.Skipped("engine info not readable"))
	}
	sw := info.Value.Swarm
	if sw.LocalNodeState != "active" {
		return hs.Failed[*hs.SwarmDetails](hs.Skipped("swarm mode is " + orDefault(sw.LocalNodeState, "inactive")))
	}
	if !sw.ControlAvailable {
		return hs.Failed[*hs.SwarmDetails](hs.Skipped("this node is not a swarm manager"))
	}
	det := &hs.SwarmDetails{}
	var nodes []struct{ ManagerStatus *struct{} }
	if err := c.Docker.Get(ctx, "/nodes", &nodes); err != nil {
		return hs.Failed[*hs.SwarmDetails](engineRead(err))
	}
	det.Nodes = len(nodes)
	for _, n := range nodes {
		if n.ManagerStatus != nil {
			det.Managers++
		}
	}
	var secrets []struct{}
	if err := c.Docker.Get(ctx, "/secrets", &secrets); err == nil {
		det.Secrets = len(secrets)
	}
	var spec struct{ Spec hs.ClusterSpec }
	if err := c.Docker.Get(ctx, "/swarm", &spec); err == nil {
		det.AutoLock = spec.Spec.EncryptionConfig.AutoLockManagers
		det.NodeCertExpiry = spec.Spec.CAConfig.NodeCertExpiry
	}
	// Only whether a key exists is kept; the key never leaves this function.
	var key struct{ UnlockKey string }
	if err := c.Docker.Get(ctx, "/swarm/unlockkey", &key); err == nil {
		det.HasUnlockKey = key.UnlockKey != ""
	}
	return hs.Got(det)
}

func (c *Collector) processes(ctx context.Context, cs hs.Item[[]hs.Container]) hs.Item[[]hs.ContainerProcs] {
	if !cs.OK() {
		return hs.Failed[[]hs.ContainerProcs](hs.Skipped("containers not readable"))
	}
	out := []hs.ContainerProcs{}
	for _, ct := range cs.Value {
		if !ct.State.Running || len(out) >= maxTop {
			continue
		}
		p := hs.ContainerProcs{ContainerID: ct.ID}
		var top struct {
			Titles    []string
			Processes [][]string
		}
		if err := c.Docker.Get(ctx, "/containers/"+ct.ID+"/top", &top); err != nil {
			p.Read = engineRead(err)
		} else {
			p.Read = hs.Read{State: hs.ReadOK}
			col := len(top.Titles) - 1
			for i, t := range top.Titles {
				if t == "CMD" || t == "COMMAND" {
					col = i
				}
			}
			for _, row := range top.Processes {
				if col >= 0 && col < len(row) && len(p.Commands) < hs.MaxProcesses {
					p.Commands = append(p.Commands, truncate(row[col], 1024))
				}
			}
		}
		out = append(out, p)
	}
	return hs.Got(out)
}

// ExecLog remembers exec sessions seen since the agent started, newest
// last, up to a bound.
type ExecLog struct {
	mu       sync.Mutex
	since    time.Time
	sessions map[string]*hs.ExecSession
	order    []string
	max      int
}

// NewExecLog starts an empty log.
func NewExecLog(now time.Time) *ExecLog {
	return &ExecLog{since: now, sessions: map[string]*hs.ExecSession{}, max: 1000}
}

// inspect records exec id of container cid, asking the engine for its
// details. cmd is the command from the event, used when the exec is gone.
func (l *ExecLog) inspect(ctx context.Context, d *Docker, cid, id string, cmd []string) {
	l.mu.Lock()
	_, known := l.sessions[id]
	l.mu.Unlock()
	if known {
		return
	}
	s := hs.ExecSession{ID: id, ContainerID: cid, Command: cmd, SeenAt: time.Now().UTC()}
	var ins struct {
		ContainerID   string
		ProcessConfig struct {
			Entrypoint string   `json:"entrypoint"`
			Arguments  []string `json:"arguments"`
			Privileged bool     `json:"privileged"`
			User       string   `json:"user"`
		}
	}
	if err := d.Get(ctx, "/exec/"+id+"/json", &ins); err == nil {
		s.Inspected = true
		s.Privileged = ins.ProcessConfig.Privileged
		s.User = ins.ProcessConfig.User
		s.Command = append([]string{ins.ProcessConfig.Entrypoint}, ins.ProcessConfig.Arguments...)
	}
	l.add(s)
}

func (l *ExecLog) add(s hs.ExecSession) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.sessions[s.ID]; ok {
		return
	}
	l.sessions[s.ID] = &s
	l.order = append(l.order, s.ID)
	if len(l.order) > l.max {
		delete(l.sessions, l.order[0])
		l.order = l.order[1:]
	}
}

func (l *ExecLog) history() *hs.ExecHistory {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := &hs.ExecHistory{Since: l.since, Sessions: []hs.ExecSession{}}
	for _, id := range l.order {
		h.Sessions = append(h.Sessions, *l.sessions[id])
	}
	sort.SliceStable(h.Sessions, func(i, j int) bool { return h.Sessions[i].SeenAt.Before(h.Sessions[j].SeenAt) })
	return h
}

// ObserveEvent records exec sessions from an exec_create event. It
// returns true when the event was an exec event.
func (c *Collector) ObserveEvent(ctx context.Context, ev Event) bool {
	if ev.Type != "container" || !strings.HasPrefix(ev.Action, "exec_create") {
		return strings.HasPrefix(ev.Action, "exec_")
	}
	id := ev.Actor.Attributes["execID"]
	if id == "" {
		return true
	}
	_, cmdline, _ := strings.Cut(ev.Action, ": ")
	c.Execs.inspect(ctx, c.Docker, ev.Actor.ID, id, strings.Fields(cmdline))
	return true
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
