package home

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The positions below were worked out by hand: the plot runs from x=44 to
// x=948 over 29 day steps and from y=190 (zero) up to y=12 (the top, 8).
func TestNewChart(t *testing.T) {
	c := NewChart([]Day{
		{Day: day("2026-11-01"), Counts: Counts{Critical: 50}}, // before the 30 days: left out
		{Day: day("2026-12-01"), Counts: Counts{Critical: 2, High: 8}},
		{Day: day("2026-12-03"), Counts: Counts{Critical: 1, High: 4}},
	}, 30, day("2026-12-03"))

	if len(c.Days) != 2 || !c.From.Equal(day("2026-11-04")) {
		t.Fatalf("days = %v from %s, want the two within Nov 4 to Dec 3", c.Days, c.From)
	}
	lines := map[string]string{}
	last := map[string]int{}
	for _, s := range c.Series {
		lines[s.Level], last[s.Level] = s.Points, s.Last
	}
	want := map[string]string{
		"critical": "885.7,145.5 948,167.8", // 44+27/29*904; 190-2/8*178; 190-1/8*178
		"high":     "885.7,12 948,101",
		"medium":   "885.7,190 948,190",
		"low":      "885.7,190 948,190",
		"unknown":  "885.7,190 948,190",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if last["critical"] != 1 || last["high"] != 4 {
		t.Errorf("last values = %v, want today's 1 critical and 4 high", last)
	}
	wantY := []Tick{{190, "0"}, {145.5, "2"}, {101, "4"}, {56.5, "6"}, {12, "8"}}
	if diff := cmp.Diff(wantY, c.YTicks); diff != "" {
		t.Errorf("y ticks (-want +got):\n%s", diff)
	}
	wantX := []Tick{{44, "Nov 4"}, {480.4, "Nov 18"}, {948, "Dec 3"}} // 44+14/29*904
	if diff := cmp.Diff(wantX, c.XTicks); diff != "" {
		t.Errorf("x ticks (-want +got):\n%s", diff)
	}
}

func TestNewChartWithoutData(t *testing.T) {
	c := NewChart(nil, 30, day("2026-12-03"))
	if len(c.Days) != 0 || c.YTicks[4].Label != "4" {
		t.Errorf("empty chart = %+v, want no days and a 0-4 axis", c)
	}
	for _, s := range c.Series {
		if s.Points != "" || len(s.Dots) != 0 {
			t.Errorf("series %s has points without data", s.Level)
		}
	}
}

func TestNiceCeiling(t *testing.T) {
	for n, want := range map[int]int{0: 4, 4: 4, 5: 8, 8: 8, 13: 20, 41: 80, 100: 100, 999: 1000, 1234: 2000} {
		if got := niceCeiling(n); got != want {
			t.Errorf("niceCeiling(%d) = %d, want %d", n, got, want)
		}
	}
}
