// Package snapshot embeds old copies of some OSV feeds, imported when the
// configured feed cannot be reached and nothing is stored yet. NOTICE.md
// gives their sources, dates and licence.
package snapshot

import (
	"embed"
	"time"
)

//go:embed Go.zip PyPI.zip
var files embed.FS

// Feed is one shipped feed.
type Feed struct {
	Ecosystem string
	File      string
	// Taken is when the upstream database was copied, for saying how old
	// the data is.
	Taken time.Time
}

// Feeds lists the shipped feeds.
var Feeds = []Feed{
	{Ecosystem: "Go", File: "Go.zip", Taken: time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)},
	{Ecosystem: "PyPI", File: "PyPI.zip", Taken: time.Date(2024, 10, 10, 0, 0, 0, 0, time.UTC)},
}

// Open returns the bytes of a shipped feed.
func Open(f Feed) ([]byte, error) {
	return files.ReadFile(f.File)
}

// For returns the shipped feed of an ecosystem.
func For(ecosystem string) (Feed, bool) {
	for _, f := range Feeds {
		if f.Ecosystem == ecosystem {
			return f, true
		}
	}
	return Feed{}, false
}
