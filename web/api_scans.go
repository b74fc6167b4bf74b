package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/store"
)

// apiScan is one scan and how it went.
type apiScan struct {
	ID         int64      `json:"id"`
	RegistryID *int64     `json:"registry_id"`
	Registry   string     `json:"registry"`
	Repository string     `json:"repository"`
	Reference  string     `json:"reference"`
	Digest     string     `json:"digest"`
	Trigger    string     `json:"trigger"`
	State      string     `json:"state"`
	Reason     string     `json:"reason"`
	Attempts   int        `json:"attempts"`
	ImageID    *int64     `json:"image_id"`
	QueuedAt   time.Time  `json:"queued_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

func apiScanOf(r store.ScanRow) apiScan {
	s := r.Scan
	return apiScan{ID: s.ID, RegistryID: s.RegistryID, Registry: r.RegistryName, Repository: s.Repository,
		Reference: s.Reference, Digest: s.Digest, Trigger: s.Trigger, State: s.State, Reason: s.Reason,
		Attempts: s.Attempts, ImageID: r.ImageID, QueuedAt: s.QueuedAt.UTC(), StartedAt: apiTime(s.StartedAt),
		FinishedAt: apiTime(s.FinishedAt)}
}

func (h *Handler) apiScanList(c echo.Context) error {
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	regID, err := apiQueryID(c, "registry")
	if err != nil {
		return err
	}
	f := store.ScanFilter{State: c.QueryParam("state"), Trigger: c.QueryParam("trigger"), RegistryID: regID}
	list, next, err := h.store.APIScans(c.Request().Context(), f, p)
	if err != nil {
		return err
	}
	out := mapAll(list, apiScanOf)
	return apiJSON(c, http.StatusOK, newAPIList(out, next))
}

func (h *Handler) apiScanShow(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	r, err := h.store.APIScan(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, apiScanOf(r))
}

// apiScanInput asks for a scan of registry/repository:reference.
type apiScanInput struct {
	// Registry is the registry's name.
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	// Reference is a tag or a digest (sha256:...).
	Reference string `json:"reference"`
	// Force scans a digest again even when it was scanned before.
	Force bool `json:"force"`
}

// apiScanCreate queues a scan (202 with the scan), or says why none was
// needed (200 with the reason, and the scan already queued if any).
func (h *Handler) apiScanCreate(c echo.Context) error {
	if h.scans == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "scanning is not configured")
	}
	var in apiScanInput
	if err := apiBind(c, &in); err != nil {
		return err
	}
	in.Repository, in.Reference = strings.Trim(in.Repository, "/ "), strings.TrimSpace(in.Reference)
	if in.Registry == "" || in.Repository == "" || in.Reference == "" || len(in.Repository)+len(in.Reference) > 512 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "give registry (its name), repository and reference (a tag or sha256: digest)")
	}
	ctx := c.Request().Context()
	reg, err := h.store.RegistryByName(ctx, in.Registry)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, fmt.Sprintf("registry %q is not connected", in.Registry))
	}
	if err != nil {
		return err
	}
	req := scan.Request{RegistryID: reg.ID, Repository: in.Repository, Reference: in.Reference,
		Trigger: scan.TriggerManual, Force: in.Force}
	if strings.HasPrefix(in.Reference, "sha256:") {
		req.Digest = in.Reference
	}
	q, err := h.scans.Enqueue(ctx, req)
	if err != nil {
		return err
	}
	out := struct {
		Scan    *apiScan `json:"scan"`
		Skipped string   `json:"skipped"`
	}{Skipped: q.Skipped}
	if q.ScanID != 0 {
		r, err := h.store.APIScan(ctx, q.ScanID)
		if err != nil {
			return err
		}
		s := apiScanOf(r)
		out.Scan = &s
	}
	if q.Skipped != "" {
		return apiJSON(c, http.StatusOK, out)
	}
	if err := h.recordAudit(c, store.AuditEntry{Action: "scan.request", ResourceKind: "scan",
		ResourceID: fmt.Sprint(q.ScanID), Details: map[string]any{"registry": reg.Name,
			"repository": in.Repository, "reference": in.Reference, "force": in.Force}}); err != nil {
		return err
	}
	return apiJSON(c, http.StatusAccepted, out)
}
