package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// registerRemediationRoutes is the route table of recommendations,
// exemptions and the audit log. Reading is for viewers; the remediation
// buttons need an operator; the audit log is for admins.
func registerRemediationRoutes(r routeTable, h *Handler) {
	s := h.storeRequired

	// Recommendations
	r.GET("/recommendations", minViewer, s(h.recommendationList))
	r.GET("/recommendations/export.csv", minViewer, s(h.recommendationListCSV))
	r.GET("/recommendations/:id", minViewer, s(h.recommendationShow))
	r.GET("/recommendations/:id/export.csv", minViewer, s(h.recommendationResourcesCSV))
	r.GET("/recommendations/:id/steps", minViewer, s(h.recommendationSteps))
	r.GET("/recommendations/:id/resources/:resource", minViewer, s(h.recommendationResourceShow))
	r.GET("/recommendations/:id/resources/:resource/summary", minViewer, s(h.recommendationResourceSummary))
	r.GET("/recommendations/:id/resources/:resource/findings", minViewer, s(h.recommendationResourceFindings))
	r.POST("/recommendations/:id/resources/:resource/exemptions", minOperator, s(h.exemptionCreateResource))

	// Exemptions
	r.GET("/exemptions", minViewer, s(h.exemptionList))
	r.GET("/exemptions/export.csv", minViewer, s(h.exemptionListCSV))
	r.POST("/findings/:id/exemptions", minOperator, s(h.exemptionCreateFinding))
	r.POST("/exemptions/:id/revoke", minOperator, s(h.exemptionRevoke))

	// Audit log
	r.GET("/audit", minAdmin, s(h.auditList))
	r.GET("/audit/export.csv", minAdmin, s(h.auditListCSV))
}

// storeRequired answers 503 instead of calling fn when the server runs
// without a database, as some tests do.
func (h *Handler) storeRequired(fn echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h.store == nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "the console has no database")
		}
		return fn(c)
	}
}
