package web

import (
	"context"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// JobInserter queues background jobs; the River client is one.
type JobInserter interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// registerAPIRoutes is the REST API's section of the route table, and the
// console pages that manage API tokens and outgoing webhooks. Every
// /api/v1 route takes an API token ("Authorization: Bearer pal_...") or a
// session, and declares its role like any page; api/openapi.yaml
// describes each one, and TestOpenAPICoversEveryRoute keeps the two
// together.
func registerAPIRoutes(r routeTable, h *Handler) {
	s := h.needStore

	// API: description
	r.GET("/api/openapi.json", public, h.apiOpenAPI)

	// API: registries
	r.GET("/api/v1/registries", minViewer, s(h.apiRegistryList))
	r.POST("/api/v1/registries", minAdmin, s(h.apiRegistryCreate))
	r.GET("/api/v1/registries/:id", minViewer, s(h.apiRegistryShow))
	r.PUT("/api/v1/registries/:id", minAdmin, s(h.apiRegistryUpdate))
	r.DELETE("/api/v1/registries/:id", minAdmin, s(h.apiRegistryDelete))

	// API: images, their findings and exports
	r.GET("/api/v1/images", minViewer, s(h.apiImageList))
	r.GET("/api/v1/images/:id", minViewer, s(h.apiImageShow))
	r.GET("/api/v1/images/:id/findings", minViewer, s(h.apiImageFindings))
	r.GET("/api/v1/images/:id/sbom", minViewer, s(h.apiImageExport(exportSBOM)))
	r.GET("/api/v1/images/:id/sarif", minViewer, s(h.apiImageExport(exportSARIF)))
	r.GET("/api/v1/images/:id/findings.csv", minViewer, s(h.apiImageExport(exportCSV)))
	r.GET("/api/v1/images/:id/report.json", minViewer, s(h.apiImageExport(exportJSON)))

	// API: vulnerabilities
	r.GET("/api/v1/vulnerabilities", minViewer, s(h.apiVulnerabilityList))
	r.GET("/api/v1/vulnerabilities/:id", minViewer, s(h.apiVulnerabilityShow))
	r.GET("/api/v1/vulnerabilities/:id/images", minViewer, s(h.apiVulnerabilityImages))

	// API: recommendations
	r.GET("/api/v1/recommendations", minViewer, s(h.apiRecommendationList))
	r.GET("/api/v1/recommendations/:id/resources", minViewer, s(h.apiRecommendationResources))

	// API: exemptions
	r.GET("/api/v1/exemptions", minViewer, s(h.apiExemptionList))
	r.POST("/api/v1/exemptions", minOperator, s(h.apiExemptionCreate))
	r.GET("/api/v1/exemptions/:id", minViewer, s(h.apiExemptionShow))
	r.DELETE("/api/v1/exemptions/:id", minOperator, s(h.apiExemptionDelete))

	// API: scans
	r.GET("/api/v1/scans", minViewer, s(h.apiScanList))
	r.POST("/api/v1/scans", minOperator, s(h.apiScanCreate))
	r.GET("/api/v1/scans/:id", minViewer, s(h.apiScanShow))

	// API: advisory feeds
	r.GET("/api/v1/feeds", minViewer, s(h.apiFeedList))
	r.POST("/api/v1/feeds/sync", minOperator, s(h.apiFeedSync))

	// API: audit log
	r.GET("/api/v1/audit", minAdmin, s(h.apiAuditList))

	// API: tokens
	r.GET("/api/v1/tokens", minAdmin, s(h.apiTokenList))
	r.POST("/api/v1/tokens", minAdmin, s(h.apiTokenCreate))
	r.DELETE("/api/v1/tokens/:id", minAdmin, s(h.apiTokenRevoke))

	// API: outgoing webhooks
	r.GET("/api/v1/webhooks", minAdmin, s(h.apiWebhookList))
	r.POST("/api/v1/webhooks", minAdmin, s(h.apiWebhookCreate))
	r.GET("/api/v1/webhooks/:id", minAdmin, s(h.apiWebhookShow))
	r.PUT("/api/v1/webhooks/:id", minAdmin, s(h.apiWebhookUpdate))
	r.DELETE("/api/v1/webhooks/:id", minAdmin, s(h.apiWebhookDelete))
	r.GET("/api/v1/webhooks/:id/deliveries", minAdmin, s(h.apiWebhookDeliveries))

	// Settings: API tokens and outgoing webhooks
	r.GET("/settings/tokens", minAdmin, s(h.settingsTokens))
	r.POST("/settings/tokens", minAdmin, s(h.settingsTokenCreate))
	r.POST("/settings/tokens/:id/revoke", minAdmin, s(h.settingsTokenRevoke))
	r.GET("/settings/webhooks", minAdmin, s(h.settingsWebhooks))
	r.POST("/settings/webhooks", minAdmin, s(h.settingsWebhookCreate))
	r.GET("/settings/webhooks/:id", minAdmin, s(h.settingsWebhookShow))
	r.POST("/settings/webhooks/:id/toggle", minAdmin, s(h.settingsWebhookToggle))
	r.POST("/settings/webhooks/:id/delete", minAdmin, s(h.settingsWebhookDelete))
}
