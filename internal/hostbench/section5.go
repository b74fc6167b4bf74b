package hostbench

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
)

// 5.1
func checkSwarm(e *env) []finding {
	if e.info == nil {
		return one(e.infoMissing())
	}
	if e.swarmActive() {
		return one(hostFinding(StatusFail, "swarm mode is %s on this node; leave the swarm unless it is needed", e.info.Swarm.LocalNodeState))
	}
	return one(hostFinding(StatusPass, "swarm mode is inactive"))
}

// 5.2
func checkAppArmor(e *env) []finding {
	if e.info == nil {
		return one(e.infoMissing())
	}
	if ok, how := e.rootless(); ok {
		return one(hostFinding(StatusNotApplicable, "rootless engine (%s): it cannot load AppArmor profiles", how))
	}
	if _, uses := e.securityOption("apparmor"); !uses {
		hostHas, known := e.hostAppArmor()
		switch {
		case hostHas:
			return one(hostFinding(StatusFail, "the host kernel has AppArmor enabled but the engine applies no AppArmor profiles"))
		case !known:
			return one(hostFinding(StatusInfo, "engine does not use AppArmor; host AppArmor state not readable: %s", e.lsmReason()))
		}
		return one(hostFinding(StatusNotApplicable, "the host does not use AppArmor (SELinux is checked by 5.3)"))
	}
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		switch p := c.AppArmorProfile; {
		case c.HostConfig.Privileged:
			return StatusFail, "privileged: AppArmor confinement is off"
		case p == "" && !c.State.Running && c.State.StartedAt == "0001-01-01T00:00:00Z":
			return StatusInfo, "never started: the engine assigns the profile at start"
		case p == "" || p == "unconfined":
			return StatusFail, fmt.Sprintf("AppArmor profile %q: not confined", p)
		default:
			return StatusPass, "AppArmor profile " + p
		}
	})
}

func (e *env) hostAppArmor() (enabled, known bool) {
	l := e.s.Host.Security
	if !l.OK() || l.Value == nil {
		return false, false
	}
	a := l.Value.AppArmor
	if a.Missing() {
		return false, true
	}
	return a.Value, a.OK()
}

func (e *env) hostSELinux() (mode string, known bool) {
	l := e.s.Host.Security
	if !l.OK() || l.Value == nil {
		return "", false
	}
	s := l.Value.SELinux
	if s.Missing() {
		return "disabled", true
	}
	return s.Value, s.OK()
}

func (e *env) lsmReason() string {
	l := e.s.Host.Security
	if !l.OK() || l.Value == nil {
		return l.Reason()
	}
	return l.Value.AppArmor.Reason()
}

// 5.3
func checkSELinux(e *env) []finding {
	if e.info == nil {
		return one(e.infoMissing())
	}
	if _, uses := e.securityOption("selinux"); !uses {
		mode, known := e.hostSELinux()
		switch {
		case mode == "enforcing" || mode == "permissive":
			return one(hostFinding(StatusFail, "the host runs SELinux (%s) but the engine was started without selinux-enabled: containers get no labels", mode))
		case !known:
			return one(hostFinding(StatusInfo, "engine does not use SELinux; host SELinux state not readable"))
		}
		return one(hostFinding(StatusNotApplicable, "the host does not use SELinux (AppArmor is checked by 5.2)"))
	}
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if c.HostConfig.Privileged {
			return StatusFail, "privileged: SELinux labelling is off"
		}
		for _, o := range c.HostConfig.SecurityOpt {
			if o == "label=disable" || o == "label:disable" {
				return StatusFail, "SELinux labelling disabled with " + o
			}
		}
		if c.ProcessLabel != "" {
			return StatusPass, "process label " + c.ProcessLabel
		}
		return StatusFail, "no SELinux process label"
	})
}

// defaultCaps is the capability set Docker grants a container by default.
var defaultCaps = map[string]bool{
	"CHOWN": true, "DAC_OVERRIDE": true, "FSETID": true, "FOWNER": true,
	"MKNOD": true, "NET_RAW": true, "SETGID": true, "SETUID": true,
	"SETFCAP": true, "SETPCAP": true, "NET_BIND_SERVICE": true,
	"SYS_CHROOT": true, "KILL": true, "AUDIT_WRITE": true,
}

func capName(c string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
}

// 5.4
func checkCapabilities(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if c.HostConfig.Privileged {
			return StatusFail, "privileged: the container holds every capability"
		}
		dropped := map[string]bool{}
		for _, d := range c.HostConfig.CapDrop {
			dropped[capName(d)] = true
		}
		var extra []string
		for _, a := range c.HostConfig.CapAdd {
			n := capName(a)
			if n == "ALL" || (!defaultCaps[n] && !dropped[n]) {
				extra = append(extra, n)
			}
		}
		drops := ""
		if len(c.HostConfig.CapDrop) > 0 {
			drops = "; drops " + strings.Join(c.HostConfig.CapDrop, ", ")
		}
		if len(extra) > 0 {
			return StatusFail, "adds capabilities beyond Docker's defaults: " + strings.Join(extra, ", ") + drops
		}
		return StatusPass, "adds no capability beyond Docker's defaults" + drops
	})
}

// 5.5
func checkPrivileged(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if c.HostConfig.Privileged {
			return StatusFail, "runs privileged"
		}
		return StatusPass, "not privileged"
	})
}

var sensitiveDirs = []string{"/", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sys", "/usr", "/bin", "/sbin"}

// 5.6
func checkSensitiveMounts(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		var rw, ro []string
		for _, m := range c.Mounts {
			if m.Type != "bind" {
				continue
			}
			if d, ok := sensitiveDir(m.Source); ok {
				desc := fmt.Sprintf("%s (under %s) at %s", m.Source, d, m.Destination)
				if m.RW {
					rw = append(rw, desc)
				} else {
					ro = append(ro, desc)
				}
			}
		}
		if len(rw) > 0 {
			return StatusFail, "host system directories mounted read-write: " + strings.Join(rw, ", ")
		}
		if len(ro) > 0 {
			return StatusPass, "host system directories mounted read-only only: " + strings.Join(ro, ", ")
		}
		return StatusPass, "no host system directory mounted"
	})
}

func sensitiveDir(src string) (string, bool) {
	src = path.Clean(src)
	if src == "/" {
		return "/", true
	}
	for _, d := range sensitiveDirs[1:] {
		if src == d || strings.HasPrefix(src, d+"/") {
			return d, true
		}
	}
	return "", false
}

// 5.7
func checkSSHD(e *env) []finding {
	procs := map[string]hostsnapshot.ContainerProcs{}
	for _, p := range e.s.Engine.Processes.Value {
		procs[p.ContainerID] = p
	}
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if !c.State.Running {
			return StatusNotApplicable, "container is not running"
		}
		if !e.s.Engine.Processes.OK() {
			return StatusInfo, "not readable: process lists: " + e.s.Engine.Processes.Reason()
		}
		p, ok := procs[c.ID]
		if !ok {
			return StatusInfo, "not readable: process list not collected"
		}
		if !p.Read.OK() {
			return StatusInfo, "not readable: process list: " + p.Read.Reason()
		}
		for _, cmd := range p.Commands {
			f := strings.Fields(cmd)
			if len(f) > 0 && strings.HasPrefix(path.Base(strings.TrimSuffix(f[0], ":")), "sshd") {
				return StatusFail, "sshd runs inside: " + short(cmd)
			}
		}
		return StatusPass, fmt.Sprintf("no sshd among %d processes", len(p.Commands))
	})
}

// published is one host port a container is, or will be, published on.
type published struct {
	containerPort string
	hostIP        string
	hostPort      int
	fromConfig    bool
}

// publishedPorts merges the live bindings (NetworkSettings.Ports) with the
// configured ones (HostConfig.PortBindings), which are all there is for a
// container that is not running.
func publishedPorts(c *hostsnapshot.Container) []published {
	seen := map[string]bool{}
	var out []published
	add := func(m map[string][]hostsnapshot.PortBinding, fromConfig bool) {
		for _, cp := range sortedKeys(m) {
			for _, b := range m[cp] {
				hp := hostPortNumber(b.HostPort)
				key := fmt.Sprintf("%s|%s|%d", cp, normIP(b.HostIP), hp)
				if seen[key] || (fromConfig && seenPort(seen, cp, hp)) {
					continue
				}
				seen[key] = true
				out = append(out, published{containerPort: cp, hostIP: b.HostIP, hostPort: hp, fromConfig: fromConfig})
			}
		}
	}
	add(c.NetworkSettings.Ports, false)
	add(c.HostConfig.PortBindings, true)
	return out
}

// seenPort tells whether a live binding already covers a configured one:
// the engine turns one configured "" address into 0.0.0.0 and [::].
func seenPort(seen map[string]bool, cp string, hp int) bool {
	for k := range seen {
		if strings.HasPrefix(k, cp+"|") && strings.HasSuffix(k, fmt.Sprintf("|%d", hp)) {
			return true
		}
	}
	return false
}

func hostPortNumber(s string) int {
	s, _, _ = strings.Cut(s, "-") // a range "8000-8010" starts at its first port
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return n
}

func normIP(ip string) string {
	return strings.Trim(ip, "[]")
}

func wildcard(ip string) bool {
	switch normIP(ip) {
	case "", "0.0.0.0", "::", "0:0:0:0:0:0:0:0":
		return true
	}
	return false
}

func (p published) String() string {
	ip := normIP(p.hostIP)
	switch {
	case ip == "":
		ip = "*"
	case strings.Contains(ip, ":"):
		ip = "[" + ip + "]"
	}
	s := fmt.Sprintf("%s:%d->%s", ip, p.hostPort, p.containerPort)
	if p.fromConfig {
		s += " (configured)"
	}
	return s
}

func joinPorts(ps []published) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, ", ")
}

// 5.8
func checkPrivilegedPorts(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		var low []published
		for _, p := range publishedPorts(c) {
			if p.hostPort > 0 && p.hostPort < 1024 {
				low = append(low, p)
			}
		}
		if len(low) > 0 {
			return StatusFail, "host ports below 1024 published: " + joinPorts(low)
		}
		return StatusPass, "no host port below 1024 published"
	})
}

// 5.9
func checkNeededPorts(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		ps := publishedPorts(c)
		if c.HostConfig.PublishAllPorts {
			return StatusInfo, "publishes every exposed port (-P); review which are needed"
		}
		if len(ps) > 0 {
			return StatusInfo, "publishes " + joinPorts(ps) + "; confirm each is needed"
		}
		return StatusPass, "publishes no ports"
	})
}

func hostMode(mode string) bool { return mode == "host" }

// namespaceCheck builds 5.10, 5.16, 5.17, 5.21 and 5.31.
func namespaceCheck(what string, get func(*hostsnapshot.HostConfig) string) func(e *env) []finding {
	return func(e *env) []finding {
		return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
			if hostMode(get(&c.HostConfig)) {
				return StatusFail, "shares the host's " + what + " namespace"
			}
			v := get(&c.HostConfig)
			if v == "" {
				v = "default"
			}
			return StatusPass, fmt.Sprintf("own %s namespace (%s)", what, v)
		})
	}
}

// 5.11
func checkMemory(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if c.HostConfig.Memory <= 0 {
			return StatusFail, "no memory limit"
		}
		return StatusPass, fmt.Sprintf("memory limit %d MiB", c.HostConfig.Memory>>20)
	})
}

// 5.12
func checkCPU(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		h := c.HostConfig
		switch {
		case h.NanoCPUs > 0:
			return StatusPass, fmt.Sprintf("CPU limit %.2f CPUs", float64(h.NanoCPUs)/1e9)
		case h.CPUQuota > 0:
			return StatusPass, fmt.Sprintf("CPU quota %d per period %d", h.CPUQuota, h.CPUPeriod)
		case h.CPUShares > 0 && h.CPUShares != 1024:
			return StatusPass, fmt.Sprintf("CPU shares %d", h.CPUShares)
		}
		return StatusFail, "no CPU limit, quota or shares beyond the default"
	})
}

// 5.13
func checkReadonlyRoot(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if c.HostConfig.ReadonlyRootfs {
			return StatusPass, "root filesystem is read-only"
		}
		return StatusFail, "root filesystem is writable"
	})
}

// 5.14
func checkBindInterface(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		ps := publishedPorts(c)
		if len(ps) == 0 {
			return StatusPass, "publishes no ports"
		}
		var wild []published
		for _, p := range ps {
			if wildcard(p.hostIP) {
				wild = append(wild, p)
			}
		}
		if len(wild) > 0 {
			return StatusFail, "ports bound on every host address: " + joinPorts(wild)
		}
		return StatusPass, "ports bound to specific addresses: " + joinPorts(ps)
	})
}

// 5.15
func checkRestartPolicy(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		rp := c.HostConfig.RestartPolicy
		switch rp.Name {
		case "", "no":
			return StatusPass, "no restart policy"
		case "on-failure":
			if rp.MaximumRetryCount == 0 {
				return StatusFail, "on-failure with no retry limit"
			}
			if rp.MaximumRetryCount > 5 {
				return StatusFail, fmt.Sprintf("on-failure:%d retries more than 5 times", rp.MaximumRetryCount)
			}
			return StatusPass, fmt.Sprintf("on-failure:%d", rp.MaximumRetryCount)
		default:
			return StatusFail, fmt.Sprintf("restart policy %q restarts without limit", rp.Name)
		}
	})
}

// 5.18
func checkDevices(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if c.HostConfig.Privileged {
			return StatusInfo, "privileged: every host device is available"
		}
		if len(c.HostConfig.Devices) == 0 {
			return StatusPass, "no host devices"
		}
		var ds []string
		for _, d := range c.HostConfig.Devices {
			ds = append(ds, fmt.Sprintf("%s:%s:%s", d.PathOnHost, d.PathInContainer, d.CgroupPermissions))
		}
		return StatusInfo, "host devices: " + strings.Join(ds, ", ") + "; confirm each is needed"
	})
}

// 5.19
func checkUlimits(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if len(c.HostConfig.Ulimits) == 0 {
			return StatusPass, "uses the daemon's default ulimits"
		}
		var us []string
		for _, u := range c.HostConfig.Ulimits {
			us = append(us, fmt.Sprintf("%s=%d:%d", u.Name, u.Soft, u.Hard))
		}
		return StatusInfo, "overrides ulimits: " + strings.Join(us, ", ") + "; confirm the override is needed"
	})
}

// 5.20
func checkPropagation(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		for _, m := range c.Mounts {
			if m.Propagation == "shared" || m.Propagation == "rshared" {
				return StatusFail, fmt.Sprintf("mount %s has %s propagation", m.Destination, m.Propagation)
			}
		}
		return StatusPass, "no mount with shared propagation"
	})
}

func hasSecurityOpt(c *hostsnapshot.Container, key string) (string, bool) {
	for _, o := range c.HostConfig.SecurityOpt {
		k, v, found := strings.Cut(o, "=")
		if !found {
			k, v, found = strings.Cut(o, ":")
		}
		if k == key {
			if !found {
				v = ""
			}
			return v, true
		}
	}
	return "", false
}

// 5.22
func checkSeccomp(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if c.HostConfig.Privileged {
			return StatusFail, "privileged: seccomp filtering is off"
		}
		if v, ok := hasSecurityOpt(c, "seccomp"); ok {
			if v == "unconfined" {
				return StatusFail, "seccomp=unconfined"
			}
			return StatusPass, "custom seccomp profile"
		}
		return StatusPass, "default seccomp profile"
	})
}

// healthCommand is the command the engine runs for a container's health
// check, in the form exec events and inspects show it.
func healthCommand(c *hostsnapshot.Container) []string {
	hc := c.Config.Healthcheck
	if hc == nil || len(hc.Test) < 2 {
		return nil
	}
	switch hc.Test[0] {
	case "CMD-SHELL":
		return []string{"/bin/sh", "-c", strings.Join(hc.Test[1:], " ")}
	case "CMD":
		return hc.Test[1:]
	}
	return nil
}

func sameCommand(a, b []string) bool {
	return len(a) > 0 && strings.Join(a, " ") == strings.Join(b, " ")
}

// execRule builds 5.23 and 5.24 from the exec sessions the agent saw.
// Sessions that run the container's own health check are the engine's,
// not a person's, and are left out.
func execRule(e *env, judge func(c *hostsnapshot.Container, s hostsnapshot.ExecSession) (bad bool, unknown bool)) []finding {
	ex := e.s.Engine.Execs
	byContainer := map[string][]hostsnapshot.ExecSession{}
	var since time.Time
	if ex.OK() && ex.Value != nil {
		since = ex.Value.Since
		for _, s := range ex.Value.Sessions {
			byContainer[s.ContainerID] = append(byContainer[s.ContainerID], s)
		}
	}
	window := "since the agent started watching"
	if !since.IsZero() {
		window = "since " + since.UTC().Format(time.RFC3339)
	}
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if !ex.OK() {
			return StatusInfo, "not readable: exec sessions: " + ex.Reason()
		}
		hc := healthCommand(c)
		var bad, unknown []string
		people, health := 0, 0
		for _, s := range byContainer[c.ID] {
			if sameCommand(s.Command, hc) {
				health++
				continue
			}
			people++
			b, u := judge(c, s)
			switch {
			case b:
				bad = append(bad, fmt.Sprintf("%s (%s)", short(strings.Join(s.Command, " ")), s.ID[:min(12, len(s.ID))]))
			case u:
				unknown = append(unknown, short(strings.Join(s.Command, " ")))
			}
		}
		counts := fmt.Sprintf("%d exec sessions %s, %d of them health checks", people+health, window, health)
		switch {
		case len(bad) > 0:
			return StatusFail, counts + "; offending: " + strings.Join(bad, ", ")
		case len(unknown) > 0:
			return StatusInfo, counts + "; ended before they could be inspected: " + strings.Join(unknown, ", ")
		}
		return StatusPass, counts + "; none offending"
	})
}

// 5.23
func checkExecPrivileged(e *env) []finding {
	return execRule(e, func(_ *hostsnapshot.Container, s hostsnapshot.ExecSession) (bool, bool) {
		return s.Inspected && s.Privileged, !s.Inspected
	})
}

// 5.24
func checkExecRoot(e *env) []finding {
	return execRule(e, func(c *hostsnapshot.Container, s hostsnapshot.ExecSession) (bool, bool) {
		if !s.Inspected {
			return false, true
		}
		u := s.User
		if u == "" {
			u = c.Config.User // an exec without --user runs as the container's user
		}
		return isRootUser(u), false
	})
}

// 5.25
func checkContainerCgroup(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if p := c.HostConfig.CgroupParent; p != "" {
			return StatusFail, "cgroup parent set to " + p
		}
		return StatusPass, "default cgroup parent"
	})
}

// 5.26
func checkNoNewPrivs(e *env) []finding {
	daemonOn, src, daemonSet := e.cfg.getBool("no-new-privileges")
	done, why := e.cfg.complete()
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if v, ok := hasSecurityOpt(c, "no-new-privileges"); ok {
			if v == "" || v == "true" {
				return StatusPass, "security option no-new-privileges"
			}
			return StatusFail, "security option no-new-privileges=" + v + " turns the protection off"
		}
		switch {
		case daemonSet && daemonOn:
			return StatusPass, "daemon default no-new-privileges=true (" + src + ")"
		case daemonSet || done:
			return StatusFail, "neither the container nor the daemon sets no-new-privileges"
		}
		return StatusInfo, "container does not set no-new-privileges and the daemon default is unknown; " + why
	})
}

// 5.27
func checkHealth(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		hc := c.Config.Healthcheck
		if hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE" {
			st := "not started yet"
			if c.State.Health != nil {
				st = c.State.Health.Status
			}
			return StatusPass, fmt.Sprintf("health check %s (state: %s)", strings.Join(hc.Test, " "), st)
		}
		if c.State.Health != nil {
			return StatusPass, "health state " + c.State.Health.Status
		}
		return StatusFail, "no health check"
	})
}

// 5.29
func checkPidsLimit(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if l := c.HostConfig.PidsLimit; l != nil && *l > 0 {
			return StatusPass, fmt.Sprintf("pids limit %d", *l)
		}
		return StatusFail, "no pids limit: a fork bomb can exhaust the host's process table"
	})
}

// 5.30
func checkDocker0(e *env) []finding {
	if !e.s.Engine.Networks.OK() {
		return one(hostFinding(StatusInfo, "not readable: networks: %s", e.s.Engine.Networks.Reason()))
	}
	if _, ok := e.defaultBridge(); !ok {
		return one(hostFinding(StatusNotApplicable, "the engine has no default bridge network"))
	}
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		_, on := c.NetworkSettings.Networks["bridge"]
		if on || c.HostConfig.NetworkMode == "bridge" || c.HostConfig.NetworkMode == "default" {
			return StatusInfo, "attached to the default bridge docker0; prefer a user-defined network"
		}
		nets := sortedKeys(c.NetworkSettings.Networks)
		sort.Strings(nets)
		return StatusPass, "networks: " + strings.Join(nets, ", ")
	})
}

// 5.32
func checkDockerSocketMount(e *env) []finding {
	sockets := e.daemonSockets()
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		for _, m := range c.Mounts {
			if m.Type != "bind" && m.Type != "" {
				continue
			}
			src := path.Clean(m.Source)
			for _, s := range sockets {
				if src == path.Clean(s) {
					return StatusFail, fmt.Sprintf("the engine's socket %s is mounted at %s", m.Source, m.Destination)
				}
				if isUnder(s, src) {
					return StatusFail, fmt.Sprintf("%s, which holds the engine's socket %s, is mounted at %s", m.Source, s, m.Destination)
				}
			}
			if path.Base(src) == "docker.sock" || path.Base(m.Destination) == "docker.sock" {
				return StatusFail, fmt.Sprintf("a Docker socket %s is mounted at %s", m.Source, m.Destination)
			}
		}
		return StatusPass, "no Docker socket mounted"
	})
}
