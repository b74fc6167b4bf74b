package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/buildinfo"
	"github.com/palisadesec/palisade/internal/store"
)

// DeliverArgs is the job that sends one delivery. It carries only the
// delivery's id: body, id and target are in the database, so every
// attempt sends the same bytes.
type DeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind names the job in the queue.
func (DeliverArgs) Kind() string { return "webhook_delivery" }

// MaxDeliveryAttempts is how often a delivery is tried. With River's
// backoff (attempt⁴ seconds plus jitter) the last try comes about 1.2
// hours after the first.
const MaxDeliveryAttempts = 8

// InsertOpts retries with River's backoff.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxDeliveryAttempts}
}

// DeliverWorker sends deliveries.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	Service *Service
}

// Timeout leaves room for the HTTP attempt and the bookkeeping.
func (w *DeliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.Service.o.Timeout + 30*time.Second
}

// Work makes one attempt. A 2xx ends the delivery; anything else is an
// error River retries, until the last attempt marks it failed.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	s := w.Service
	d, err := s.o.Store.DeliveryByID(ctx, job.Args.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("delivery %d no longer exists", job.Args.DeliveryID))
	}
	if err != nil {
		return err
	}
	if d.State == store.DeliveryDelivered {
		// Answered 2xx before (the job was retried after the answer was
		// recorded): never send twice.
		return nil
	}
	hook, err := s.o.Store.WebhookByID(ctx, d.WebhookID)
	if err != nil {
		return river.JobCancel(fmt.Errorf("webhook of delivery %d: %w", d.ID, err))
	}
	last := job.Attempt >= job.MaxAttempts
	a := s.attempt(ctx, hook, d, job.Attempt)
	state := store.DeliveryPending
	switch {
	case a.StatusCode != nil && *a.StatusCode/100 == 2:
		state = store.DeliveryDelivered
	case last || !hook.Enabled:
		state = store.DeliveryFailed
	}
	if err := s.o.Store.RecordDeliveryAttempt(context.WithoutCancel(ctx), d.ID, a, state); err != nil {
		return err
	}
	log := s.log.With(slog.Int64("webhook_id", hook.ID), slog.String("delivery", d.UUID), slog.Int("attempt", job.Attempt))
	switch state {
	case store.DeliveryDelivered:
		log.Debug("Webhook delivered", slog.Int("status", *a.StatusCode), slog.Duration("duration", a.Duration))
		return nil
	case store.DeliveryFailed:
		log.Warn("Webhook delivery failed for good", slog.String("error", a.Error))
		return river.JobCancel(errors.New(a.Error))
	}
	log.Warn("Webhook delivery attempt failed; will retry", slog.String("error", a.Error))
	return errors.New(a.Error)
}

// attempt sends the delivery once and says how it went.
func (s *Service) attempt(ctx context.Context, hook store.Webhook, d store.WebhookDelivery, n int) store.WebhookAttempt {
	a := store.WebhookAttempt{Attempt: n, StartedAt: time.Now()}
	defer func() { a.Duration = time.Since(a.StartedAt) }()
	if !hook.Enabled {
		a.Error = "webhook disabled"
		return a
	}
	secret, err := s.Secret(hook)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	// The URL may have been edited since it was checked, and a name may
	// now resolve elsewhere: the client's dialer checks again.
	if err := s.o.Policy.CheckURL(hook.URL); err != nil {
		a.Error = err.Error()
		return a
	}
	ts := time.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(d.Body))
	if err != nil {
		a.Error = fmt.Sprintf("build request: %v", err)
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Palisade-Webhook/"+buildinfo.Version)
	req.Header.Set(HeaderDelivery, d.UUID)
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(secret, ts, d.Body))
	resp, err := s.o.Policy.Client(s.o.Timeout).Do(req)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	code := resp.StatusCode
	a.StatusCode = &code
	if code/100 != 2 {
		a.Error = "receiver answered " + resp.Status
	}
	return a
}
