package export

import (
	"slices"
	"strings"

	"github.com/palisadesec/palisade/internal/advisory"
)

// Levels lists the severity levels worst first, as the writers order and
// count them.
var Levels = []string{
	string(advisory.LevelCritical),
	string(advisory.LevelHigh),
	string(advisory.LevelMedium),
	string(advisory.LevelLow),
	string(advisory.LevelNone),
	string(advisory.LevelUnknown),
}

// DefaultUnhealthyLevels are the levels that make a target unhealthy when
// the report names none; they match the default of
// PALISADE_UNHEALTHY_SEVERITIES.
var DefaultUnhealthyLevels = []string{
	string(advisory.LevelCritical),
	string(advisory.LevelHigh),
	string(advisory.LevelUnknown),
}

// SeverityRank orders levels: higher is worse. Unknown, and anything that
// is not a level, ranks lowest, below "none".
func SeverityRank(level string) int {
	switch NormalizeLevel(level) {
	case string(advisory.LevelCritical):
		return 5
	case string(advisory.LevelHigh):
		return 4
	case string(advisory.LevelMedium):
		return 3
	case string(advisory.LevelLow):
		return 2
	case string(advisory.LevelNone):
		return 1
	}
	return 0
}

// NormalizeLevel returns level in lower case, or "unknown" when it is not
// one of Levels.
func NormalizeLevel(level string) string {
	l := strings.ToLower(strings.TrimSpace(level))
	if slices.Contains(Levels, l) {
		return l
	}
	return string(advisory.LevelUnknown)
}

// Summary counts a report's findings. The per-level counts cover open
// findings only; exempt ones are counted apart, and Total is all of them.
type Summary struct {
	Critical, High, Medium, Low, None, Unknown int
	Exempt                                     int
	Total                                      int
	// Healthy is true when no open finding has an unhealthy level.
	Healthy bool
}

// Count returns the number of open findings at level.
func (s Summary) Count(level string) int {
	switch NormalizeLevel(level) {
	case string(advisory.LevelCritical):
		return s.Critical
	case string(advisory.LevelHigh):
		return s.High
	case string(advisory.LevelMedium):
		return s.Medium
	case string(advisory.LevelLow):
		return s.Low
	case string(advisory.LevelNone):
		return s.None
	}
	return s.Unknown
}

// Summary counts the report's findings by level and decides its health.
func (r *Report) Summary() Summary {
	unhealthy := r.UnhealthyLevels
	if len(unhealthy) == 0 {
		unhealthy = DefaultUnhealthyLevels
	}
	s := Summary{Total: len(r.Findings), Healthy: true}
	for _, f := range r.Findings {
		if f.Exempt {
			s.Exempt++
			continue
		}
		level := NormalizeLevel(f.SeverityLevel)
		s.add(level)
		if slices.ContainsFunc(unhealthy, func(u string) bool { return NormalizeLevel(u) == level }) {
			s.Healthy = false
		}
	}
	return s
}

func (s *Summary) add(level string) {
	switch level {
	case string(advisory.LevelCritical):
		s.Critical++
	case string(advisory.LevelHigh):
		s.High++
	case string(advisory.LevelMedium):
		s.Medium++
	case string(advisory.LevelLow):
		s.Low++
	case string(advisory.LevelNone):
		s.None++
	default:
		s.Unknown++
	}
}
