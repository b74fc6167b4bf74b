package home

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Day is one day's open findings by severity.
type Day struct {
	Day time.Time
	Counts
}

// Chart is a line chart of open findings by severity over a fixed range
// of days, laid out for an SVG view box; the template only draws it.
type Chart struct {
	Width, Height float64
	// Plot area inside the view box.
	Left, Right, Top, Bottom float64
	Series                   []Series
	YTicks                   []Tick
	XTicks                   []Tick
	// Days are the data points, newest last, for the table that carries
	// the same data as text.
	Days []Day
	// From and To are the range drawn.
	From, To time.Time
}

// Series is one severity's line.
type Series struct {
	Level  string
	Label  string
	Points string // polyline points "x,y x,y"
	Dots   []Point
	Last   int
}

// Point is a position in the view box.
type Point struct{ X, Y float64 }

// Tick is an axis label at a position.
type Tick struct {
	Pos   float64
	Label string
}

var chartLevels = []struct{ level, label string }{
	{"critical", "Critical"}, {"high", "High"}, {"medium", "Medium"}, {"low", "Low"}, {"unknown", "Unknown"},
}

func (c Counts) level(l string) int {
	switch l {
	case "critical":
		return c.Critical
	case "high":
		return c.High
	case "medium":
		return c.Medium
	case "low":
		return c.Low
	}
	return c.Unknown
}

// NewChart lays out days (oldest first) over the span days ending at
// today, both UTC dates. Days outside the range are left out; days
// without data leave gaps that the lines bridge.
func NewChart(days []Day, span int, today time.Time) Chart {
	c := Chart{Width: 960, Height: 220, Left: 44, Right: 948, Top: 12, Bottom: 190}
	c.To = today
	c.From = today.AddDate(0, 0, -(span - 1))
	for _, d := range days {
		if !d.Day.Before(c.From) && !d.Day.After(c.To) {
			c.Days = append(c.Days, d)
		}
	}
	top := niceCeiling(maxCount(c.Days))
	x := func(day time.Time) float64 {
		if span <= 1 {
			return c.Right
		}
		f := day.Sub(c.From).Hours() / 24 / float64(span-1)
		return round1(c.Left + f*(c.Right-c.Left))
	}
	y := func(n int) float64 {
		return round1(c.Bottom - float64(n)/float64(top)*(c.Bottom-c.Top))
	}
	for _, l := range chartLevels {
		s := Series{Level: l.level, Label: l.label}
		var pts []string
		for _, d := range c.Days {
			p := Point{x(d.Day), y(d.level(l.level))}
			s.Dots = append(s.Dots, p)
			pts = append(pts, fmtNum(p.X)+","+fmtNum(p.Y))
			s.Last = d.level(l.level)
		}
		s.Points = strings.Join(pts, " ")
		c.Series = append(c.Series, s)
	}
	for i := 0; i <= 4; i++ {
		n := top * i / 4
		c.YTicks = append(c.YTicks, Tick{y(n), strconv.Itoa(n)})
	}
	mid := c.From.AddDate(0, 0, (span-1)/2)
	for _, d := range []time.Time{c.From, mid, c.To} {
		c.XTicks = append(c.XTicks, Tick{x(d), d.Format("Jan 2")})
	}
	return c
}

func maxCount(days []Day) int {
	m := 0
	for _, d := range days {
		for _, l := range chartLevels {
			m = max(m, d.level(l.level))
		}
	}
	return m
}

// niceCeiling rounds n up to a number whose quarters are whole and
// readable: 4, 8, 20, 40, 100, 200, ...
func niceCeiling(n int) int {
	if n <= 4 {
		return 4
	}
	mag := int(math.Pow(10, math.Floor(math.Log10(float64(n)))))
	for _, f := range []int{1, 2, 4, 5, 8, 10} {
		if f*mag >= n && (f*mag)%4 == 0 {
			return f * mag
		}
	}
	return 10 * mag
}

func round1(f float64) float64 {
	return math.Round(f*10) / 10
}

func fmtNum(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// Fmt writes a coordinate for an SVG attribute.
func Fmt(f float64) string {
	return fmtNum(f)
}
