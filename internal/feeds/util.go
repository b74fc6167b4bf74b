package feeds

import "time"

// timePtr returns nil for the zero time, which is how records without a
// date (and the Go database's 0001-01-01) arrive.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
