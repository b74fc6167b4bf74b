package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/export"
	"github.com/palisadesec/palisade/internal/store"
)

// imageExport is one of an image's export formats and its file name.
type imageExport struct {
	format export.Format
	suffix string
}

var (
	exportSBOM  = imageExport{export.FormatCycloneDX, ".cdx.json"}
	exportSARIF = imageExport{export.FormatSARIF, ".sarif"}
	exportCSV   = imageExport{export.FormatCSV, "-findings.csv"}
	exportJSON  = imageExport{export.FormatJSON, "-report.json"}
)

// apiImageExport writes an image's stored packages and open findings in
// one format through internal/export, as `palisade scan` would print
// them. The report's time is the scan's, so the body (and its ETag) only
// change when the data does.
func (h *Handler) apiImageExport(x imageExport) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := apiID(c, "id")
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		data, err := h.store.ImageExportByID(ctx, id)
		if err != nil {
			return err
		}
		target := data.Image.RegistryName + "/" + data.Image.Repository
		if reg, err := h.store.RegistryByID(ctx, data.Image.RegistryID); err == nil {
			if u, err := url.Parse(reg.URL); err == nil && u.Host != "" {
				target = u.Host + "/" + data.Image.Repository
			}
		}
		var buf bytes.Buffer
		if err := export.Write(&buf, x.format, h.imageReport(target+"@"+data.Image.Digest, data)); err != nil {
			return err
		}
		name := strings.ReplaceAll(data.Image.Repository, "/", "_") + "-" +
			strings.TrimPrefix(data.Image.Digest, "sha256:")[:min(12, len(strings.TrimPrefix(data.Image.Digest, "sha256:")))] + x.suffix
		c.Response().Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		return apiWrite(c, http.StatusOK, x.format.ContentType(), buf.Bytes())
	}
}

func (h *Handler) imageReport(target string, data store.ImageExport) *export.Report {
	im := data.Image
	r := &export.Report{
		Target: target, Digest: im.Digest, Platform: im.Platform,
		OS:          export.OS{ID: im.OSID, Version: im.OSVersion, Name: im.OSName},
		ToolVersion: h.version, UnhealthyLevels: h.cfg.UnhealthySeverities,
		Layers: im.Layers, Packages: data.Packages, GeneratedAt: im.CreatedAt,
	}
	if im.ScannedAt != nil {
		r.GeneratedAt = *im.ScannedAt
	}
	if fv := im.FeedVersion; fv != nil {
		r.FeedVersion = fmt.Sprintf("%d (%s, %s)", fv.ID, fv.Digest, fv.ImportedAt.UTC().Format("2006-01-02T15:04:05Z"))
	}
	for _, f := range data.Findings {
		rec := store.FindingRecord{PackageID: f.Package.ID, VulnID: f.VulnID, AdvisoryIDs: f.AdvisoryIDs,
			Aliases: f.Aliases, Summary: f.Summary, SeverityLevel: f.SeverityLevel, SeverityScore: f.SeverityScore,
			SeveritySource: f.SeveritySource, FixedVersion: f.FixedVersion, FixStatus: f.FixStatus}
		ef := export.Finding{FindingRecord: rec, Package: f.Package, Exempt: f.Exempt}
		if f.Exempt {
			ef.ExemptReason = "covered by an active exemption"
		}
		r.Findings = append(r.Findings, ef)
	}
	return r
}
