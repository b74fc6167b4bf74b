package hostbench

import (
	"fmt"
	"strings"
	"time"
)

// 6.1
func checkImageSprawl(e *env) []finding {
	ims := e.s.Engine.Images
	if !ims.OK() {
		return one(hostFinding(StatusInfo, "not readable: images: %s", ims.Reason()))
	}
	inUse := 0
	var unused []string
	for _, im := range ims.Value {
		if im.InUse {
			inUse++
			continue
		}
		name := strings.TrimPrefix(im.ID, "sha256:")
		if len(name) > 12 {
			name = name[:12]
		}
		if len(im.RepoTags) > 0 {
			name = im.RepoTags[0]
		}
		unused = append(unused, name)
	}
	ev := fmt.Sprintf("%d images, %d used by containers, %d unused", len(ims.Value), inUse, len(unused))
	if len(unused) > 0 {
		if len(unused) > 10 {
			unused = append(unused[:10], "…")
		}
		ev += ": " + strings.Join(unused, ", ")
	}
	return one(hostFinding(StatusInfo, "%s", ev))
}

// 6.2
func checkContainerSprawl(e *env) []finding {
	cs := e.s.Engine.Containers
	if !cs.OK() {
		return one(hostFinding(StatusInfo, "not readable: containers: %s", cs.Reason()))
	}
	running := 0
	for _, c := range cs.Value {
		if c.State.Running {
			running++
		}
	}
	return one(hostFinding(StatusInfo, "%d containers, %d running, %d stopped or created", len(cs.Value), running, len(cs.Value)-running))
}

// swarmOnly wraps a section 7 rule: without swarm mode it does not apply.
func swarmOnly(rule func(e *env) []finding) func(e *env) []finding {
	return func(e *env) []finding {
		if e.info == nil {
			return one(e.infoMissing())
		}
		if !e.swarmActive() {
			return one(hostFinding(StatusNotApplicable, "swarm mode is not enabled"))
		}
		return rule(e)
	}
}

// managerOnly additionally needs this node to be a manager.
func managerOnly(rule func(e *env) []finding) func(e *env) []finding {
	return swarmOnly(func(e *env) []finding {
		if !e.info.Swarm.ControlAvailable {
			return one(hostFinding(StatusNotApplicable, "this node is a swarm worker; the control is judged on managers"))
		}
		sw := e.s.Engine.Swarm
		if !sw.OK() || sw.Value == nil {
			return one(hostFinding(StatusInfo, "not readable: swarm details: %s", sw.Reason()))
		}
		return rule(e)
	})
}

// 7.1
func checkManagers(e *env) []finding {
	n := e.s.Engine.Swarm.Value.Managers
	switch {
	case n > 0 && n%2 == 0:
		return one(hostFinding(StatusFail, "%d managers: an even count adds no fault tolerance over %d", n, n-1))
	case n > 7:
		return one(hostFinding(StatusFail, "%d managers: more than 7 slows consensus without helping availability", n))
	}
	return one(hostFinding(StatusPass, "%d managers", n))
}

// 7.2
func checkSwarmListener(e *env) []finding {
	ls := e.s.Host.Listeners
	if !ls.OK() {
		return one(hostFinding(StatusInfo, "not readable: listening sockets: %s", ls.Reason()))
	}
	var wild, bound []string
	for _, l := range ls.Value {
		if l.Port != 2377 {
			continue
		}
		a := fmt.Sprintf("%s %s:2377", l.Proto, l.Address)
		if wildcard(l.Address) {
			wild = append(wild, a)
		} else {
			bound = append(bound, a)
		}
	}
	switch {
	case len(wild) > 0:
		return one(hostFinding(StatusFail, "swarm port listens on every address: %s", strings.Join(wild, ", ")))
	case len(bound) > 0:
		return one(hostFinding(StatusPass, "swarm port bound to %s", strings.Join(bound, ", ")))
	}
	return one(hostFinding(StatusInfo, "nothing listens on port 2377 on this host"))
}

// 7.3
func checkOverlayEncryption(e *env) []finding {
	nets := e.s.Engine.Networks
	if !nets.OK() {
		return one(hostFinding(StatusInfo, "not readable: networks: %s", nets.Reason()))
	}
	var plain, enc []string
	for _, n := range nets.Value {
		if n.Driver != "overlay" || n.Ingress {
			continue
		}
		if _, ok := n.Options["encrypted"]; ok {
			enc = append(enc, n.Name)
		} else {
			plain = append(plain, n.Name)
		}
	}
	switch {
	case len(plain) > 0:
		return one(hostFinding(StatusFail, "overlay networks without encryption: %s", strings.Join(plain, ", ")))
	case len(enc) > 0:
		return one(hostFinding(StatusPass, "overlay networks encrypted: %s", strings.Join(enc, ", ")))
	}
	return one(hostFinding(StatusNotApplicable, "no overlay networks"))
}

// 7.4
func checkSecrets(e *env) []finding {
	if n := e.s.Engine.Swarm.Value.Secrets; n > 0 {
		return one(hostFinding(StatusPass, "%d swarm secrets in use", n))
	}
	return one(hostFinding(StatusInfo, "no swarm secrets; services may carry secrets in their environment"))
}

// 7.5
func checkAutolock(e *env) []finding {
	sw := e.s.Engine.Swarm.Value
	if sw.AutoLock || sw.HasUnlockKey {
		return one(hostFinding(StatusPass, "swarm managers auto-lock"))
	}
	return one(hostFinding(StatusFail, "auto-lock is off: a stolen manager disk reveals the swarm's keys"))
}

// 7.7
func checkNodeCertExpiry(e *env) []finding {
	d := e.s.Engine.Swarm.Value.NodeCertExpiry
	if d == 0 {
		return one(hostFinding(StatusInfo, "node certificate expiry not reported"))
	}
	return one(hostFinding(StatusInfo, "node certificates expire after %s; check this matches your rotation policy", fmtDuration(d)))
}

func fmtDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

// section8 reports the Mirantis (Docker Enterprise) controls: they need
// MKE/MSR, which Community engines do not have.
func section8(e *env) []finding {
	platform := ""
	if v := e.s.Engine.Version.Value; e.s.Engine.Version.OK() && v != nil {
		platform = v.Platform.Name
	}
	l := strings.ToLower(platform)
	if strings.Contains(l, "mirantis") || strings.Contains(l, "enterprise") {
		return one(hostFinding(StatusManual, "engine platform %q: check this in the MKE/MSR admin console", platform))
	}
	if platform == "" {
		platform = "Community engine"
	}
	return one(hostFinding(StatusNotApplicable, "%s: MKE/MSR controls apply to Mirantis (Docker Enterprise) platforms only", platform))
}
