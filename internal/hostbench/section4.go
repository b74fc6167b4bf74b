package hostbench

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
)

// 4.1
func checkContainerUser(e *env) []finding {
	return e.perContainer(func(c *hostsnapshot.Container) (Status, string) {
		if isRootUser(c.Config.User) {
			if c.Config.User == "" {
				return StatusFail, "no user set: the container runs as root"
			}
			return StatusFail, fmt.Sprintf("runs as user %q (root)", c.Config.User)
		}
		return StatusPass, fmt.Sprintf("runs as user %q", c.Config.User)
	})
}

func manualNote(text string) func(e *env) []finding {
	return func(*env) []finding { return one(hostFinding(StatusManual, "%s", text)) }
}

// 4.5
func checkContentTrust(e *env) []finding {
	env := e.s.Host.Environment
	if !env.OK() && !env.Missing() {
		return one(hostFinding(StatusInfo, "not readable: /etc/environment: %s", env.Reason()))
	}
	if v := env.Value["DOCKER_CONTENT_TRUST"]; v == "1" {
		return one(hostFinding(StatusPass, "DOCKER_CONTENT_TRUST=1 in /etc/environment"))
	}
	return one(hostFinding(StatusFail, "DOCKER_CONTENT_TRUST=1 is not set in /etc/environment; clients pull unsigned images"))
}

// 4.6
func checkImageHealthcheck(e *env) []finding {
	return e.perImageInUse(func(im *hostsnapshot.Image) (Status, string) {
		hc := im.Config.Healthcheck
		if hc == nil || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
			return StatusFail, "image defines no HEALTHCHECK"
		}
		return StatusPass, "HEALTHCHECK " + strings.Join(hc.Test, " ")
	})
}

var updateOnly = regexp.MustCompile(`\b(apt-get|apt|yum|dnf|apk|zypper|microdnf)\s+(-\S+\s+)*(update|makecache)\b`)
var installs = regexp.MustCompile(`\b(install|add|upgrade)\b`)

// 4.7
func checkUpdateAlone(e *env) []finding {
	return e.perImageInUse(func(im *hostsnapshot.Image) (Status, string) {
		if !im.History.OK() {
			return StatusInfo, "not readable: image history: " + im.History.Reason()
		}
		for _, l := range im.History.Value {
			if updateOnly.MatchString(l.CreatedBy) && !installs.MatchString(l.CreatedBy) {
				return StatusInfo, "a layer refreshes the package index without installing in the same step: " + short(l.CreatedBy)
			}
		}
		return StatusPass, "no layer refreshes the package index on its own"
	})
}

// 4.9
func checkAddInstruction(e *env) []finding {
	return e.perImageInUse(func(im *hostsnapshot.Image) (Status, string) {
		if !im.History.OK() {
			return StatusInfo, "not readable: image history: " + im.History.Reason()
		}
		hist := im.History.Value
		for i, l := range hist {
			// History is newest first; the oldest ADD file: is the base
			// image's root filesystem, which every image starts from.
			if i == len(hist)-1 {
				break
			}
			if strings.Contains(l.CreatedBy, "#(nop) ADD ") || strings.HasPrefix(strings.TrimSpace(l.CreatedBy), "ADD ") {
				return StatusInfo, "image was built with ADD: " + short(l.CreatedBy)
			}
		}
		return StatusPass, "no ADD instruction after the base layer"
	})
}

var secretName = regexp.MustCompile(`(?i)(passw(or)?d|secret|token|api[_-]?key|private[_-]?key|credential|access[_-]?key)`)

// 4.10
func checkImageSecrets(e *env) []finding {
	return e.perImageInUse(func(im *hostsnapshot.Image) (Status, string) {
		var hits []string
		for _, name := range im.Config.Env {
			if secretName.MatchString(name) {
				hits = append(hits, "ENV "+name)
			}
		}
		for _, l := range im.History.Value {
			if secretName.MatchString(l.CreatedBy) && strings.Contains(l.CreatedBy, "=") {
				hits = append(hits, "layer "+short(l.CreatedBy))
			}
		}
		if len(hits) > 0 {
			return StatusInfo, "names that look like secrets: " + strings.Join(hits, "; ")
		}
		return StatusManual, "no secret-like names in the image's environment or history; its files need a secret scan"
	})
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}
