package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/store"
	registriesview "github.com/palisadesec/palisade/views/registries"
)

// pingTimeout bounds a connection test, so a registry that never answers
// gets a clear message instead of a hung page.
const pingTimeout = 15 * time.Second

// registryPing tests the connection with the stored settings: it reaches
// the registry's API root and, for token auth, gets a token, as a scan
// would. htmx gets the result alone; without it, the registry's page.
func (h *Handler) registryPing(c echo.Context) error {
	if err := h.needRegistrySettings(); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	conn, err := h.regs.Open(ctx, id)
	if err != nil {
		return err
	}
	res := registriesview.TestResult{Done: true, OK: true}
	if err := ping(ctx, conn); err != nil {
		res.OK, res.Message = false, err.Error()
	}
	err = h.recordAudit(c, store.AuditEntry{
		Action: "registry.connection_tested", ResourceKind: "registry", ResourceID: strconv.FormatInt(id, 10),
		Details: map[string]any{"name": conn.Name, "ok": res.OK, "error": res.Message},
	})
	if err != nil {
		return err
	}

	if wantsFragment(c.Request(), "registry-test") {
		return render(c, http.StatusOK, registriesview.TestOutcome(res))
	}
	m, err := h.registryShowModel(c)
	if err != nil {
		return err
	}
	m.Test = res
	return render(c, http.StatusOK, registriesview.Show(m))
}

func ping(ctx context.Context, conn registries.Connection) error {
	client, err := scan.Client(conn)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return client.Ping(ctx)
}
