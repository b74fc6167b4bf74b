package hostbench

import (
	"fmt"
	"strings"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
)

// owner is who should own a file: user root (or, on a rootless engine, the
// user dockerd runs as) and the named group; an empty group means any.
type owner struct {
	group string
}

var (
	rootRoot   = owner{group: "root"}
	rootAny    = owner{}
	rootDocker = owner{group: "docker"}
)

// fileCheck judges every collected file with the role: ownership when mask
// is 0, else mode. Files that do not exist are left out; when none exists
// the control does not apply.
func fileCheck(role, what string, o owner, mask hostsnapshot.Mode) func(e *env) []finding {
	return func(e *env) []finding {
		files := e.files[role]
		var bad, good, unread []string
		for _, f := range files {
			switch {
			case f.Read.Missing():
				continue
			case !f.Read.OK():
				unread = append(unread, f.Path+": "+f.Read.Reason())
			case mask != 0:
				if f.Mode.Within(mask) {
					good = append(good, fmt.Sprintf("%s mode %s", f.Path, f.Mode))
				} else {
					bad = append(bad, fmt.Sprintf("%s mode %s grants %s beyond %s", f.Path, f.Mode, f.Mode&^mask, mask))
				}
			default:
				if ok, got := e.ownedAsWanted(f, o); ok {
					good = append(good, fmt.Sprintf("%s owned by %s", f.Path, got))
				} else {
					bad = append(bad, fmt.Sprintf("%s owned by %s", f.Path, got))
				}
			}
		}
		switch {
		case len(bad) > 0:
			return one(hostFinding(StatusFail, "%s", strings.Join(bad, "; ")))
		case len(unread) > 0:
			return one(hostFinding(StatusInfo, "not readable: %s", strings.Join(unread, "; ")))
		case len(good) > 0:
			return one(hostFinding(StatusPass, "%s", strings.Join(good, "; ")))
		case len(files) == 0:
			return one(hostFinding(StatusNotApplicable, "%s: none configured on this host", what))
		}
		return one(hostFinding(StatusNotApplicable, "not found: %s does not exist on this host (looked at %s)", what, paths(files)))
	}
}

func paths(fs []hostsnapshot.File) string {
	var ps []string
	for _, f := range fs {
		ps = append(ps, f.Path)
	}
	return strings.Join(ps, ", ")
}

func (e *env) ownedAsWanted(f hostsnapshot.File, o owner) (bool, string) {
	user := f.Owner
	if user == "" {
		user = fmt.Sprint(f.UID)
	}
	group := f.Group
	if group == "" {
		group = fmt.Sprint(f.GID)
	}
	got := user + ":" + group
	uid := e.daemonUID()
	userOK := f.UID == 0 || (uid != 0 && f.UID == uid)
	var groupOK bool
	switch o.group {
	case "":
		groupOK = true
	case "root":
		groupOK = f.GID == 0 || (uid != 0 && f.UID == uid)
	case "docker":
		groupOK = f.Group == "docker"
		if g := e.s.Host.DockerGroup.Value; g != nil && f.GID == g.GID {
			groupOK = true
		}
		if uid != 0 && f.UID == uid {
			// A rootless engine's socket belongs to its user alone.
			groupOK = true
		}
	}
	return userOK && groupOK, got
}
