package inventory

import (
	"bufio"
	"strconv"
	"strings"
)

// OSRelease is what /etc/os-release (or /usr/lib/os-release) says about the
// distribution.
type OSRelease struct {
	ID              string `json:"id"`
	IDLike          string `json:"id_like,omitempty"`
	Version         string `json:"version,omitempty"`
	VersionID       string `json:"version_id,omitempty"`
	VersionCodename string `json:"version_codename,omitempty"`
	PrettyName      string `json:"pretty_name,omitempty"`
	CPEName         string `json:"cpe_name,omitempty"`
}

// osReleasePaths are where os-release lives, in the order os-release(5)
// says to look.
var osReleasePaths = []string{"etc/os-release", "usr/lib/os-release"}

// maxOSReleaseBytes bounds what is kept of an os-release file; real ones
// are a few hundred bytes.
const maxOSReleaseBytes = 64 << 10

// parseOSRelease reads the KEY=value lines of an os-release file. It returns
// nil when the file names no ID, which os-release(5) would default to
// "linux", a name no advisory feed uses.
func parseOSRelease(content string) *OSRelease {
	vals := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(content))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		vals[strings.TrimSpace(k)] = unquoteOSRelease(strings.TrimSpace(v))
	}

	if vals["ID"] == "" {
		return nil
	}
	return &OSRelease{
		ID:              strings.ToLower(vals["ID"]),
		IDLike:          vals["ID_LIKE"],
		Version:         vals["VERSION"],
		VersionID:       vals["VERSION_ID"],
		VersionCodename: vals["VERSION_CODENAME"],
		PrettyName:      vals["PRETTY_NAME"],
		CPEName:         vals["CPE_NAME"],
	}
}

// unquoteOSRelease undoes the shell-style quoting os-release(5) allows.
func unquoteOSRelease(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		if s, err := strconv.Unquote(`"` + v[1:len(v)-1] + `"`); err == nil {
			return s
		}
		return v[1 : len(v)-1]
	}
	return v
}

// Ecosystem returns the OSV ecosystem, with its release suffix, of the
// distribution's own packages, or "" when OSV has none for it. The forms
// follow the OSV schema's ecosystem table and the feeds that publish them:
//
//   - debian: "Debian:<VERSION_ID>" ("Debian:12"). Testing and unstable have
//     no VERSION_ID and give bare "Debian", which the Debian feed never uses.
//   - ubuntu: "Ubuntu:<VERSION_ID>", plus ":LTS" for LTS releases
//     ("Ubuntu:22.04:LTS", "Ubuntu:23.10"): the schema makes the suffix
//     mandatory and the Ubuntu feed always writes it.
//   - alpine: "Alpine:v<major>.<minor>" from VERSION_ID 3.20.3.
//   - wolfi, chainguard: "Wolfi", "Chainguard" (rolling, no release).
//   - rhel: "Red Hat:<CPE>" with CPE_NAME's "cpe:/o:redhat:" prefix removed
//     ("Red Hat:enterprise_linux:9::baseos"), as osv-scalibr does.
//   - almalinux, rocky: "AlmaLinux:<major>", "Rocky Linux:<major>".
func (o *OSRelease) Ecosystem() string {
	if o == nil {
		return ""
	}

	switch o.ID {
	case "debian":
		return withSuffix("Debian", majorVersion(o.VersionID))
	case "ubuntu":
		if o.VersionID == "" {
			return "Ubuntu"
		}
		if o.isUbuntuLTS() {
			return "Ubuntu:" + o.VersionID + ":LTS"
		}
		return "Ubuntu:" + o.VersionID
	case "alpine":
		return withSuffix("Alpine", alpineBranch(o.VersionID))
	case "wolfi":
		return "Wolfi"
	case "chainguard":
		return "Chainguard"
	case "rhel":
		_, cpe, ok := strings.Cut(o.CPEName, ":redhat:")
		if !ok {
			return "Red Hat"
		}
		return "Red Hat:" + cpe
	case "almalinux":
		return withSuffix("AlmaLinux", majorVersion(o.VersionID))
	case "rocky":
		return withSuffix("Rocky Linux", majorVersion(o.VersionID))
	}
	return ""
}

func withSuffix(base, suffix string) string {
	if suffix == "" {
		return base
	}
	return base + ":" + suffix
}

// majorVersion returns "9" for "9.4" and "12" for "12".
func majorVersion(v string) string {
	major, _, _ := strings.Cut(v, ".")
	return major
}

// alpineBranch returns "v3.20" for "3.20.3" and for "3.20.0_alpha20240606".
func alpineBranch(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return ""
	}
	return "v" + parts[0] + "." + strings.SplitN(parts[1], "_", 2)[0]
}

// isUbuntuLTS reads the "LTS" Ubuntu puts in VERSION and PRETTY_NAME; when
// both are missing it falls back to Ubuntu's rule that the April release of
// an even year is LTS.
func (o *OSRelease) isUbuntuLTS() bool {
	if strings.Contains(o.Version, "LTS") || strings.Contains(o.PrettyName, "LTS") {
		return true
	}

	year, month, ok := strings.Cut(o.VersionID, ".")
	y, err := strconv.Atoi(year)
	return ok && err == nil && y%2 == 0 && month == "04"
}

// rpmAdvisoriesNameSource reports whether an rpm ecosystem's advisories name
// source RPMs. The OSV schema says so for AlmaLinux and Rocky Linux; Red Hat
// records name binary (or source) RPMs, and osv-scalibr matches them by the
// binary name.
func rpmAdvisoriesNameSource(ecosystem string) bool {
	base, _, _ := strings.Cut(ecosystem, ":")
	return base == "AlmaLinux" || base == "Rocky Linux"
}
