package hostbench

import (
	"strings"
)

// boolSetting judges a boolean daemon option: want is the compliant value,
// def the value dockerd uses when it is not set.
func boolSetting(e *env, flag string, want, def bool) finding {
	v, src, ok := e.cfg.getBool(flag)
	if ok {
		if v == want {
			return hostFinding(StatusPass, "%s=%t (%s)", flag, v, src)
		}
		return hostFinding(StatusFail, "%s=%t (%s)", flag, v, src)
	}
	if done, why := e.cfg.complete(); !done {
		return hostFinding(StatusInfo, "%s is not set where it could be read; %s", flag, why)
	}
	if def == want {
		return hostFinding(StatusPass, "%s is not set; the default (%t) applies", flag, def)
	}
	return hostFinding(StatusFail, "%s is not set in %s or on the dockerd command line; the default is %t", flag, e.cfg.filePath, def)
}

// 2.1
func checkRootless(e *env) []finding {
	if ok, how := e.rootless(); ok {
		return one(hostFinding(StatusPass, "rootless: %s", how))
	}
	if e.info == nil && !e.s.Host.Dockerd.OK() {
		return one(hostFinding(StatusInfo, "not readable: engine info: %s; dockerd process: %s",
			e.s.Engine.Info.Reason(), e.s.Host.Dockerd.Reason()))
	}
	return one(hostFinding(StatusInfo, "dockerd runs as root; consider rootless mode where the workloads allow it"))
}

// 2.2
func checkICC(e *env) []finding {
	if nets := e.s.Engine.Networks; nets.OK() {
		br, ok := e.defaultBridge()
		if !ok {
			return one(hostFinding(StatusNotApplicable, "the engine has no default bridge network (started with --bridge=none)"))
		}
		switch br.Options["com.docker.network.bridge.enable_icc"] {
		case "false":
			return one(hostFinding(StatusPass, "default bridge has com.docker.network.bridge.enable_icc=false"))
		case "true":
			return one(hostFinding(StatusFail, "default bridge has com.docker.network.bridge.enable_icc=true: its containers can reach each other"))
		}
	}
	return one(boolSetting(e, "icc", false, true))
}

// 2.3
func checkLogLevel(e *env) []finding {
	s := e.cfg.get("log-level")
	if s.set() {
		if lvl := strings.ToLower(s.last()); lvl == "info" {
			return one(hostFinding(StatusPass, "log-level=info (%s)", s.source))
		}
		return one(hostFinding(StatusFail, "log-level=%s (%s)", s.last(), s.source))
	}
	if d, src, ok := e.cfg.getBool("debug"); ok && d {
		return one(hostFinding(StatusFail, "debug logging is on (%s)", src))
	}
	if e.info != nil && e.info.Debug {
		return one(hostFinding(StatusFail, "engine reports Debug=true: it logs at debug level"))
	}
	if done, why := e.cfg.complete(); !done {
		return one(hostFinding(StatusInfo, "log-level is not set where it could be read; %s", why))
	}
	return one(hostFinding(StatusPass, "log-level is not set; the default (info) applies"))
}

// 2.4
func checkIptables(e *env) []finding {
	return one(boolSetting(e, "iptables", true, true))
}

// 2.5
func checkInsecureRegistries(e *env) []finding {
	if e.info == nil || e.info.RegistryConfig == nil {
		if e.info == nil {
			return one(e.infoMissing())
		}
		return one(hostFinding(StatusInfo, "not readable: engine info has no registry configuration"))
	}
	rc := e.info.RegistryConfig
	var bad []string
	for _, cidr := range rc.InsecureRegistryCIDRs {
		// The engine always trusts loopback; that is not a setting.
		if cidr != "127.0.0.0/8" && cidr != "::1/128" {
			bad = append(bad, cidr)
		}
	}
	for _, name := range sortedKeys(rc.IndexConfigs) {
		if !rc.IndexConfigs[name].Secure {
			bad = append(bad, name)
		}
	}
	if len(bad) > 0 {
		return one(hostFinding(StatusFail, "insecure registries: %s", strings.Join(bad, ", ")))
	}
	return one(hostFinding(StatusPass, "no insecure registries beyond loopback"))
}

// 2.6
func checkAufs(e *env) []finding {
	if e.info == nil {
		return one(e.infoMissing())
	}
	if e.info.Driver == "aufs" {
		return one(hostFinding(StatusFail, "storage driver is aufs"))
	}
	return one(hostFinding(StatusPass, "storage driver is %s", e.info.Driver))
}

// 2.7
func checkTLS(e *env) []finding {
	if e.info != nil {
		for _, w := range e.info.Warnings {
			if strings.Contains(w, "API is accessible on http://") || strings.Contains(w, "without encryption") ||
				strings.Contains(w, "without TLS client verification") {
				return one(hostFinding(StatusFail, "engine warns: %s", strings.TrimSpace(w)))
			}
		}
	}
	var tcp []string
	for _, h := range e.cfg.get("host").values {
		if strings.HasPrefix(h, "tcp://") {
			tcp = append(tcp, h)
		}
	}
	if len(tcp) == 0 {
		if done, why := e.cfg.complete(); !done {
			return one(hostFinding(StatusInfo, "cannot tell whether the API listens on TCP; %s", why))
		}
		return one(hostFinding(StatusNotApplicable, "the API listens on no TCP address"))
	}
	verify, _, _ := e.cfg.getBool("tlsverify")
	var missing []string
	for _, f := range []string{"tlscacert", "tlscert", "tlskey"} {
		if !e.cfg.get(f).set() {
			missing = append(missing, f)
		}
	}
	addrs := strings.Join(tcp, ", ")
	switch {
	case !verify:
		tls, _, _ := e.cfg.getBool("tls")
		if tls {
			return one(hostFinding(StatusFail, "API on %s uses TLS without client certificate verification (tlsverify not set)", addrs))
		}
		return one(hostFinding(StatusFail, "API on %s has no TLS: anyone who reaches it controls the engine", addrs))
	case len(missing) > 0:
		// dockerd falls back to ~/.docker/{ca,cert,key}.pem; say so.
		return one(hostFinding(StatusPass, "API on %s requires client certificates (tlsverify); %s not set, so dockerd uses its default file locations", addrs, strings.Join(missing, ", ")))
	}
	return one(hostFinding(StatusPass, "API on %s requires client certificates (tlsverify with tlscacert, tlscert, tlskey)", addrs))
}

// 2.8
func checkDefaultUlimits(e *env) []finding {
	s := e.cfg.get("default-ulimit")
	if s.set() {
		return one(hostFinding(StatusPass, "default ulimits set (%s): %s", s.source, strings.Join(s.values, ", ")))
	}
	if done, why := e.cfg.complete(); !done {
		return one(hostFinding(StatusInfo, "default-ulimits is not set where it could be read; %s", why))
	}
	return one(hostFinding(StatusInfo, "no daemon-wide default ulimits; containers inherit the daemon's own limits"))
}

// 2.9
func checkUserns(e *env) []finding {
	if e.info == nil {
		return one(e.infoMissing())
	}
	if opt, ok := e.securityOption("userns"); ok {
		_ = opt
		src := e.cfg.get("userns-remap")
		if src.set() {
			return one(hostFinding(StatusPass, "user namespace remapping is on (userns-remap=%s, %s)", src.last(), src.source))
		}
		return one(hostFinding(StatusPass, "engine reports name=userns: user namespace remapping is on"))
	}
	if ok, how := e.rootless(); ok {
		return one(hostFinding(StatusPass, "rootless engine (%s): container root already maps to an unprivileged host user", how))
	}
	return one(hostFinding(StatusFail, "user namespace remapping is off: root in a container is root on the host"))
}

// 2.10
func checkCgroupParent(e *env) []finding {
	s := e.cfg.get("cgroup-parent")
	if s.set() {
		return one(hostFinding(StatusFail, "cgroup-parent=%s (%s); confirm this cgroup is meant for containers", s.last(), s.source))
	}
	if done, why := e.cfg.complete(); !done {
		return one(hostFinding(StatusInfo, "cgroup-parent is not set where it could be read; %s", why))
	}
	return one(hostFinding(StatusPass, "cgroup-parent is not set; containers use the default cgroup"))
}

// 2.11
func checkBaseSize(e *env) []finding {
	if e.info != nil && e.info.Driver != "devicemapper" {
		return one(hostFinding(StatusNotApplicable, "storage driver is %s; the base device size only applies to devicemapper", e.info.Driver))
	}
	s := e.cfg.get("storage-opt")
	for _, v := range s.values {
		if strings.HasPrefix(v, "dm.basesize") {
			return one(hostFinding(StatusFail, "%s (%s)", v, s.source))
		}
	}
	if done, why := e.cfg.complete(); !done {
		return one(hostFinding(StatusInfo, "storage options could not all be read; %s", why))
	}
	return one(hostFinding(StatusPass, "dm.basesize is not changed"))
}

// 2.12
func checkAuthz(e *env) []finding {
	if e.info == nil {
		return one(e.infoMissing())
	}
	if p := e.info.Plugins.Authorization; len(p) > 0 {
		return one(hostFinding(StatusPass, "authorization plugins: %s", strings.Join(p, ", ")))
	}
	return one(hostFinding(StatusFail, "no authorization plugin: every client of the API may do everything"))
}

// 2.13
func checkRemoteLogging(e *env) []finding {
	if e.info == nil {
		return one(e.infoMissing())
	}
	switch d := e.info.LoggingDriver; d {
	case "json-file", "local", "none", "":
		return one(hostFinding(StatusFail, "default logging driver is %q: logs stay on this host", d))
	default:
		return one(hostFinding(StatusPass, "default logging driver is %s", d))
	}
}

// 2.14
func checkDaemonNoNewPrivs(e *env) []finding {
	return one(boolSetting(e, "no-new-privileges", true, false))
}

// 2.15
func checkLiveRestore(e *env) []finding {
	if e.info == nil {
		return one(e.infoMissing())
	}
	if e.info.LiveRestoreEnabled {
		return one(hostFinding(StatusPass, "live restore is on"))
	}
	if e.swarmActive() {
		return one(hostFinding(StatusNotApplicable, "swarm mode is on, which cannot be combined with live restore"))
	}
	return one(hostFinding(StatusFail, "live restore is off: restarting dockerd stops every container"))
}

// 2.16
func checkUserlandProxy(e *env) []finding {
	return one(boolSetting(e, "userland-proxy", false, true))
}

// 2.17
func checkSeccompProfile(e *env) []finding {
	if e.info == nil {
		return one(e.infoMissing())
	}
	opt, ok := e.securityOption("seccomp")
	if !ok {
		return one(hostFinding(StatusFail, "seccomp is not among the engine's security options: containers run without syscall filtering"))
	}
	switch p := opt["profile"]; p {
	case "unconfined":
		return one(hostFinding(StatusFail, "daemon-wide seccomp profile is unconfined"))
	case "default", "builtin", "":
		return one(hostFinding(StatusInfo, "the engine's built-in seccomp profile is the default (profile=%s); a custom one is only needed for special workloads", p))
	default:
		return one(hostFinding(StatusPass, "custom daemon-wide seccomp profile %s", p))
	}
}

// 2.18
func checkExperimental(e *env) []finding {
	if e.info == nil {
		return one(e.infoMissing())
	}
	if e.info.ExperimentalBuild {
		return one(hostFinding(StatusFail, "experimental features are on"))
	}
	return one(hostFinding(StatusPass, "experimental features are off"))
}
