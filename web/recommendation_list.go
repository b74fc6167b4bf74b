package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/recommend"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/recommendations"
)

// recommendationList shows every recommendation with how many resources
// it affects.
func (h *Handler) recommendationList(c echo.Context) error {
	rows, assessed, err := h.recommendationRows(c)
	if err != nil {
		return err
	}
	m := recommendations.ListModel{
		Page:     h.page(c, "Recommendations", "recommendations"),
		Rows:     rows,
		Severity: oneOf(c.QueryParam("severity"), severityLevels...),
		Status:   recommendationStatusParam(c),
		Assessed: assessed,
		CSVURL:   withQuery("/recommendations/export.csv", compactQuery(c.QueryParams())),
	}
	return render(c, http.StatusOK, recommendations.List(m))
}

// recommendationListCSV exports the recommendations list with its filters.
func (h *Handler) recommendationListCSV(c echo.Context) error {
	rows, _, err := h.recommendationRows(c)
	if err != nil {
		return err
	}
	header := []string{"id", "title", "severity", "resource_kind", "status", "unhealthy", "healthy", "exempt", "assessed"}
	return h.streamCSVExport(c, "recommendations.csv", header, func(write func([]string) error) error {
		for _, r := range rows {
			err := write([]string{r.ID, r.Title, r.Severity, r.ResourceKind, r.Status, strconv.Itoa(r.Unhealthy),
				strconv.Itoa(r.Healthy), strconv.Itoa(r.Exempt), strconv.Itoa(r.Assessed)})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func recommendationStatusParam(c echo.Context) string {
	return oneOf(c.QueryParam("status"), "unhealthy", "healthy", "not_assessed")
}

// recommendationRows is the catalogue with each entry's counts, filtered
// by the request's severity and status, and whether anything was
// assessed at all.
func (h *Handler) recommendationRows(c echo.Context) ([]recommendations.ListRow, bool, error) {
	counts, err := h.store.RecommendationCounts(c.Request().Context())
	if err != nil {
		return nil, false, err
	}
	severity, status := oneOf(c.QueryParam("severity"), severityLevels...), recommendationStatusParam(c)
	var rows []recommendations.ListRow
	for _, r := range recommend.Catalogue() {
		row := listRow(r, counts[r.ID])
		if (severity == "" || r.Severity == severity) && (status == "" || row.Status == status) {
			rows = append(rows, row)
		}
	}
	return rows, len(counts) > 0, nil
}

func listRow(r recommend.Recommendation, n store.RecommendationCounts) recommendations.ListRow {
	row := recommendations.ListRow{
		ID: r.ID, Title: r.Title, Severity: r.Severity, ResourceKind: r.ResourceKind,
		URL: "/recommendations/" + url.PathEscape(r.ID), Unhealthy: n.Unhealthy, Healthy: n.Healthy,
		Exempt: n.Exempt, Assessed: n.Total(), Status: "not_assessed",
	}
	switch {
	case n.Unhealthy > 0:
		row.Status = "unhealthy"
	case n.Total() > 0:
		row.Status = "healthy"
	}
	return row
}

// catalogueEntry is the recommendation named by the :id parameter.
func catalogueEntry(c echo.Context) (recommend.Recommendation, error) {
	r, ok := recommend.ByID(c.Param("id"))
	if !ok {
		return r, store.ErrNotFound
	}
	return r, nil
}
