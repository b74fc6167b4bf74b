package web

import (
	"strings"
	"time"
)

// feedSourceLabel names where advisory data came from: "shipped snapshot
// of 2026-08-21" for the snapshot built into the binary, else the source
// as recorded (a URL or a file).
func feedSourceLabel(source string) string {
	if day, ok := snapshotDay(source); ok {
		return "shipped snapshot of " + day
	}
	return source
}

// snapshotDay reads the date of a shipped snapshot's source,
// "snapshot:Go@2026-08-21".
func snapshotDay(source string) (string, bool) {
	rest, ok := strings.CutPrefix(source, "snapshot:")
	if !ok {
		return "", false
	}
	_, day, _ := strings.Cut(rest, "@")
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return "an unknown date", true
	}
	return day, true
}

// pollingLabel writes a catalog polling interval, or "off".
func pollingLabel(d *time.Duration) string {
	if d == nil {
		return "off"
	}
	return "every " + d.String()
}
