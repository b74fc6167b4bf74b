package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/images"
)

// imageRescan queues a new scan of an image's digest (of its index, for
// an image that came from one, which rescans every platform), even though
// the digest was scanned before: advisories or the scanner may have
// changed. htmx gets the scan panel, which then follows the scan.
func (h *Handler) imageRescan(c echo.Context) error {
	if h.scans == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "scanning is not configured")
	}
	im, err := h.imageFromPath(c)
	if err != nil {
		return err
	}
	ctx, id := c.Request().Context(), im.ID

	digest := im.Digest
	if im.IndexDigest != "" {
		digest = im.IndexDigest
	}
	q, err := h.scans.Enqueue(ctx, scan.Request{
		RegistryID: im.RegistryID, Repository: im.Repository, Reference: digest, Digest: digest,
		Trigger: scan.TriggerManual, Force: true,
	})
	if err != nil {
		return err
	}
	err = h.recordAudit(c, store.AuditEntry{
		Action: "image.rescan_queued", ResourceKind: "image", ResourceID: strconv.FormatInt(id, 10),
		Details: map[string]any{"scan_id": q.ScanID, "registry": im.RegistryName, "repository": im.Repository, "digest": digest},
	})
	if err != nil {
		return err
	}

	if !wantsFragment(c.Request(), "image-scan-status") {
		return c.Redirect(http.StatusSeeOther, imagePath(id))
	}
	st, err := h.imageScanStatus(ctx, id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, images.ScanStatusPanel(st))
}
