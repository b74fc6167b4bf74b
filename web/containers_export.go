package web

import (
	"io"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/export"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/components"
)

// imagesCSVHeader is the first row of the image list's CSV.
var imagesCSVHeader = []string{
	"registry", "repository", "tags", "digest", "index_digest", "platform", "os", "size_bytes",
	"scanned_at", "health", "critical", "high", "medium", "low", "unknown",
}

// containersExport streams the image list as CSV with the filters and
// sort of the list it was linked from, all pages.
func (h *Handler) containersExport(c echo.Context) error {
	if err := h.needConsoleStore(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	q := parseImagesQuery(c)
	return h.streamCSV(c, "palisade-images.csv", func(w io.Writer) error {
		out := export.NewRowsCSV(w, imagesCSVHeader)
		err := h.store.ForEachImage(ctx, q.filter(), func(im store.ImageRow) error {
			return out.Write(imageCSVRow(im))
		})
		if err != nil {
			return err
		}
		return out.Flush()
	})
}

func imageCSVRow(im store.ImageRow) []string {
	scanned := ""
	if im.ScannedAt != nil {
		scanned = components.MachineTime(*im.ScannedAt)
	}
	c := im.Counts
	return []string{
		im.RegistryName, im.Repository, strings.Join(im.Tags, "; "), im.Digest, im.IndexDigest, im.Platform,
		im.OSName, strconv.FormatInt(im.SizeBytes, 10), scanned, healthWord(im.Healthy),
		strconv.Itoa(c.Critical), strconv.Itoa(c.High), strconv.Itoa(c.Medium), strconv.Itoa(c.Low), strconv.Itoa(c.Unknown),
	}
}

func healthWord(healthy *bool) string {
	switch {
	case healthy == nil:
		return "not_scanned"
	case *healthy:
		return "healthy"
	}
	return "unhealthy"
}
