package web

import (
	"context"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/scans"
)

// scansQuery is the scans list's query string.
type scansQuery struct {
	State, Trigger string
	Page           int
}

func parseScansQuery(c echo.Context) scansQuery {
	return scansQuery{
		State:   oneOf(c.QueryParam("state"), store.ScanActive, store.ScanQueued, store.ScanRunning, store.ScanDone, store.ScanFailed),
		Trigger: oneOf(c.QueryParam("trigger"), "push", "poll", "manual", "tag_moved", "cli"),
		Page:    pageParam(c),
	}
}

func (q scansQuery) filter() store.ScanFilter {
	return store.ScanFilter{State: q.State, Trigger: q.Trigger}
}

func (q scansQuery) values() url.Values {
	v := url.Values{}
	setIf(v, "state", q.State)
	setIf(v, "trigger", q.Trigger)
	setPage(v, q.Page)
	return v
}

// seenToken names the moment the last scan finished, so a poll can tell
// that a scan ended since the page was drawn.
func seenToken(a store.ScanActivity) string {
	if a.LastFinishedAt == nil {
		return "0"
	}
	return strconv.FormatInt(a.LastFinishedAt.UnixMicro(), 10)
}

// liveScans builds a self-refreshing scans list: id is the element's id,
// pollPath the route that answers it, size the rows shown (0 for a page
// with pager and export). While a scan is queued or running the list
// polls; a poll that finds a scan finished since the last one fires
// scans-finished.
func (h *Handler) liveScans(c echo.Context, q scansQuery, id, pollPath string, size int) (scans.LiveModel, error) {
	ctx := c.Request().Context()
	act, rows, total, err := h.scanRows(ctx, q, size)
	if err != nil {
		return scans.LiveModel{}, err
	}
	m := scans.LiveModel{
		ID: id, Activity: scans.Activity{Queued: act.Queued, Running: act.Running}, Filtered: q.State != "" || q.Trigger != "",
	}
	token := seenToken(act)
	if seen := c.QueryParam("seen"); seen != "" && seen != token {
		c.Response().Header().Set("HX-Trigger", scansFinishedEvent)
	}
	// Poll fast while something is scanning, slowly otherwise, so a scan
	// that a push starts shows up without a reload.
	v := q.values()
	v.Set("seen", token)
	m.PollURL = withQuery(pollPath, v)
	m.PollEvery = "10s"
	if act.Active() {
		m.PollEvery = "2s"
	}
	if size == 0 {
		m.ExportURL = withQuery("/scans/export.csv", scansQuery{State: q.State, Trigger: q.Trigger}.values())
		m.Pager = pagerFor(total, q.Page, func(p int) string {
			r := q
			r.Page = p
			return withQuery("/scans", r.values())
		}, "scans-live")
	}
	for _, r := range rows {
		m.Rows = append(m.Rows, scanRow(r))
	}
	return m, nil
}

func (h *Handler) scanRows(ctx context.Context, q scansQuery, size int) (store.ScanActivity, []store.ScanRow, int, error) {
	act, err := h.store.ScanActivity(ctx)
	if err != nil {
		return act, nil, 0, err
	}
	rows, total, err := h.store.Scans(ctx, q.filter(), store.Paging{Page: q.Page, Size: size})
	return act, rows, total, err
}

func scanRow(r store.ScanRow) scans.Row {
	row := scans.Row{
		ID: r.ID, State: r.State, Trigger: r.Trigger, Registry: r.RegistryName, Repository: r.Repository,
		Reference: r.Reference, Digest: r.Digest, QueuedAt: r.QueuedAt, StartedAt: r.StartedAt,
		FinishedAt: r.FinishedAt, Attempts: r.Attempts, Reason: r.Reason,
	}
	if r.ImageID != nil {
		row.ImageURL = imagePath(*r.ImageID)
	}
	return row
}
