package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/store"
)

// apiRegistry is a registry as the API shows it; credentials and the
// webhook secret never leave the server.
type apiRegistry struct {
	ID                  int64      `json:"id"`
	Name                string     `json:"name"`
	URL                 string     `json:"url"`
	InsecureHTTP        bool       `json:"insecure_http"`
	AuthKind            string     `json:"auth_kind"`
	IncludePatterns     []string   `json:"include_patterns"`
	ExcludePatterns     []string   `json:"exclude_patterns"`
	ScanOnPush          bool       `json:"scan_on_push"`
	PollIntervalSeconds *int64     `json:"poll_interval_seconds"`
	LastPolledAt        *time.Time `json:"last_polled_at"`
	WebhookURL          string     `json:"webhook_url"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

func (h *Handler) apiRegistryOf(r store.Registry) apiRegistry {
	out := apiRegistry{ID: r.ID, Name: r.Name, URL: r.URL, InsecureHTTP: r.InsecureHTTP, AuthKind: r.AuthKind,
		IncludePatterns: nonNilStrings(r.IncludePatterns), ExcludePatterns: nonNilStrings(r.ExcludePatterns),
		ScanOnPush: r.ScanOnPush, LastPolledAt: apiTime(r.LastPolledAt), CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC()}
	if r.PollInterval != nil {
		s := int64(r.PollInterval.Seconds())
		out.PollIntervalSeconds = &s
	}
	if h.regs != nil {
		out.WebhookURL = h.regs.WebhookURL(r)
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// apiRegistryInput is the body of a registry create or update.
type apiRegistryInput struct {
	Name                string                 `json:"name"`
	URL                 string                 `json:"url"`
	InsecureHTTP        bool                   `json:"insecure_http"`
	CABundle            string                 `json:"ca_bundle"`
	AuthKind            string                 `json:"auth_kind"`
	Credentials         registries.Credentials `json:"credentials"`
	IncludePatterns     []string               `json:"include_patterns"`
	ExcludePatterns     []string               `json:"exclude_patterns"`
	ScanOnPush          *bool                  `json:"scan_on_push"`
	PollIntervalSeconds int64                  `json:"poll_interval_seconds"`
}

func (in apiRegistryInput) settings() registries.Settings {
	s := registries.Settings{Name: in.Name, URL: in.URL, InsecureHTTP: in.InsecureHTTP, CABundle: in.CABundle,
		AuthKind: in.AuthKind, Credentials: in.Credentials, IncludePatterns: in.IncludePatterns,
		ExcludePatterns: in.ExcludePatterns, ScanOnPush: in.ScanOnPush == nil || *in.ScanOnPush,
		PollInterval: time.Duration(in.PollIntervalSeconds) * time.Second}
	if s.AuthKind == "" {
		s.AuthKind = registries.AuthNone
	}
	return s
}

func (h *Handler) needRegistries() error {
	if h.regs == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "registry management is not configured")
	}
	return nil
}

func (h *Handler) apiRegistryList(c echo.Context) error {
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	list, next, err := h.store.APIRegistries(c.Request().Context(), p)
	if err != nil {
		return err
	}
	out := make([]apiRegistry, len(list))
	for i, r := range list {
		out[i] = h.apiRegistryOf(r)
	}
	return apiJSON(c, http.StatusOK, newAPIList(out, next))
}

func (h *Handler) apiRegistryShow(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	r, err := h.store.RegistryByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, h.apiRegistryOf(r))
}

// apiRegistryCreate connects a registry and answers with the webhook
// secret, shown this once.
func (h *Handler) apiRegistryCreate(c echo.Context) error {
	if err := h.needRegistries(); err != nil {
		return err
	}
	var in apiRegistryInput
	if err := apiBind(c, &in); err != nil {
		return err
	}
	conn, secret, err := h.regs.Add(c.Request().Context(), in.settings())
	if err != nil {
		return registryError(err)
	}
	if err := h.recordAudit(c, store.AuditEntry{Action: "registry.create", ResourceKind: "registry",
		ResourceID: fmt.Sprint(conn.ID), Details: map[string]any{"name": conn.Name, "url": conn.URL}}); err != nil {
		return err
	}
	return apiJSON(c, http.StatusCreated, struct {
		Registry      apiRegistry `json:"registry"`
		WebhookSecret string      `json:"webhook_secret"`
	}{h.apiRegistryOf(conn.Registry), secret})
}

// registryError tells validation problems (422) and name clashes (409)
// from failures.
func registryError(err error) error {
	if _, _, ok := apiStatus(err); ok {
		return err
	}
	if _, ok := err.(interface{ Unwrap() []error }); ok {
		return apiInvalid(err)
	}
	return err
}

func (h *Handler) apiRegistryUpdate(c echo.Context) error {
	if err := h.needRegistries(); err != nil {
		return err
	}
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	var in apiRegistryInput
	if err := apiBind(c, &in); err != nil {
		return err
	}
	conn, err := h.regs.Update(c.Request().Context(), id, in.settings())
	if err != nil {
		return registryError(err)
	}
	if err := h.recordAudit(c, store.AuditEntry{Action: "registry.update", ResourceKind: "registry",
		ResourceID: fmt.Sprint(id), Details: map[string]any{"name": conn.Name, "url": conn.URL}}); err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, h.apiRegistryOf(conn.Registry))
}

func (h *Handler) apiRegistryDelete(c echo.Context) error {
	if err := h.needRegistries(); err != nil {
		return err
	}
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := h.store.RegistryByID(ctx, id)
	if err != nil {
		return err
	}
	if err := h.regs.Remove(ctx, r.Name); err != nil {
		return err
	}
	if err := h.recordAudit(c, store.AuditEntry{Action: "registry.delete", ResourceKind: "registry",
		ResourceID: fmt.Sprint(id), Details: map[string]any{"name": r.Name}}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
