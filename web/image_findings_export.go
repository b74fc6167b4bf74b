package web

import (
	"io"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/export"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/components"
)

// imageFindingsExport streams an image's findings as CSV with the
// filters and sort of the table it was linked from, all pages.
func (h *Handler) imageFindingsExport(c echo.Context) error {
	im, err := h.imageFromPath(c)
	if err != nil {
		return err
	}
	ctx, id := c.Request().Context(), im.ID
	q := parseFindingsQuery(c)
	name := "palisade-" + im.Repository + "-" + components.ShortDigest(im.Digest) + "-findings.csv"
	return h.streamCSV(c, name, func(w io.Writer) error {
		out := export.NewFindingsCSV(w)
		err := h.store.ForEachImageFinding(ctx, q.filter(id), func(f store.FindingRow) error {
			return out.Write(exportFinding(f))
		})
		if err != nil {
			return err
		}
		return out.Flush()
	})
}

func exportFinding(f store.FindingRow) export.Finding {
	return export.Finding{
		FindingRecord: store.FindingRecord{
			VulnID: f.VulnID, AdvisoryIDs: f.AdvisoryIDs, Aliases: f.Aliases, Summary: f.Summary,
			SeverityLevel: f.SeverityLevel, SeverityScore: f.SeverityScore, SeveritySource: f.SeveritySource,
			FixedVersion: f.FixedVersion, FixStatus: f.FixStatus,
		},
		Package: f.Package, Exempt: f.Exemption != "", ExemptReason: f.Exemption,
	}
}
