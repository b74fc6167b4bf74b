package hostbench

import (
	"fmt"
	"sort"
	"strings"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
)

// daemonOpts is the daemon's configuration as set in daemon.json and on
// dockerd's command line. A setting can live in either place (dockerd
// refuses to start when both set the same one), so a rule reads both.
type daemonOpts struct {
	flags     map[string][]string
	file      map[string]any
	flagsRead hostsnapshot.Read
	fileRead  hostsnapshot.Read
	filePath  string
}

// setting is one option's value and where it came from.
type setting struct {
	values []string
	source string
}

func (s setting) set() bool { return len(s.values) > 0 }

func (s setting) last() string {
	if len(s.values) == 0 {
		return ""
	}
	return s.values[len(s.values)-1]
}

// boolFlags are the dockerd flags that take no separate value.
var boolFlags = map[string]bool{
	"icc": true, "iptables": true, "ip6tables": true, "ipv6": true,
	"ip-forward": true, "ip-masq": true, "tls": true, "tlsverify": true,
	"live-restore": true, "userland-proxy": true, "no-new-privileges": true,
	"experimental": true, "debug": true, "selinux-enabled": true,
	"rootless": true, "raw-logs": true, "init": true, "validate": true,
	"help": true, "version": true,
}

// shortFlags maps dockerd's one-letter flags to their long names.
var shortFlags = map[string]string{
	"H": "host", "l": "log-level", "s": "storage-driver", "D": "debug",
	"G": "group", "g": "data-root", "p": "pidfile", "b": "bridge",
}

// flagToKey maps a dockerd flag to its daemon.json key where they differ.
var flagToKey = map[string]string{
	"host":                 "hosts",
	"insecure-registry":    "insecure-registries",
	"default-ulimit":       "default-ulimits",
	"storage-opt":          "storage-opts",
	"authorization-plugin": "authorization-plugins",
	"log-opt":              "log-opts",
	"registry-mirror":      "registry-mirrors",
	"label":                "labels",
	"exec-opt":             "exec-opts",
	"graph":                "data-root",
}

func newDaemonOpts(s *hostsnapshot.Snapshot) *daemonOpts {
	d := &daemonOpts{flags: map[string][]string{}, file: map[string]any{}}
	d.flagsRead = s.Host.Dockerd.Read
	if p := s.Host.Dockerd.Value; s.Host.Dockerd.OK() && p != nil {
		d.flags = parseDockerdArgs(p.Args)
	}
	d.fileRead = s.Host.DaemonConfig.Read
	if c := s.Host.DaemonConfig.Value; c != nil {
		d.filePath = c.Path
		if c.ParseError != "" && d.fileRead.OK() {
			d.fileRead = hostsnapshot.Read{State: hostsnapshot.ReadFailed, Detail: "invalid JSON: " + c.ParseError}
		}
		if d.fileRead.OK() && c.Parsed != nil {
			d.file = c.Parsed
		}
	}
	if d.filePath == "" {
		d.filePath = "daemon.json"
	}
	return d
}

// parseDockerdArgs turns dockerd's argv into long flag names and values.
func parseDockerdArgs(args []string) map[string][]string {
	out := map[string][]string{}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			continue
		}
		name := strings.TrimLeft(a, "-")
		value, hasValue := "", false
		if n, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = n, v, true
		}
		if !strings.HasPrefix(a, "--") {
			// -H tcp://... , -Htcp://..., -D
			if long, ok := shortFlags[name[:1]]; ok {
				if len(name) > 1 && !hasValue {
					value, hasValue = name[1:], true
				}
				name = long
			}
		}
		if name == "graph" {
			name = "data-root"
		}
		if !hasValue {
			if boolFlags[name] {
				value = "true"
			} else if i+1 < len(args) {
				i++
				value = args[i]
			}
		}
		out[name] = append(out[name], value)
	}
	return out
}

// get returns a setting by its dockerd flag name ("icc", "host").
func (d *daemonOpts) get(flag string) setting {
	if vs, ok := d.flags[flag]; ok {
		return setting{values: vs, source: "dockerd --" + flag}
	}
	key := flag
	if k, ok := flagToKey[flag]; ok {
		key = k
	}
	if v, ok := d.file[key]; ok {
		vals := jsonValues(v)
		if len(vals) == 0 {
			return setting{}
		}
		return setting{values: vals, source: fmt.Sprintf("%s %q", d.filePath, key)}
	}
	return setting{}
}

// getBool reads a boolean setting; ok is false when it is not set.
func (d *daemonOpts) getBool(flag string) (value bool, src string, ok bool) {
	s := d.get(flag)
	if !s.set() {
		return false, "", false
	}
	return s.last() == "true", s.source, true
}

// complete reports whether both places a setting can live were read, so
// that an unset setting really means the default. A missing daemon.json is
// complete: the defaults apply.
func (d *daemonOpts) complete() (bool, string) {
	var why []string
	if !d.flagsRead.OK() {
		why = append(why, "dockerd command line: "+d.flagsRead.Reason())
	}
	if !d.fileRead.OK() && !d.fileRead.Missing() {
		why = append(why, d.filePath+": "+d.fileRead.Reason())
	}
	if len(why) == 0 {
		return true, ""
	}
	return false, "not readable: " + strings.Join(why, "; ")
}

// jsonValues flattens a daemon.json value into strings: a list gives its
// elements, an object its keys.
func jsonValues(v any) []string {
	switch t := v.(type) {
	case nil:
		return nil
	case bool:
		if t {
			return []string{"true"}
		}
		return []string{"false"}
	case string:
		return []string{t}
	case float64:
		return []string{fmt.Sprint(t)}
	case []any:
		var out []string
		for _, x := range t {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	default:
		return []string{fmt.Sprint(t)}
	}
}
