package hostbench

import (
	"path"
	"strconv"
	"strings"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
)

// 1.1.1
func checkDataRootPartition(e *env) []finding {
	root := "/var/lib/docker"
	if e.info != nil && e.info.DockerRootDir != "" {
		root = e.info.DockerRootDir
	} else if v := e.cfg.get("data-root").last(); v != "" {
		root = v
	}
	mounts := e.s.Host.Mounts
	if !mounts.OK() {
		return one(hostFinding(StatusInfo, "not readable: mount table: %s", mounts.Reason()))
	}
	candidates := []string{path.Clean(root)}
	if _, userns := e.securityOption("userns"); userns {
		// With userns-remap the data root is a uid.gid subdirectory of the
		// configured one, which is the directory that should be mounted.
		candidates = append(candidates, path.Dir(path.Clean(root)))
	}
	// dockerd bind-mounts its data root onto itself to make it private, so
	// a mount point alone proves nothing: the mount must be the root of its
	// own filesystem (mountinfo's root field "/"), not a bind of a directory.
	// The last entry for a path is the one on top.
	var top *hostsnapshot.Mount
	for i := range mounts.Value {
		m := &mounts.Value[i]
		for _, c := range candidates {
			if path.Clean(m.MountPoint) == c {
				top = m
			}
		}
	}
	switch {
	case top != nil && (top.Root == "/" || top.Root == ""):
		return one(hostFinding(StatusPass, "%s is a filesystem of its own (%s on %s)", top.MountPoint, top.FSType, top.Source))
	case top != nil:
		return one(hostFinding(StatusFail, "%s is only a bind mount of %s on %s, not a filesystem of its own", top.MountPoint, top.Root, top.Source))
	}
	return one(hostFinding(StatusFail, "%s is not a mount point; it shares a filesystem with %s", root, containingMount(mounts.Value, root)))
}

func containingMount(ms []hostsnapshot.Mount, p string) string {
	best := "/"
	for _, m := range ms {
		mp := path.Clean(m.MountPoint)
		if (p == mp || strings.HasPrefix(p, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best = mp
		}
	}
	return best
}

// 1.1.2
func checkDockerGroup(e *env) []finding {
	g := e.s.Host.DockerGroup
	switch {
	case g.Missing():
		return one(hostFinding(StatusPass, "no docker group on this host"))
	case !g.OK() || g.Value == nil:
		return one(hostFinding(StatusInfo, "not readable: docker group: %s", g.Reason()))
	}
	members := g.Value.Members
	if len(members) == 0 {
		return one(hostFinding(StatusPass, "docker group (gid %d) has no members", g.Value.GID))
	}
	list := strings.Join(members, ", ")
	if len(e.opts.TrustedDockerUsers) == 0 {
		return one(hostFinding(StatusInfo, "docker group members: %s; no list of trusted users was configured to judge them", list))
	}
	trusted := map[string]bool{}
	for _, u := range e.opts.TrustedDockerUsers {
		trusted[u] = true
	}
	var untrusted []string
	for _, m := range members {
		if !trusted[m] {
			untrusted = append(untrusted, m)
		}
	}
	if len(untrusted) > 0 {
		return one(hostFinding(StatusFail, "docker group members not in the trusted list: %s", strings.Join(untrusted, ", ")))
	}
	return one(hostFinding(StatusPass, "docker group members are all trusted: %s", list))
}

// auditCheck builds the rule for one of 1.1.3 to 1.1.18. targets returns
// the paths to look for (the first one is named in the evidence) and
// whether the host has any of them.
func auditCheck(targets func(e *env) []string) func(e *env) []finding {
	return func(e *env) []finding {
		paths := targets(e)
		if len(paths) == 0 {
			return one(hostFinding(StatusNotApplicable, "the file this control audits does not exist on this host"))
		}
		var present []string
		for _, p := range paths {
			if f, ok := e.fileByPath(p); ok && f.Read.Missing() {
				continue
			}
			present = append(present, p)
		}
		if len(present) == 0 {
			return one(hostFinding(StatusNotApplicable, "%s does not exist on this host", paths[0]))
		}
		a := e.s.Host.Audit
		if !a.OK() || a.Value == nil {
			return one(hostFinding(StatusInfo, "not readable: audit rules: %s", a.Reason()))
		}
		from := "loaded rules (auditctl -l)"
		if a.Value.Source == "none" {
			return one(hostFinding(StatusFail, "no audit rules at all: the host has no /etc/audit, so auditd is not set up"))
		}
		if a.Value.Source == "files" {
			from = "rules files " + strings.Join(a.Value.Files, ", ") + " (not confirmed loaded)"
		}
		for _, p := range present {
			if rule, ok := auditCovers(a.Value.Rules, p); ok {
				return one(hostFinding(StatusPass, "%s is audited by %q in %s", p, rule, from))
			}
		}
		return one(hostFinding(StatusFail, "no audit rule watches writes to %s in %s", present[0], from))
	}
}

// auditCovers finds a rule that records writes to p: a watch (-w) on p or
// on a directory above it, or a syscall rule with -F path=p or -F dir= a
// directory above it. Rules whose permissions leave out writes, and
// "never" rules, do not count.
func auditCovers(rules []string, p string) (string, bool) {
	for _, r := range rules {
		f := strings.Fields(r)
		var watch, dir, perms string
		never := false
		for i := 0; i < len(f); i++ {
			next := ""
			if i+1 < len(f) {
				next = f[i+1]
			}
			switch {
			case f[i] == "-w":
				watch = next
				i++
			case f[i] == "-p":
				perms = next
				i++
			case f[i] == "-a" || f[i] == "-A":
				never = strings.Contains(next, "never")
				i++
			case f[i] == "-F":
				k, v, _ := strings.Cut(next, "=")
				switch k {
				case "path":
					watch = v
				case "dir":
					dir = v
				case "perm":
					perms = v
				}
				i++
			}
		}
		if never || (perms != "" && !strings.ContainsAny(perms, "wa")) {
			continue
		}
		if watch != "" && (path.Clean(watch) == p || isUnder(p, watch)) {
			return r, true
		}
		if dir != "" && (path.Clean(dir) == p || isUnder(p, dir)) {
			return r, true
		}
	}
	return "", false
}

func isUnder(p, dir string) bool {
	dir = strings.TrimSuffix(path.Clean(dir), "/")
	return strings.HasPrefix(path.Clean(p), dir+"/")
}

// fileByPath finds a collected file by its path.
func (e *env) fileByPath(p string) (hostsnapshot.File, bool) {
	for _, f := range e.s.Host.Files {
		if f.Path == p {
			return f, true
		}
	}
	return hostsnapshot.File{}, false
}

// existing returns the paths of collected files with a role that exist.
func (e *env) existing(role string) []string {
	var out []string
	for _, f := range e.files[role] {
		if !f.Read.Missing() {
			out = append(out, f.Path)
		}
	}
	return out
}

func fixed(paths ...string) func(e *env) []string {
	return func(*env) []string { return paths }
}

func dockerdBinary(e *env) []string {
	if ps := e.existing("dockerd-binary"); len(ps) > 0 {
		return append(ps, "/usr/bin/dockerd")
	}
	return []string{"/usr/bin/dockerd"}
}

func dataRoot(e *env) []string {
	if e.info != nil && e.info.DockerRootDir != "" {
		return []string{e.info.DockerRootDir}
	}
	return []string{"/var/lib/docker"}
}

func unitPaths(role string) func(e *env) []string {
	return func(e *env) []string {
		if ps := e.existing(role); len(ps) > 0 {
			return ps
		}
		if fs := e.files[role]; len(fs) > 0 {
			return []string{fs[0].Path}
		}
		return []string{"/lib/systemd/system/" + role}
	}
}

func roleOr(role, fallback string) func(e *env) []string {
	return func(e *env) []string {
		if ps := e.existing(role); len(ps) > 0 {
			return ps
		}
		return []string{fallback}
	}
}

// 1.2.1
func checkHostHardened(e *env) []finding {
	os := "unknown"
	if e.info != nil {
		os = e.info.OperatingSystem + ", kernel " + e.info.KernelVersion
	}
	return one(hostFinding(StatusManual, "host OS %s; judge it against the CIS benchmark for that distribution", os))
}

// 1.2.2
func checkEngineVersion(e *env) []finding {
	if e.info == nil {
		return one(e.infoMissing())
	}
	v := e.info.ServerVersion
	if e.opts.MinEngineVersion == "" {
		return one(hostFinding(StatusInfo, "Docker Engine %s; compare it with the releases your vendor still patches", v))
	}
	if versionLess(v, e.opts.MinEngineVersion) {
		return one(hostFinding(StatusFail, "Docker Engine %s is older than the required %s", v, e.opts.MinEngineVersion))
	}
	return one(hostFinding(StatusPass, "Docker Engine %s is at least %s", v, e.opts.MinEngineVersion))
}

// versionLess compares dotted numeric versions ("20.10.24+dfsg1" < "27.0").
func versionLess(a, b string) bool {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func versionParts(v string) []int {
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(v, "+-~ "); i >= 0 {
		v = v[:i]
	}
	var out []int
	for _, p := range strings.Split(v, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			break
		}
		out = append(out, n)
	}
	return out
}
