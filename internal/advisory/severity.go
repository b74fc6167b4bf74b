package advisory

import (
	"encoding/json"
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// Level is a qualitative severity.
type Level string

// Severity levels. LevelNone is a CVSS score of 0.0; LevelUnknown means no
// source gave a usable answer.
const (
	LevelCritical Level = "critical"
	LevelHigh     Level = "high"
	LevelMedium   Level = "medium"
	LevelLow      Level = "low"
	LevelNone     Level = "none"
	LevelUnknown  Level = "unknown"
)

// Sources of a severity, so that users can see which one gave the level.
const (
	SourceCVSSv4    = "cvss_v4"
	SourceCVSSv3    = "cvss_v3"
	SourceGHSA      = "ghsa"
	SourceEcosystem = "ecosystem"
	SourceUnknown   = "unknown"
)

// OSV severity types read by Assess. CVSS_V2 is not scored: every feed that
// still carries it also carries v3 or a word.
const (
	severityCVSSv3 = "CVSS_V3"
	severityCVSSv4 = "CVSS_V4"
	severityUbuntu = "Ubuntu"
)

// Severity is the assessed severity of a record.
type Severity struct {
	Level  Level
	Score  float64 // CVSS base score; 0 when the source is not CVSS
	Vector string  // the CVSS vector scored, if any
	Source string  // one of the Source constants
}

// rank orders levels for merging: higher is worse.
func (l Level) rank() int {
	switch l {
	case LevelCritical:
		return 5
	case LevelHigh:
		return 4
	case LevelMedium:
		return 3
	case LevelLow:
		return 2
	case LevelNone:
		return 1
	}
	return 0
}

// Assess returns the severity of rec. It tries, in order: a CVSS v4 vector
// (record-level, then in any affected entry), a CVSS v3.0/v3.1 vector (same
// order), the GHSA word in database_specific.severity, and the distribution's
// own word (Debian urgency, Ubuntu priority, or an ecosystem_specific
// severity). A vector that does not parse is skipped, not fatal. Without any
// source the level is unknown.
func Assess(rec *Record) Severity {
	return assessFor(rec, nil)
}

// assessFor is Assess with the distribution words taken from one affected
// entry when a is not nil: Debian urgency differs per release, so a match
// against Debian:12 must not borrow Debian:11's.
func assessFor(rec *Record, a *Affected) Severity {
	entries := rec.Affected
	if a != nil {
		entries = []Affected{*a}
	}

	for _, typ := range []string{severityCVSSv4, severityCVSSv3} {
		if s, ok := firstCVSS(typ, rec.Severity); ok {
			return s
		}
		for i := range entries {
			if s, ok := firstCVSS(typ, entries[i].Severity); ok {
				return s
			}
		}
	}

	if s, ok := ghsaSeverity(rec.DatabaseSpecific); ok {
		return s
	}
	if s, ok := wordSeverity(rec.Severity); ok {
		return s
	}
	for i := range entries {
		if s, ok := ecosystemSeverity(&entries[i]); ok {
			return s
		}
	}
	return Severity{Level: LevelUnknown, Source: SourceUnknown}
}

func firstCVSS(typ string, scores []SeverityScore) (Severity, bool) {
	for _, s := range scores {
		if s.Type != typ {
			continue
		}
		if sev, ok := scoreVector(strings.TrimSpace(s.Score)); ok {
			return sev, true
		}
	}
	return Severity{}, false
}

// scoreVector computes the base score of a CVSS v3.0, v3.1 or v4.0 vector.
func scoreVector(vector string) (Severity, bool) {
	var score float64
	source := SourceCVSSv3

	switch {
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		v, err := gocvss40.ParseVector(vector)
		if err != nil {
			return Severity{}, false
		}
		score, source = v.Score(), SourceCVSSv4
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		v, err := gocvss31.ParseVector(vector)
		if err != nil {
			return Severity{}, false
		}
		score = v.BaseScore()
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		v, err := gocvss30.ParseVector(vector)
		if err != nil {
			return Severity{}, false
		}
		score = v.BaseScore()
	default:
		return Severity{}, false
	}

	return Severity{Level: cvssLevel(score), Score: score, Vector: vector, Source: source}, true
}

// cvssLevel applies the qualitative bands shared by CVSS v3 and v4.
func cvssLevel(score float64) Level {
	switch {
	case score >= 9.0:
		return LevelCritical
	case score >= 7.0:
		return LevelHigh
	case score >= 4.0:
		return LevelMedium
	case score >= 0.1:
		return LevelLow
	}
	return LevelNone
}

// ghsaSeverity reads the word GitHub advisories put in
// database_specific.severity: CRITICAL, HIGH, MODERATE or LOW.
func ghsaSeverity(raw json.RawMessage) (Severity, bool) {
	if len(raw) == 0 {
		return Severity{}, false
	}

	var ds struct {
		Severity string `json:"severity"`
	}
	_ = json.Unmarshal(raw, &ds) // another shape simply has no severity

	level, ok := wordLevel(ds.Severity)
	if !ok {
		return Severity{}, false
	}
	return Severity{Level: level, Source: SourceGHSA}, true
}

// wordSeverity reads a record-level severity of type "Ubuntu", where newer
// Ubuntu records put the priority (score "medium" and so on).
func wordSeverity(scores []SeverityScore) (Severity, bool) {
	for _, s := range scores {
		if s.Type != severityUbuntu {
			continue
		}
		if level, ok := wordLevel(s.Score); ok {
			return Severity{Level: level, Source: SourceEcosystem}, true
		}
	}
	return Severity{}, false
}

// ecosystemSeverity reads the distribution's word from ecosystem_specific:
// Debian's "urgency" (from the Debian Security Tracker), Ubuntu's
// "ubuntu_priority", or a plain "severity" some feeds use. Words that carry
// no level, like Debian's "not yet assigned" or "end-of-life" and Ubuntu's
// "untriaged", fall through to unknown.
func ecosystemSeverity(a *Affected) (Severity, bool) {
	if len(a.EcosystemSpecific) == 0 {
		return Severity{}, false
	}

	var es struct {
		Urgency        string `json:"urgency"`
		UbuntuPriority string `json:"ubuntu_priority"`
		Severity       string `json:"severity"`
	}
	_ = json.Unmarshal(a.EcosystemSpecific, &es)

	for _, word := range []string{es.Urgency, es.UbuntuPriority, es.Severity} {
		if level, ok := wordLevel(word); ok {
			return Severity{Level: level, Source: SourceEcosystem}, true
		}
	}
	return Severity{}, false
}

// wordLevel maps the severity words of GHSA, Debian, Ubuntu and Red Hat onto
// levels. Debian's "unimportant" and Ubuntu's "negligible" are the lowest
// level those trackers have and become low, as other scanners report them.
func wordLevel(word string) (Level, bool) {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "critical":
		return LevelCritical, true
	case "high", "important":
		return LevelHigh, true
	case "moderate", "medium":
		return LevelMedium, true
	case "low", "unimportant", "negligible":
		return LevelLow, true
	}
	return "", false
}
