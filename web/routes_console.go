package web

// registerConsoleRoutes is the console's section of the route table: the
// pages people look at every day, their live partials and CSV exports,
// and the registry settings.
func registerConsoleRoutes(r routeTable, h *Handler) {
	// Containers and images
	r.GET("/containers", minViewer, h.containersShow)
	r.GET("/containers/export.csv", minViewer, h.containersExport)
	r.GET("/images/:id", minViewer, h.imageShow)
	r.GET("/images/:id/export.csv", minViewer, h.imageFindingsExport)
	r.GET("/images/:id/scan-status", minViewer, h.imageScanStatusShow)
	r.POST("/images/:id/rescan", minOperator, h.imageRescan)

	// Vulnerabilities
	r.GET("/vulnerabilities", minViewer, h.vulnerabilitySearch)
	r.GET("/vulnerabilities/:id", minViewer, h.vulnerabilityShow)
	r.GET("/vulnerabilities/:id/export.csv", minViewer, h.vulnerabilityExport)

	// Scans
	r.GET("/scans", minViewer, h.scanList)
	r.GET("/scans/status", minViewer, h.scanStatus)
	r.GET("/scans/recent", minViewer, h.scanRecent)
	r.GET("/scans/export.csv", minViewer, h.scanExport)

	// Registry settings
	r.GET("/settings/registries", minAdmin, h.registryList)
	r.GET("/settings/registries/new", minAdmin, h.registryNew)
	r.POST("/settings/registries", minAdmin, h.registryCreate)
	r.GET("/settings/registries/:id", minAdmin, h.registryShow)
	r.GET("/settings/registries/:id/edit", minAdmin, h.registryEdit)
	r.POST("/settings/registries/:id", minAdmin, h.registryUpdate)
	r.POST("/settings/registries/:id/test", minAdmin, h.registryPing)
	r.GET("/settings/registries/:id/remove", minAdmin, h.registryRemoveConfirm)
	r.POST("/settings/registries/:id/remove", minAdmin, h.registryRemove)
}
