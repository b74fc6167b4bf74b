package hostbench

import (
	"fmt"
	"strings"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
)

// env is a snapshot with the lookups the rules share worked out once.
type env struct {
	s    *hostsnapshot.Snapshot
	opts Options
	info *hostsnapshot.Info
	cfg  *daemonOpts
	// files by role, in the order the agent collected them.
	files map[string][]hostsnapshot.File
	// images by ID, and containers by ID.
	images     map[string]*hostsnapshot.Image
	containers map[string]*hostsnapshot.Container
}

func newEnv(s *hostsnapshot.Snapshot, opts Options) *env {
	e := &env{
		s:          s,
		opts:       opts,
		info:       s.Engine.Info.Value,
		cfg:        newDaemonOpts(s),
		files:      map[string][]hostsnapshot.File{},
		images:     map[string]*hostsnapshot.Image{},
		containers: map[string]*hostsnapshot.Container{},
	}
	if !s.Engine.Info.OK() {
		e.info = nil
	}
	for _, f := range s.Host.Files {
		e.files[f.Role] = append(e.files[f.Role], f)
	}
	for i := range s.Engine.Images.Value {
		im := &s.Engine.Images.Value[i]
		e.images[im.ID] = im
	}
	for i := range s.Engine.Containers.Value {
		c := &s.Engine.Containers.Value[i]
		e.containers[c.ID] = c
	}
	return e
}

// infoMissing is the evidence when /info could not be read.
func (e *env) infoMissing() finding {
	return hostFinding(StatusInfo, "not readable: engine info: %s", e.s.Engine.Info.Reason())
}

// securityOption returns the value of a name=X entry of /info
// SecurityOptions ("name=seccomp,profile=default" gives the profile map).
func (e *env) securityOption(name string) (map[string]string, bool) {
	if e.info == nil {
		return nil, false
	}
	for _, opt := range e.info.SecurityOptions {
		fields := map[string]string{}
		for _, kv := range strings.Split(opt, ",") {
			k, v, _ := strings.Cut(kv, "=")
			fields[k] = v
		}
		if fields["name"] == name {
			return fields, true
		}
	}
	return nil, false
}

// rootless reports whether the engine runs rootless: /info says so, or
// dockerd runs as a user other than root. The string says how it is known.
func (e *env) rootless() (bool, string) {
	if _, ok := e.securityOption("rootless"); ok {
		return true, "engine reports name=rootless in its security options"
	}
	if p := e.s.Host.Dockerd.Value; e.s.Host.Dockerd.OK() && p != nil && p.UID != 0 {
		return true, fmt.Sprintf("dockerd (pid %d) runs as uid %d", p.PID, p.UID)
	}
	return false, ""
}

// daemonUID is the uid dockerd runs as, or 0 when unknown.
func (e *env) daemonUID() int {
	if p := e.s.Host.Dockerd.Value; e.s.Host.Dockerd.OK() && p != nil {
		return p.UID
	}
	return 0
}

// swarmActive reports whether this node takes part in a swarm.
func (e *env) swarmActive() bool {
	return e.info != nil && e.info.Swarm.LocalNodeState != "" && e.info.Swarm.LocalNodeState != "inactive"
}

// defaultBridge returns the engine's default bridge network, if any.
func (e *env) defaultBridge() (*hostsnapshot.Network, bool) {
	for i := range e.s.Engine.Networks.Value {
		n := &e.s.Engine.Networks.Value[i]
		if n.Name == "bridge" && n.Driver == "bridge" {
			return n, true
		}
	}
	return nil, false
}

// daemonSockets returns the unix socket paths the daemon serves the API on.
func (e *env) daemonSockets() []string {
	var out []string
	for _, h := range e.cfg.get("host").values {
		if p, ok := strings.CutPrefix(h, "unix://"); ok && p != "" {
			out = append(out, p)
		}
	}
	for _, f := range e.files["docker.sock"] {
		out = append(out, f.Path)
	}
	return append(out, "/var/run/docker.sock", "/run/docker.sock")
}

func containerResource(c *hostsnapshot.Container) Resource {
	return Resource{Kind: KindContainer, ID: c.ID, Name: strings.TrimPrefix(c.Name, "/")}
}

func imageResource(im *hostsnapshot.Image) Resource {
	name := ""
	if len(im.RepoTags) > 0 {
		name = im.RepoTags[0]
	}
	return Resource{Kind: KindImage, ID: im.ID, Name: name, Aliases: im.RepoTags}
}

// perContainer runs rule for every container. When the container list
// could not be read, or is empty, it says so once for the host.
func (e *env) perContainer(rule func(c *hostsnapshot.Container) (Status, string)) []finding {
	cs := e.s.Engine.Containers
	if !cs.OK() {
		return one(hostFinding(StatusInfo, "not readable: containers: %s", cs.Reason()))
	}
	if len(cs.Value) == 0 {
		return one(hostFinding(StatusNotApplicable, "no containers on this host"))
	}
	out := make([]finding, 0, len(cs.Value))
	for i := range cs.Value {
		c := &cs.Value[i]
		st, ev := rule(c)
		out = append(out, finding{status: st, evidence: ev, resource: containerResource(c)})
	}
	return out
}

// perImageInUse runs rule for every image a container uses; images no
// container uses get info, so that they are told apart without failing.
func (e *env) perImageInUse(rule func(im *hostsnapshot.Image) (Status, string)) []finding {
	ims := e.s.Engine.Images
	if !ims.OK() {
		return one(hostFinding(StatusInfo, "not readable: images: %s", ims.Reason()))
	}
	if len(ims.Value) == 0 {
		return one(hostFinding(StatusNotApplicable, "no images on this host"))
	}
	out := make([]finding, 0, len(ims.Value))
	for i := range ims.Value {
		im := &ims.Value[i]
		st, ev := rule(im)
		if !im.InUse {
			ev = fmt.Sprintf("image not used by any container; when used: %s: %s", st, ev)
			st = StatusInfo
		}
		out = append(out, finding{status: st, evidence: ev, resource: imageResource(im)})
	}
	return out
}

// isRootUser reports whether a Config.User value means uid 0.
func isRootUser(u string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	return name == "" || name == "0" || name == "root"
}
