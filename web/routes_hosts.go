package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
)

// agentSnapshotsPath is where palisade-agent posts snapshots
// (docs/agent-protocol.md).
const agentSnapshotsPath = "/api/agent/v1/snapshots"

// ownBodyLimit lists the routes that skip the server-wide body limit
// (PALISADE_MAX_BODY_BYTES) because they apply a larger one of their own.
var ownBodyLimit = map[string]bool{
	routeKey(http.MethodPost, agentSnapshotsPath): true,
}

// registerHostRoutes is the Docker hosts section of the route table.
func registerHostRoutes(r routeTable, h *Handler) {
	// Docker host agents: public at the role layer, since agents have no
	// session; each request carries an enrolment token or the host's own
	// credential, which the handler checks.
	r.POST("/api/agent/v1/enroll", public, h.agentAPI(agentBodyLimit(maxAgentEnrolBody, h.agentEnroll)))
	r.POST(agentSnapshotsPath, public, h.agentAPI(agentBodyLimit(hostsnapshot.MaxBytes, h.agentSnapshotCreate)))

	// Docker hosts
	r.GET("/hosts", minViewer, h.hostList)
	r.GET("/hosts/:id", minViewer, h.hostShow)
	r.GET("/hosts/:id/results.csv", minViewer, h.hostExport)
	r.POST("/hosts/:id/exemptions", minOperator, h.hostExemptionCreate)
	r.POST("/hosts/:id/exemptions/:exemption/delete", minOperator, h.hostExemptionDelete)

	// Docker host enrolment and credentials
	r.GET("/settings/hosts", minAdmin, h.hostSettingsShow)
	r.POST("/settings/hosts/tokens", minAdmin, h.hostTokenCreate)
	r.POST("/settings/hosts/tokens/:id/withdraw", minAdmin, h.hostTokenWithdraw)
	r.POST("/hosts/:id/credential/revoke", minAdmin, h.hostCredentialRevoke)
	r.POST("/hosts/:id/delete", minAdmin, h.hostDelete)
}

// agentBodyLimit refuses request bodies over n bytes with 413.
func agentBodyLimit(n int64, next echo.HandlerFunc) echo.HandlerFunc {
	return middleware.BodyLimit(byteSize(n))(next)
}
