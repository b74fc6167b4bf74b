// Package scans holds the scans page and the live pieces that follow
// scans as they run: the scans table, polled while any scan is queued or
// running, and the recent-scans panel of the overview.
package scans

import (
	"time"

	"github.com/palisadesec/palisade/views/components"
	"github.com/palisadesec/palisade/views/layout"
)

// PageModel is the scans page.
type PageModel struct {
	Page  layout.Page
	Table TableModel
}

// Option is one choice of a filter.
type Option struct {
	Value, Label string
}

// TableModel is the scans list with its filters.
type TableModel struct {
	Action  string
	State   string
	Trigger string
	Live    LiveModel
}

// LiveModel is the part of the scans list that refreshes itself.
type LiveModel struct {
	// ID is the element's id: "scans-live" on the scans page,
	// "recent-scans" on the overview.
	ID       string
	Activity Activity
	Rows     []Row
	Pager    components.Pager
	// ExportURL is empty on the overview.
	ExportURL string
	// PollURL is polled every PollEvery: every two seconds while a scan is
	// queued or running, and slowly while none is, so a scan started by a
	// push appears without a reload. Without it polling stops.
	PollURL   string
	PollEvery string
	// Filtered says that a filter is set, for the empty message.
	Filtered bool
}

// Activity counts what is being scanned now.
type Activity struct {
	Queued, Running int
}

// Row is one scan.
type Row struct {
	ID         int64
	State      string
	Trigger    string
	Registry   string
	Repository string
	Reference  string
	Digest     string
	// ImageURL links to the image once the scan stored it.
	ImageURL   string
	QueuedAt   time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
	Attempts   int
	Reason     string
}

// States are the state filter's choices.
var States = []Option{
	{"active", "Queued or running"}, {"queued", "Queued"}, {"running", "Running"}, {"done", "Done"}, {"failed", "Failed"},
}

// Triggers are the trigger filter's choices.
var Triggers = []Option{
	{"push", "Push"}, {"poll", "Catalog poll"}, {"manual", "Rescan"}, {"tag_moved", "Tag moved"},
}

// activeAttr says whether a scan is queued or running, for tests and CSS.
func activeAttr(m LiveModel) string {
	if m.Activity.Queued+m.Activity.Running > 0 {
		return "true"
	}
	return "false"
}
