package web

import (
	"io"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/export"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/components"
)

// scansCSVHeader is the first row of the scans CSV.
var scansCSVHeader = []string{
	"id", "state", "trigger", "registry", "repository", "reference", "digest", "attempts",
	"queued_at", "started_at", "finished_at", "reason",
}

// scanExport streams the scans list as CSV with its filters, newest
// first, all pages.
func (h *Handler) scanExport(c echo.Context) error {
	if err := h.needConsoleStore(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	q := parseScansQuery(c)
	return h.streamCSV(c, "palisade-scans.csv", func(w io.Writer) error {
		out := export.NewRowsCSV(w, scansCSVHeader)
		err := h.store.ForEachScan(ctx, q.filter(), func(s store.ScanRow) error {
			return out.Write([]string{
				strconv.FormatInt(s.ID, 10), s.State, s.Trigger, s.RegistryName, s.Repository, s.Reference, s.Digest,
				strconv.Itoa(s.Attempts), components.MachineTime(s.QueuedAt), optionalTime(s.StartedAt),
				optionalTime(s.FinishedAt), s.Reason,
			})
		})
		if err != nil {
			return err
		}
		return out.Flush()
	})
}

func optionalTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return components.MachineTime(*t)
}
