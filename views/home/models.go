// Package home holds the overview: open findings by severity, image
// health, recommendations, the trend of open findings, the age of the
// advisory data and the latest scans, or what to do first when nothing
// is connected yet.
package home

import (
	"github.com/palisadesec/palisade/views/layout"
	"github.com/palisadesec/palisade/views/scans"
)

// Model is what the overview page shows.
type Model struct {
	Page layout.Page
	// Configured is false when the console runs without a database
	// (tests of the shell); the page then shows only the first steps.
	Configured    bool
	IsAdmin       bool
	HasRegistries bool
	Open          Counts
	Images        int
	Healthy       int
	Unhealthy     int
	Unscanned     int
	// Recommendations counts unhealthy recommendations by severity.
	Recommendations Counts
	Trend           Chart
	Feeds           []Feed
	RecentScans     scans.LiveModel
}

// Counts are numbers by severity level.
type Counts struct {
	Critical, High, Medium, Low, Unknown int
}

// Total is the sum of all levels.
func (c Counts) Total() int {
	return c.Critical + c.High + c.Medium + c.Low + c.Unknown
}

// Feed is the state of one ecosystem's advisory data.
type Feed struct {
	Ecosystem  string
	Advisories int
	// Age says where the data came from and when, such as "shipped
	// snapshot of 2026-08-21".
	Age string
	// Stale marks data old enough to warrant a sync.
	Stale bool
}
