package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/notify"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/settings"
)

var eventLabels = map[string]string{
	notify.EventNewCriticalOrHigh: "New critical or high finding",
	notify.EventScanFailed:        "Scan failed",
	notify.EventAlertNew:          "New alert (when runtime alerts arrive)",
}

// webhooksModel builds the webhooks page with its list.
func (h *Handler) webhooksModel(c echo.Context, in notify.Input) (settings.WebhooksModel, error) {
	m := settings.WebhooksModel{Page: h.page(c, "Outgoing webhooks", "webhooks"), Name: in.Name, URL: in.URL}
	if h.notify != nil {
		m.AllowPrivate = h.notify.Policy().AllowPrivate
	}
	for _, e := range notify.Events {
		m.Events = append(m.Events, settings.Choice{Value: e, Label: eventLabels[e], Selected: slices.Contains(in.Events, e)})
	}
	for _, f := range []string{notify.FormatJSON, notify.FormatSlack} {
		m.Formats = append(m.Formats, settings.Choice{Value: f, Label: f, Selected: f == in.Format})
	}
	list, err := h.store.Webhooks(c.Request().Context())
	if err != nil {
		return m, err
	}
	for _, w := range list {
		m.Webhooks = append(m.Webhooks, webhookRow(w))
	}
	return m, nil
}

func webhookRow(w store.Webhook) settings.WebhookRow {
	return settings.WebhookRow{ID: w.ID, Name: w.Name, URL: w.URL, Events: strings.Join(w.Events, ", "),
		Format: w.Format, Enabled: w.Enabled}
}

func (h *Handler) settingsWebhooks(c echo.Context) error {
	m, err := h.webhooksModel(c, notify.Input{Events: []string{notify.EventNewCriticalOrHigh, notify.EventScanFailed},
		Format: notify.FormatJSON})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, settings.Webhooks(m))
}

// settingsWebhookCreate adds a webhook and shows its secret, this once.
func (h *Handler) settingsWebhookCreate(c echo.Context) error {
	if err := h.needNotify(); err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "unreadable form")
	}
	in := notify.Input{Name: form.Get("name"), URL: form.Get("url"), Events: form["events"],
		Format: form.Get("format"), Secret: form.Get("secret"), Enabled: true}
	w, secret, err := h.createWebhook(c, in)
	if bad, ok := err.(notify.Invalid); ok {
		m, listErr := h.webhooksModel(c, in)
		if listErr != nil {
			return listErr
		}
		m.Error = strings.ReplaceAll(bad.Error(), "\n", "; ")
		return render(c, http.StatusOK, settings.Webhooks(m)) // 200 so htmx shows the errors (STYLE.md)
	}
	if err != nil {
		return err
	}
	m, err := h.webhooksModel(c, notify.Input{Events: w.Events, Format: w.Format})
	if err != nil {
		return err
	}
	m.NewSecret, m.NewSecretName = secret, w.Name
	return render(c, http.StatusOK, settings.Webhooks(m))
}

// settingsWebhookShow is a webhook's delivery log.
func (h *Handler) settingsWebhookShow(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	w, err := h.store.WebhookByID(ctx, id)
	if err != nil {
		return err
	}
	list, err := h.store.WebhookDeliveries(ctx, id, 100)
	if err != nil {
		return err
	}
	m := settings.WebhookModel{Page: h.page(c, w.Name, "webhooks"), Webhook: webhookRow(w)}
	for _, d := range list {
		created := d.CreatedAt
		row := settings.DeliveryRow{UUID: d.UUID, Event: d.Event, State: d.State, CreatedAt: settingsTime(&created, "")}
		for _, a := range d.Log {
			started := a.StartedAt
			status := "no answer"
			if a.StatusCode != nil {
				status = fmt.Sprint(*a.StatusCode)
			}
			row.Attempts = append(row.Attempts, settings.AttemptRow{Attempt: a.Attempt, StartedAt: settingsTime(&started, ""),
				Status: status, Error: a.Error, Duration: a.Duration.String()})
		}
		m.Deliveries = append(m.Deliveries, row)
	}
	return render(c, http.StatusOK, settings.Webhook(m))
}

// settingsWebhookToggle enables or disables a webhook.
func (h *Handler) settingsWebhookToggle(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	w, err := h.store.WebhookByID(ctx, id)
	if err != nil {
		return err
	}
	w.Enabled = !w.Enabled
	if _, err := h.store.UpdateWebhook(ctx, w); err != nil {
		return err
	}
	if err := h.recordAudit(c, store.AuditEntry{Action: "webhook.update", ResourceKind: "webhook",
		ResourceID: fmt.Sprint(w.ID), Details: map[string]any{"name": w.Name, "enabled": w.Enabled}}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/webhooks")
}

func (h *Handler) settingsWebhookDelete(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	if err := h.deleteWebhook(c, id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/webhooks")
}
