package web

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/export"
	"github.com/palisadesec/palisade/internal/store"
)

// hostExportFlushEvery is how many CSV rows go out between flushes, so that a large
// export reaches the browser as it is read.
const hostExportFlushEvery = 500

// hostExport streams a host's results, filtered like its page, as CSV
// straight from the database rows.
func (h *Handler) hostExport(c echo.Context) error {
	if err := h.hostsReady(); err != nil {
		return err
	}
	id, err := hostParamID(c, "id")
	if err != nil {
		return err
	}
	f, err := parseHostResultFilter(c.QueryParam("status"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.store.HostByID(ctx, id); err != nil {
		return err
	}

	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	resp.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="host-%d-results.csv"`, id))
	resp.WriteHeader(http.StatusOK)
	w := export.NewHostResultsCSV(resp)
	n := 0
	err = h.store.EachHostResult(ctx, id, f, func(r store.HostResult) error {
		if n++; n%hostExportFlushEvery == 0 {
			if err := w.Flush(); err != nil {
				return err
			}
			resp.Flush()
		}
		return w.Write(export.HostResult{
			ControlID: r.ControlID, Section: r.Section, Title: r.Title, Level: r.Level,
			ResourceKind: r.ResourceKind, ResourceID: r.ResourceID, ResourceName: r.ResourceName,
			Status: r.Status, Exempt: r.Exempt, Justification: r.Justification,
			Evidence: r.Evidence, Remediation: r.Remediation,
		})
	})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		// The status is sent. Log here, then abort the response so that
		// the client sees a broken transfer, not a short file that looks
		// complete.
		h.log.Error("Host results export failed", slog.Int64("host_id", id), slog.Int("rows", n), slog.Any("error", err))
		panic(http.ErrAbortHandler)
	}
	return nil
}
