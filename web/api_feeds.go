package web

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/feeds"
	"github.com/palisadesec/palisade/internal/store"
)

type apiFeed struct {
	Feed        string          `json:"feed"`
	Advisories  int             `json:"advisories"`
	Withdrawn   int             `json:"withdrawn"`
	Retired     int             `json:"retired"`
	LastVersion *apiFeedVersion `json:"last_version"`
}

// apiFeedList is the state of every advisory feed stored.
func (h *Handler) apiFeedList(c echo.Context) error {
	list, err := h.store.FeedStatuses(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiFeed, len(list))
	for i, f := range list {
		out[i] = apiFeed{Feed: f.Feed, Advisories: f.Advisories, Withdrawn: f.Withdrawn, Retired: f.Retired,
			LastVersion: apiFeedVersionOf(f.LastVersion)}
	}
	return apiJSON(c, http.StatusOK, newAPIList(out, nil))
}

// apiFeedSync queues a feed sync of the configured ecosystems, or of
// those named. While one waits or runs, another is not queued.
func (h *Handler) apiFeedSync(c echo.Context) error {
	if h.jobs == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "the job queue is not configured")
	}
	var in struct {
		Ecosystems []string `json:"ecosystems"`
	}
	if c.Request().ContentLength != 0 {
		if err := apiBind(c, &in); err != nil {
			return err
		}
	}
	for _, e := range in.Ecosystems {
		if !slices.Contains(h.cfg.FeedEcosystems, e) {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "ecosystems: "+e+" is not in PALISADE_FEED_ECOSYSTEMS")
		}
	}
	res, err := h.jobs.Insert(c.Request().Context(), feeds.SyncArgs{Ecosystems: in.Ecosystems}, nil)
	if err != nil {
		return err
	}
	if err := h.recordAudit(c, store.AuditEntry{Action: "feeds.sync", ResourceKind: "feeds",
		Details: map[string]any{"ecosystems": nonNilStrings(in.Ecosystems), "job_id": res.Job.ID,
			"already_queued": res.UniqueSkippedAsDuplicate}}); err != nil {
		return err
	}
	return apiJSON(c, http.StatusAccepted, struct {
		JobID         int64 `json:"job_id"`
		AlreadyQueued bool  `json:"already_queued"`
	}{res.Job.ID, res.UniqueSkippedAsDuplicate})
}
