package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/notify"
	"github.com/palisadesec/palisade/internal/store"
)

// apiWebhook is an outgoing webhook; its secret is shown once, when made.
type apiWebhook struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Format    string    `json:"format"`
	Enabled   bool      `json:"enabled"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func apiWebhookOf(w store.Webhook) apiWebhook {
	return apiWebhook{ID: w.ID, Name: w.Name, URL: w.URL, Events: nonNilStrings(w.Events), Format: w.Format,
		Enabled: w.Enabled, CreatedBy: w.CreatedByName, CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC()}
}

// apiWebhookInput is the body of a webhook create or update.
type apiWebhookInput struct {
	Name   string   `json:"name"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Format string   `json:"format"`
	// Secret is optional: a random one is made on create, and the stored
	// one kept on update.
	Secret  string `json:"secret"`
	Enabled *bool  `json:"enabled"`
}

func (in apiWebhookInput) input() notify.Input {
	f := in.Format
	if f == "" {
		f = notify.FormatJSON
	}
	return notify.Input{Name: in.Name, URL: in.URL, Events: in.Events, Format: f, Secret: in.Secret,
		Enabled: in.Enabled == nil || *in.Enabled}
}

func (h *Handler) needNotify() error {
	if h.notify == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "outgoing webhooks are not configured")
	}
	return nil
}

func webhookError(err error) error {
	var bad notify.Invalid
	if errors.As(err, &bad) {
		return apiInvalid(bad.Err)
	}
	return err
}

func (h *Handler) apiWebhookList(c echo.Context) error {
	list, err := h.store.Webhooks(c.Request().Context())
	if err != nil {
		return err
	}
	out := mapAll(list, apiWebhookOf)
	return apiJSON(c, http.StatusOK, newAPIList(out, nil))
}

func (h *Handler) apiWebhookShow(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	w, err := h.store.WebhookByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, apiWebhookOf(w))
}

func (h *Handler) apiWebhookCreate(c echo.Context) error {
	if err := h.needNotify(); err != nil {
		return err
	}
	var in apiWebhookInput
	if err := apiBind(c, &in); err != nil {
		return err
	}
	w, secret, err := h.createWebhook(c, in.input())
	if err != nil {
		return webhookError(err)
	}
	return apiJSON(c, http.StatusCreated, struct {
		Webhook apiWebhook `json:"webhook"`
		Secret  string     `json:"secret"`
	}{apiWebhookOf(w), secret})
}

// createWebhook stores a webhook and records it in the audit log.
func (h *Handler) createWebhook(c echo.Context, in notify.Input) (store.Webhook, string, error) {
	w, secret, err := h.notify.Create(c.Request().Context(), in, actorName(c))
	if err != nil {
		return w, "", err
	}
	err = h.recordAudit(c, store.AuditEntry{Action: "webhook.create", ResourceKind: "webhook",
		ResourceID: fmt.Sprint(w.ID), Details: map[string]any{"name": w.Name, "url": w.URL, "events": w.Events}})
	return w, secret, err
}

// actorName is the caller's name as records keep it.
func actorName(c echo.Context) string {
	return apiActor(c).Name
}

func (h *Handler) apiWebhookUpdate(c echo.Context) error {
	if err := h.needNotify(); err != nil {
		return err
	}
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	var in apiWebhookInput
	if err := apiBind(c, &in); err != nil {
		return err
	}
	w, err := h.notify.Update(c.Request().Context(), id, in.input())
	if err != nil {
		return webhookError(err)
	}
	if err := h.recordAudit(c, store.AuditEntry{Action: "webhook.update", ResourceKind: "webhook",
		ResourceID: fmt.Sprint(w.ID), Details: map[string]any{"name": w.Name, "url": w.URL, "events": w.Events,
			"enabled": w.Enabled, "secret_changed": in.Secret != ""}}); err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, apiWebhookOf(w))
}

// deleteWebhook removes a webhook and records it in the audit log.
func (h *Handler) deleteWebhook(c echo.Context, id int64) error {
	w, err := h.store.DeleteWebhook(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return h.recordAudit(c, store.AuditEntry{Action: "webhook.delete", ResourceKind: "webhook",
		ResourceID: fmt.Sprint(w.ID), Details: map[string]any{"name": w.Name, "url": w.URL}})
}

func (h *Handler) apiWebhookDelete(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	if err := h.deleteWebhook(c, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type apiDelivery struct {
	ID          int64        `json:"id"`
	UUID        string       `json:"uuid"`
	Event       string       `json:"event"`
	State       string       `json:"state"`
	Attempts    int          `json:"attempts"`
	CreatedAt   time.Time    `json:"created_at"`
	DeliveredAt *time.Time   `json:"delivered_at"`
	Log         []apiAttempt `json:"log"`
}

type apiAttempt struct {
	Attempt    int       `json:"attempt"`
	StartedAt  time.Time `json:"started_at"`
	StatusCode *int      `json:"status_code"`
	Error      string    `json:"error"`
	DurationMS int64     `json:"duration_ms"`
}

func apiDeliveryOf(d store.WebhookDelivery) apiDelivery {
	out := apiDelivery{ID: d.ID, UUID: d.UUID, Event: d.Event, State: d.State, Attempts: d.Attempts,
		CreatedAt: d.CreatedAt.UTC(), DeliveredAt: apiTime(d.DeliveredAt), Log: []apiAttempt{}}
	for _, a := range d.Log {
		out.Log = append(out.Log, apiAttempt{a.Attempt, a.StartedAt.UTC(), a.StatusCode, a.Error, a.Duration.Milliseconds()})
	}
	return out
}

// apiWebhookDeliveries is a webhook's delivery log, newest first.
func (h *Handler) apiWebhookDeliveries(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.store.WebhookByID(ctx, id); err != nil {
		return err
	}
	limit := p.Limit
	if limit == 0 {
		limit = store.DefaultPageSize
	}
	list, err := h.store.WebhookDeliveries(ctx, id, limit)
	if err != nil {
		return err
	}
	out := mapAll(list, apiDeliveryOf)
	return apiJSON(c, http.StatusOK, newAPIList(out, nil))
}
