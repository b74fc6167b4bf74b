package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/store"
	hostsview "github.com/palisadesec/palisade/views/hosts"
)

// hostsReady refuses the host pages of a server built without a database.
func (h *Handler) hostsReady() error {
	if h.hosts == nil || h.store == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "host monitoring is not configured on this server")
	}
	return nil
}

// hostParamID reads a positive id from the path.
func hostParamID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, name+" must be a positive number")
	}
	return id, nil
}

// hostsSection builds the Docker hosts section of the Containers tab and
// of the hosts page from the store.
func (h *Handler) hostsSection(c echo.Context) (hostsview.SectionModel, error) {
	list, err := h.store.Hosts(c.Request().Context())
	if err != nil {
		return hostsview.SectionModel{}, err
	}
	m := hostsview.SectionModel{CanAdmin: principalOf(c).Role.AtLeast(auth.RoleAdmin)}
	for _, x := range list {
		m.Hosts = append(m.Hosts, hostRow(x))
	}
	return m, nil
}

func hostRow(x store.Host) hostsview.HostRow {
	r := hostsview.HostRow{
		ID: x.ID, URL: "/hosts/" + strconv.FormatInt(x.ID, 10), Name: x.Name,
		DockerVersion: x.DockerVersion, OS: x.OS, Kernel: x.Kernel, FailingControls: x.FailingControls,
		EnrolledAt: hostTime(x.EnrolledAt), Revoked: x.Revoked(),
		Images: "—", Containers: "—",
	}
	if x.LastSnapshotAt != nil {
		r.LastSnapshot = hostTime(*x.LastSnapshotAt)
		r.LastSnapshotISO = x.LastSnapshotAt.UTC().Format(time.RFC3339)
		r.Images, r.Containers = hostCount(x.Images), hostCount(x.Containers)
	}
	return r
}

// hostCount formats a count the agent may not have read; empty means so.
func hostCount(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func hostTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
