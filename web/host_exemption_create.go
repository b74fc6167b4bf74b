package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/hostbench"
	"github.com/palisadesec/palisade/internal/hosts"
	"github.com/palisadesec/palisade/internal/store"
	hostsview "github.com/palisadesec/palisade/views/hosts"
)

// hostExemptionCreate exempts a control on a host, for one resource or for
// all, with a justification, and evaluates the host again. A refused form
// re-renders the host page with the reason and 200, so that htmx swaps it
// in like any page.
func (h *Handler) hostExemptionCreate(c echo.Context) error {
	if err := h.hostsReady(); err != nil {
		return err
	}
	id, err := hostParamID(c, "id")
	if err != nil {
		return err
	}
	x := hostbench.Exemption{
		ControlID: c.FormValue("control_id"), Resource: c.FormValue("resource"),
		Justification: c.FormValue("justification"),
	}
	p := principalOf(c)
	by := hosts.Actor{Name: p.Name}
	if p.UserID != 0 {
		by.UserID = &p.UserID
	}

	saved, err := h.hosts.Exempt(c.Request().Context(), id, x, by)
	switch {
	case errors.Is(err, hostbench.ErrBadExemption):
		return h.rerenderHost(c, err.Error())
	case errors.Is(err, store.ErrConflict):
		return h.rerenderHost(c, "control "+x.ControlID+" is already exempt for that resource on this host")
	case err != nil:
		return err
	}
	err = h.recordAudit(c, store.AuditEntry{
		Action: "host.control_exempted", ResourceKind: "host", ResourceID: strconv.FormatInt(id, 10),
		Details: map[string]any{"exemption_id": saved.ID, "control_id": saved.ControlID,
			"resource": saved.Resource, "justification": saved.Justification},
	})
	if err != nil {
		return err
	}
	return h.afterHostChange(c, hostPath(id)+"#exemptions", map[string]any{"exemption_id": saved.ID})
}

func (h *Handler) rerenderHost(c echo.Context, msg string) error {
	m, err := h.hostShowModel(c, "")
	if err != nil {
		return err
	}
	m.Error = msg
	return render(c, http.StatusOK, hostsview.Show(m))
}

// afterHostChange answers a successful change: a page goes to where the
// change shows, an API call gets JSON.
func (h *Handler) afterHostChange(c echo.Context, next string, body map[string]any) error {
	if isPageRequest(c.Request()) || isHTMX(c.Request()) {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return c.JSON(http.StatusOK, body)
}
