package collect

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	hs "github.com/palisadesec/palisade/internal/hostsnapshot"
)

// hostReader reads host files under root. Paths it records are host paths.
type hostReader struct {
	root   string
	socket string // the engine's socket, as a host path
	users  map[int]string
	groups map[int]string
	homes  map[int]string
}

func (h *hostReader) p(hostPath string) string {
	return filepath.Join(h.root, hostPath)
}

func (h *hostReader) collect(out *hs.Host, info *hs.Info) {
	h.loadNames()
	out.Dockerd = h.dockerd()
	var args []string
	uid := 0
	if p := out.Dockerd.Value; p != nil {
		args, uid = p.Args, p.UID
	}
	out.DaemonConfig = h.daemonConfig(args, uid)
	var cfg map[string]any
	if d := out.DaemonConfig.Value; d != nil {
		cfg = d.Parsed
	}
	out.Files = h.files(args, cfg, uid, info, out.Dockerd.Value)
	out.Audit = h.audit()
	out.Mounts = h.mounts()
	out.DockerGroup = h.dockerGroup()
	out.Listeners = h.listeners()
	out.Security = h.lsm()
	out.Environment = h.environment()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// loadNames reads the host's /etc/passwd and /etc/group for owner names.
func (h *hostReader) loadNames() {
	h.users, h.groups, h.homes = map[int]string{}, map[int]string{}, map[int]string{}
	eachColonLine(h.p("/etc/passwd"), func(f []string) {
		if len(f) >= 6 {
			if id, err := strconv.Atoi(f[2]); err == nil {
				h.users[id] = f[0]
				h.homes[id] = f[5]
			}
		}
	})
	eachColonLine(h.p("/etc/group"), func(f []string) {
		if len(f) >= 3 {
			if id, err := strconv.Atoi(f[2]); err == nil {
				h.groups[id] = f[0]
			}
		}
	})
}

func eachColonLine(file string, fn func([]string)) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
	return sc.Err()
}

// dockerd finds the dockerd serving the engine's socket: the process that
// holds the listening unix socket bound to that path, else the only
// process named dockerd.
func (h *hostReader) dockerd() hs.Item[*hs.Process] {
	proc := h.p("/proc")
	pids, err := procPIDs(proc)
	if err != nil {
		return hs.Failed[*hs.Process](hs.ReadOf(err))
	}
	if inode := listeningUnixInode(filepath.Join(proc, "net/unix"), h.socket); inode != "" {
		target := "socket:[" + inode + "]"
		for _, pid := range pids {
			fds, _ := os.ReadDir(filepath.Join(proc, strconv.Itoa(pid), "fd"))
			for _, fd := range fds {
				l, _ := os.Readlink(filepath.Join(proc, strconv.Itoa(pid), "fd", fd.Name()))
				if l == target {
					return h.process(pid, "holds the engine's listening socket "+h.socket)
				}
			}
		}
	}
	var found []int
	for _, pid := range pids {
		b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "comm"))
		if err == nil && strings.TrimSpace(string(b)) == "dockerd" {
			found = append(found, pid)
		}
	}
	switch len(found) {
	case 0:
		return hs.Failed[*hs.Process](hs.Read{State: hs.ReadMissing, Detail: "no dockerd process visible in " + proc})
	case 1:
		return h.process(found[0], "only dockerd process")
	}
	return hs.Failed[*hs.Process](hs.Read{State: hs.ReadFailed,
		Detail: fmt.Sprintf("%d dockerd processes and none holds %s visibly", len(found), h.socket)})
}

func procPIDs(proc string) ([]int, error) {
	ents, err := os.ReadDir(proc)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// listeningUnixInode finds the inode of the listening unix socket bound to
// path in /proc/net/unix.
func listeningUnixInode(netUnix, sock string) string {
	f, err := os.Open(netUnix)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// Num RefCount Protocol Flags Type St Inode Path
		fl := strings.Fields(sc.Text())
		if len(fl) < 8 || fl[7] != sock {
			continue
		}
		flags, _ := strconv.ParseUint(fl[3], 16, 32)
		if flags&0x10000 != 0 { // __SO_ACCEPTCON: a listening socket
			return fl[6]
		}
	}
	return ""
}

func (h *hostReader) process(pid int, how string) hs.Item[*hs.Process] {
	dir := filepath.Join(h.p("/proc"), strconv.Itoa(pid))
	b, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil {
		return hs.Failed[*hs.Process](hs.ReadOf(err))
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if len(args) > hs.MaxCmdlineArgs {
		args = args[:hs.MaxCmdlineArgs]
	}
	p := &hs.Process{PID: pid, Args: args, FoundBy: how}
	if st, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		for _, line := range strings.Split(string(st), "\n") {
			if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					p.UID, _ = strconv.Atoi(f[0])
				}
			}
		}
	}
	return hs.Got(p)
}

// flagValues returns the values of a dockerd flag (--name=v or --name v).
func flagValues(args []string, names ...string) []string {
	var out []string
	for i := 1; i < len(args); i++ {
		for _, n := range names {
			if v, ok := strings.CutPrefix(args[i], n+"="); ok {
				out = append(out, v)
			} else if args[i] == n && i+1 < len(args) {
				out = append(out, args[i+1])
			}
		}
	}
	return out
}

func lastOf(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

func (h *hostReader) daemonConfigPath(args []string, uid int) string {
	if p := lastOf(flagValues(args, "--config-file")); p != "" {
		return p
	}
	if uid != 0 && h.homes[uid] != "" {
		return path.Join(h.homes[uid], ".config/docker/daemon.json")
	}
	return "/etc/docker/daemon.json"
}

func (h *hostReader) daemonConfig(args []string, uid int) hs.Item[*hs.DaemonConfig] {
	p := h.daemonConfigPath(args, uid)
	b, err := readLimited(h.p(p), hs.MaxDaemonConfig)
	if err != nil {
		it := hs.Failed[*hs.DaemonConfig](hs.ReadOf(err))
		it.Value = &hs.DaemonConfig{Path: p}
		return it
	}
	d := &hs.DaemonConfig{Path: p, Raw: string(b)}
	if strings.TrimSpace(d.Raw) != "" {
		if err := json.Unmarshal(b, &d.Parsed); err != nil {
			d.ParseError = truncate(err.Error(), 300)
		}
	}
	return hs.Got(d)
}

func readLimited(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

// files stats every path the benchmark names, each under its role.
func (h *hostReader) files(args []string, cfg map[string]any, uid int, info *hs.Info, p *hs.Process) []hs.File {
	var out []hs.File
	seen := map[string]bool{}
	add := func(role, hostPath string) {
		if hostPath == "" || seen[role+"\x00"+hostPath] {
			return
		}
		seen[role+"\x00"+hostPath] = true
		out = append(out, h.stat(role, hostPath))
	}
	unitDirs := []string{"/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}
	if uid != 0 && h.homes[uid] != "" {
		unitDirs = append([]string{path.Join(h.homes[uid], ".config/systemd/user")}, unitDirs...)
	}
	for _, unit := range []string{"docker.service", "docker.socket"} {
		for _, d := range unitDirs {
			add(unit, path.Join(d, unit))
		}
	}
	add("etc-docker", "/etc/docker")
	add("daemon.json", h.daemonConfigPath(args, uid))
	add("default-docker", "/etc/default/docker")
	add("sysconfig-docker", "/etc/sysconfig/docker")
	for _, c := range h.registryCerts() {
		add("registry-cert", c)
	}
	for _, name := range []string{"tlscacert", "tlscert", "tlskey"} {
		v := lastOf(flagValues(args, "--"+name))
		if v == "" {
			v, _ = cfg[name].(string)
		}
		add(name, v)
	}
	add("docker.sock", h.socket)
	for _, host := range append(flagValues(args, "-H", "--host"), stringList(cfg["hosts"])...) {
		if s, ok := strings.CutPrefix(host, "unix://"); ok && s != "" {
			add("docker.sock", s)
		}
	}
	if uid == 0 {
		add("docker.sock", "/var/run/docker.sock")
	}
	add("containerd.sock", lastOf(flagValues(args, "--containerd")))
	if er := lastOf(flagValues(args, "--exec-root")); er != "" {
		add("containerd.sock", path.Join(er, "containerd/containerd.sock"))
	}
	add("containerd.sock", "/run/containerd/containerd.sock")
	if p != nil {
		if exe, err := os.Readlink(filepath.Join(h.p("/proc"), strconv.Itoa(p.PID), "exe")); err == nil {
			add("dockerd-binary", strings.TrimSuffix(exe, " (deleted)"))
		}
	}
	dataRoot := "/var/lib/docker"
	if info != nil && info.DockerRootDir != "" {
		dataRoot = info.DockerRootDir
	}
	for _, t := range []string{"/run/containerd", dataRoot, "/etc/containerd/config.toml",
		"/usr/bin/containerd", "/usr/bin/containerd-shim", "/usr/bin/containerd-shim-runc-v1",
		"/usr/bin/containerd-shim-runc-v2", "/usr/bin/runc", "/usr/bin/dockerd"} {
		add("audit-target", t)
	}
	return out
}

func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// registryCerts lists *.crt files under /etc/docker/certs.d, at most 500.
func (h *hostReader) registryCerts() []string {
	var out []string
	base := h.p("/etc/docker/certs.d")
	_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(out) >= 500 {
			return nil
		}
		if !d.IsDir() && strings.HasSuffix(p, ".crt") {
			rel, _ := filepath.Rel(base, p)
			out = append(out, path.Join("/etc/docker/certs.d", filepath.ToSlash(rel)))
		}
		return nil
	})
	return out
}

func (h *hostReader) stat(role, hostPath string) hs.File {
	f := hs.File{Path: hostPath, Role: role}
	fi, err := os.Stat(h.p(hostPath))
	if err != nil {
		f.Read = hs.ReadOf(err)
		return f
	}
	f.Read = hs.Read{State: hs.ReadOK}
	f.Mode = hs.Mode(uint32(fi.Mode().Perm()))
	if fi.Mode()&fs.ModeSetuid != 0 {
		f.Mode |= 0o4000
	}
	if fi.Mode()&fs.ModeSetgid != 0 {
		f.Mode |= 0o2000
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		f.Mode |= 0o1000
	}
	switch {
	case fi.IsDir():
		f.Type = "dir"
	case fi.Mode()&fs.ModeSocket != 0:
		f.Type = "socket"
	case fi.Mode().IsRegular():
		f.Type = "file"
	default:
		f.Type = "other"
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		f.UID, f.GID = int(st.Uid), int(st.Gid)
		f.Owner, f.Group = h.users[f.UID], h.groups[f.GID]
	}
	return f
}

// audit reads the loaded rules with auditctl -l when the agent runs on the
// host itself; otherwise, or when that fails, the rules files.
func (h *hostReader) audit() hs.Item[*hs.AuditRules] {
	if h.root == "/" {
		if bin, err := exec.LookPath("auditctl"); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			out, err := exec.CommandContext(ctx, bin, "-l").Output()
			cancel()
			if err == nil {
				return hs.Got(&hs.AuditRules{Source: "auditctl", Rules: ruleLines(string(out))})
			}
		}
	}
	files := []string{"/etc/audit/audit.rules"}
	if m, err := filepath.Glob(h.p("/etc/audit/rules.d/*.rules")); err == nil {
		sort.Strings(m)
		for _, f := range m {
			rel, _ := filepath.Rel(h.root, f)
			files = append(files, "/"+filepath.ToSlash(rel))
		}
	}
	if _, err := os.Stat(h.p("/etc/audit")); errors.Is(err, fs.ErrNotExist) {
		return hs.Got(&hs.AuditRules{Source: "none", Rules: []string{}})
	}
	r := &hs.AuditRules{Source: "files", Rules: []string{}}
	var lastErr error
	for _, f := range files {
		b, err := readLimited(h.p(f), 4<<20)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				lastErr = err
			}
			continue
		}
		r.Files = append(r.Files, f)
		r.Rules = append(r.Rules, ruleLines(string(b))...)
	}
	if len(r.Files) == 0 && lastErr != nil {
		return hs.Failed[*hs.AuditRules](hs.ReadOf(lastErr))
	}
	if len(r.Rules) > hs.MaxAuditRules {
		r.Rules = r.Rules[:hs.MaxAuditRules]
	}
	return hs.Got(r)
}

func ruleLines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || l == "No rules" {
			continue
		}
		out = append(out, l)
	}
	return out
}

// mounts reads the mount table of the host's init process (the host's
// mount namespace), else the agent's own.
func (h *hostReader) mounts() hs.Item[[]hs.Mount] {
	var firstErr error
	for _, p := range []string{"/proc/1/mountinfo", "/proc/self/mountinfo"} {
		b, err := readLimited(h.p(p), 16<<20)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		ms := parseMountinfo(string(b))
		if len(ms) > hs.MaxMounts {
			ms = ms[:hs.MaxMounts]
		}
		return hs.Got(ms)
	}
	return hs.Failed[[]hs.Mount](hs.ReadOf(firstErr))
}

func parseMountinfo(s string) []hs.Mount {
	out := []hs.Mount{}
	for _, line := range strings.Split(s, "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 6 || len(b) < 2 {
			continue
		}
		out = append(out, hs.Mount{MountPoint: unescapeOctal(a[4]), Root: unescapeOctal(a[3]),
			Options: a[5], FSType: b[0], Source: unescapeOctal(b[1])})
	}
	return out
}

// unescapeOctal undoes the kernel's \040-style escapes in mount paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				sb.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

func (h *hostReader) dockerGroup() hs.Item[*hs.Group] {
	var g *hs.Group
	err := eachColonLine(h.p("/etc/group"), func(f []string) {
		if len(f) >= 4 && f[0] == "docker" && g == nil {
			gid, _ := strconv.Atoi(f[2])
			g = &hs.Group{Name: "docker", GID: gid, Members: []string{}}
			for _, m := range strings.Split(f[3], ",") {
				if m = strings.TrimSpace(m); m != "" {
					g.Members = append(g.Members, m)
				}
			}
		}
	})
	if err != nil {
		return hs.Failed[*hs.Group](hs.ReadOf(err))
	}
	if g == nil {
		return hs.Failed[*hs.Group](hs.Read{State: hs.ReadMissing, Detail: "no docker group in /etc/group"})
	}
	_ = eachColonLine(h.p("/etc/passwd"), func(f []string) {
		if len(f) >= 4 && f[3] == strconv.Itoa(g.GID) && !contains(g.Members, f[0]) {
			g.Members = append(g.Members, f[0])
		}
	})
	return hs.Got(g)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// listeners reads the host's listening TCP sockets from the network
// namespace of its init process.
func (h *hostReader) listeners() hs.Item[[]hs.Listener] {
	out := []hs.Listener{}
	read := 0
	var firstErr error
	for _, proto := range []string{"tcp", "tcp6"} {
		b, err := readLimited(h.p("/proc/1/net/"+proto), 32<<20)
		if err != nil {
			b, err = readLimited(h.p("/proc/net/"+proto), 32<<20)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		read++
		out = append(out, parseProcNetTCP(string(b), proto)...)
	}
	if read == 0 {
		return hs.Failed[[]hs.Listener](hs.ReadOf(firstErr))
	}
	if len(out) > hs.MaxListeners {
		out = out[:hs.MaxListeners]
	}
	return hs.Got(out)
}

func parseProcNetTCP(s, proto string) []hs.Listener {
	var out []hs.Listener
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "0A" { // 0A is TCP_LISTEN
			continue
		}
		addr, port, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		pn, err := strconv.ParseUint(port, 16, 16)
		if err != nil {
			continue
		}
		ip, err := procHexIP(addr)
		if err != nil {
			continue
		}
		out = append(out, hs.Listener{Proto: proto, Address: ip, Port: int(pn)})
	}
	return out
}

// procHexIP decodes /proc/net/tcp addresses: 32-bit words in host (little
// endian) byte order.
func procHexIP(h string) (string, error) {
	if len(h) != 8 && len(h) != 32 {
		return "", fmt.Errorf("bad address %q", h)
	}
	b := make([]byte, len(h)/2)
	for i := range b {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return "", err
		}
		b[i] = byte(v)
	}
	for w := 0; w < len(b); w += 4 {
		b[w], b[w+1], b[w+2], b[w+3] = b[w+3], b[w+2], b[w+1], b[w]
	}
	if len(b) == 4 {
		return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3]), nil
	}
	return netIP16(b), nil
}

func netIP16(b []byte) string {
	return (&ip16{b}).String()
}

func (h *hostReader) lsm() hs.Item[*hs.LSM] {
	l := &hs.LSM{}
	b, err := os.ReadFile(h.p("/sys/module/apparmor/parameters/enabled"))
	if err != nil {
		l.AppArmor = hs.Failed[bool](hs.ReadOf(err))
	} else {
		l.AppArmor = hs.Got(strings.TrimSpace(string(b)) == "Y")
	}
	b, err = os.ReadFile(h.p("/sys/fs/selinux/enforce"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		l.SELinux = hs.Got("disabled")
	case err != nil:
		l.SELinux = hs.Failed[string](hs.ReadOf(err))
	case strings.TrimSpace(string(b)) == "1":
		l.SELinux = hs.Got("enforcing")
	default:
		l.SELinux = hs.Got("permissive")
	}
	if _, err := os.Stat(h.p("/sys/module")); err != nil {
		// Without /sys the module check above says nothing.
		l.AppArmor = hs.Failed[bool](hs.ReadOf(err))
		l.SELinux = hs.Failed[string](hs.ReadOf(err))
	}
	return hs.Got(l)
}

// environment keeps the Docker client settings of /etc/environment.
func (h *hostReader) environment() hs.Item[map[string]string] {
	b, err := readLimited(h.p("/etc/environment"), 1<<20)
	if err != nil {
		return hs.Failed[map[string]string](hs.ReadOf(err))
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "export ")
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.HasPrefix(k, "DOCKER_CONTENT_TRUST") {
			out[k] = strings.Trim(v, `"'`)
		}
	}
	return hs.Got(out)
}
