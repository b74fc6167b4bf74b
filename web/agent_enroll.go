package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/hosts"
	"github.com/palisadesec/palisade/internal/store"
)

// maxAgentEnrolBody bounds an enrolment request: a token and a host name.
const maxAgentEnrolBody = 16 << 10

type agentEnrolRequest struct {
	Token    string `json:"token"`
	Hostname string `json:"hostname"`
}

type agentEnrolResponse struct {
	HostID     string `json:"host_id"`
	Credential string `json:"credential"`
}

// agentEnroll trades a one-time enrolment token for a new host and the
// credential its agent sends from then on.
func (h *Handler) agentEnroll(c echo.Context) error {
	if h.hosts == nil {
		return agentRefuse(http.StatusServiceUnavailable, "Unavailable", "host monitoring is not configured on this server")
	}
	var req agentEnrolRequest
	if err := json.NewDecoder(c.Request().Body).Decode(&req); err != nil {
		if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
			return err
		}
		return agentRefuse(http.StatusBadRequest, "Invalid enrolment request", "the body must be a JSON object with token and hostname")
	}

	host, credential, err := h.hosts.Enrol(c.Request().Context(), req.Token, req.Hostname)
	switch {
	case errors.Is(err, hosts.ErrBadToken):
		return agentRefuse(http.StatusUnauthorized, "Enrolment refused",
			"the enrolment token is unknown, expired or already used; ask an admin for a new one")
	case errors.Is(err, hosts.ErrBadHostname):
		return agentRefuse(http.StatusBadRequest, "Invalid enrolment request", err.Error())
	case err != nil:
		return err
	}

	id := strconv.FormatInt(host.ID, 10)
	err = h.recordAudit(c, store.AuditEntry{
		ActorKind: store.ActorAgent, ActorName: host.Name, Action: "host.enrolled",
		ResourceKind: "host", ResourceID: id,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, agentEnrolResponse{HostID: id, Credential: credential})
}
