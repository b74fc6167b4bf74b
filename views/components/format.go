package components

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ShortDigest shortens "sha256:0123…" to the algorithm and 12 hex digits.
func ShortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return algo + ":" + hex[:12]
}

// TimeFormat is how the console writes times: UTC, to the minute.
const TimeFormat = "2006-01-02 15:04 UTC"

// FormatTime writes t in TimeFormat, or "never" for nil.
func FormatTime(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(TimeFormat)
}

// MachineTime is t for a <time datetime> attribute.
func MachineTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// FormatBytes writes a size in binary units.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// FormatScore writes a CVSS score with one decimal, or "" for none.
func FormatScore(s *float64) string {
	if s == nil {
		return ""
	}
	return strconv.FormatFloat(*s, 'f', 1, 64)
}

// Number writes n with thin separators between thousands: 12,345.
func Number(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Plural writes "1 image" or "2 images".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Number(n) + " " + many
}

// SeverityLabel is the word shown for a severity level.
func SeverityLabel(level string) string {
	switch level {
	case "critical":
		return "Critical"
	case "high":
		return "High"
	case "medium":
		return "Medium"
	case "low":
		return "Low"
	case "none":
		return "None"
	}
	return "Unknown"
}

// SeverityClass is the CSS class that colours a level; "none" shares
// unknown's colour.
func SeverityClass(level string) string {
	switch level {
	case "critical", "high", "medium", "low":
		return "sev sev-" + level
	}
	return "sev sev-unknown"
}

// FixStatusLabel is the words shown for a fix status.
func FixStatusLabel(s string) string {
	switch s {
	case "fixed":
		return "Fix available"
	case "no_fix":
		return "No fix yet"
	case "will_not_fix":
		return "Will not be fixed"
	}
	return s
}

// ScanStateLabel is the word shown for a scan state.
func ScanStateLabel(s string) string {
	switch s {
	case "queued":
		return "Queued"
	case "running":
		return "Running"
	case "done":
		return "Done"
	case "failed":
		return "Failed"
	}
	return s
}

// TriggerLabel is the words shown for what started a scan.
func TriggerLabel(s string) string {
	switch s {
	case "push":
		return "Push"
	case "poll":
		return "Catalog poll"
	case "manual":
		return "Rescan"
	case "tag_moved":
		return "Tag moved"
	case "cli":
		return "CLI"
	}
	return s
}
