package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/components"
	"github.com/palisadesec/palisade/views/home"
)

// trendDays is the span of the overview's trend chart.
const trendDays = 30

// homeShow renders the overview: open findings by severity, image
// health, recommendations, the trend of open findings, the latest scans
// and the age of the advisory data, or the first steps while nothing is
// connected.
func (h *Handler) homeShow(c echo.Context) error {
	m := home.Model{Page: h.page(c, "Overview", "overview"), IsAdmin: hasRole(c, auth.RoleAdmin)}
	if h.store == nil {
		return render(c, http.StatusOK, home.Page(m))
	}
	ctx := c.Request().Context()
	o, err := h.store.Overview(ctx)
	if err != nil {
		return err
	}
	m.Configured, m.HasRegistries = true, o.Registries > 0
	m.Open, m.Recommendations = homeCounts(o.Open), homeCounts(o.Recommendations)
	m.Images, m.Healthy, m.Unhealthy, m.Unscanned = o.Images, o.Healthy, o.Unhealthy, o.Unscanned
	if m.Trend, err = h.trendChart(ctx); err != nil {
		return err
	}
	if m.Feeds, err = h.feedAges(ctx, time.Now()); err != nil {
		return err
	}
	if m.RecentScans, err = h.liveScans(c, scansQuery{Page: 1}, "recent-scans", "/scans/recent", recentScansSize); err != nil {
		return err
	}
	return render(c, http.StatusOK, home.Page(m))
}

func homeCounts(c store.SeverityCounts) home.Counts {
	return home.Counts{Critical: c.Critical, High: c.High, Medium: c.Medium, Low: c.Low, Unknown: c.Unknown}
}

func (h *Handler) trendChart(ctx context.Context) (home.Chart, error) {
	points, err := h.store.FindingTrend(ctx, trendDays)
	if err != nil {
		return home.Chart{}, err
	}
	days := make([]home.Day, 0, len(points))
	for _, p := range points {
		days = append(days, home.Day{Day: p.Day, Counts: homeCounts(p.SeverityCounts)})
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	return home.NewChart(days, trendDays, today), nil
}

// Advisory data older than these is marked for a sync: feeds publish
// daily, and the shipped snapshot only fills the gap until the first sync.
const (
	staleSync     = 7 * 24 * time.Hour
	staleSnapshot = 30 * 24 * time.Hour
)

// feedAges says, per ecosystem, where the advisory data came from and
// how old it is.
func (h *Handler) feedAges(ctx context.Context, now time.Time) ([]home.Feed, error) {
	statuses, err := h.store.FeedStatuses(ctx)
	if err != nil {
		return nil, err
	}
	var out []home.Feed
	for _, s := range statuses {
		f := home.Feed{Ecosystem: s.Feed, Advisories: s.Advisories, Age: "never imported"}
		if v := s.LastVersion; v != nil {
			f.Age, f.Stale = feedAge(*v, now)
		}
		out = append(out, f)
	}
	return out, nil
}

func feedAge(v store.FeedVersion, now time.Time) (string, bool) {
	if day, ok := snapshotDay(v.Source); ok {
		taken, err := time.Parse(time.DateOnly, day)
		return "shipped snapshot of " + day + ", imported " + components.FormatTime(&v.ImportedAt),
			err == nil && now.Sub(taken) > staleSnapshot
	}
	return "synced " + components.FormatTime(&v.ImportedAt) + " from " + v.Source, now.Sub(v.ImportedAt) > staleSync
}
