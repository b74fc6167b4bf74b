package notify

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/palisadesec/palisade/internal/secrets"
	"github.com/palisadesec/palisade/internal/store"
)

// Events a webhook can subscribe to.
const (
	// EventNewCriticalOrHigh: a scan or rematch found critical or high
	// findings that an image did not have before (exempt ones left out).
	EventNewCriticalOrHigh = "finding.new_critical_or_high"
	// EventScanFailed: a scan ended failed, after its last retry.
	EventScanFailed = "scan.failed"
	// EventAlertNew is reserved for runtime alerts. It can be subscribed
	// to now; nothing emits it until Palisade raises alerts.
	EventAlertNew = "alert.new"
)

// Events lists every event, in the order forms show them.
var Events = []string{EventNewCriticalOrHigh, EventScanFailed, EventAlertNew}

// Payload formats.
const (
	FormatJSON  = "json"
	FormatSlack = "slack"
)

// Queue is the part of the River client Service needs.
type Queue interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Options configures a Service.
type Options struct {
	Store  *store.Store
	Box    *secrets.Box
	Logger *slog.Logger
	Policy Policy
	// BaseURL is the console's public URL, for links in payloads.
	BaseURL string
	// Timeout bounds one delivery attempt; 0 means 10 seconds.
	Timeout time.Duration
}

// Service manages webhooks and queues their deliveries.
type Service struct {
	o     Options
	log   *slog.Logger
	queue Queue
}

// New returns a service; call UseQueue before events are emitted.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return &Service{o: o, log: o.Logger.With(slog.String("component", "notify"))}
}

// UseQueue gives the service the job client it queues deliveries with.
func (s *Service) UseQueue(q Queue) {
	s.queue = q
}

// Policy returns where webhooks may point.
func (s *Service) Policy() Policy {
	return s.o.Policy
}

// Input is a webhook as an admin fills it in.
type Input struct {
	Name   string
	URL    string
	Events []string
	Format string
	// Secret signs payloads. Empty on create makes a random one; empty on
	// update keeps the stored one.
	Secret  string
	Enabled bool
}

func (s *Service) validate(in Input) error {
	var errs []error
	if n := utf8.RuneCountInString(strings.TrimSpace(in.Name)); n == 0 || n > 100 {
		errs = append(errs, errors.New("name: give 1 to 100 characters"))
	}
	if err := s.o.Policy.CheckURL(in.URL); err != nil {
		errs = append(errs, err)
	}
	if len(in.Events) == 0 {
		errs = append(errs, errors.New("events: choose at least one"))
	}
	for _, e := range in.Events {
		if !slices.Contains(Events, e) {
			errs = append(errs, fmt.Errorf("events: unknown event %q (%s)", e, strings.Join(Events, ", ")))
		}
	}
	if in.Format != FormatJSON && in.Format != FormatSlack {
		errs = append(errs, errors.New("format: choose json or slack"))
	}
	if in.Secret != "" && (len(in.Secret) < 16 || len(in.Secret) > 256) {
		errs = append(errs, errors.New("secret: give 16 to 256 characters, or leave it empty"))
	}
	return errors.Join(errs...)
}

// Invalid wraps what is wrong with an Input.
type Invalid struct{ Err error }

func (e Invalid) Error() string { return e.Err.Error() }
func (e Invalid) Unwrap() error { return e.Err }

// Create validates and stores a webhook, and returns it with its secret.
func (s *Service) Create(ctx context.Context, in Input, by string) (store.Webhook, string, error) {
	if err := s.validate(in); err != nil {
		return store.Webhook{}, "", Invalid{err}
	}
	secret := in.Secret
	if secret == "" {
		secret = randomSecret()
	}
	w := store.Webhook{
		Name: strings.TrimSpace(in.Name), URL: in.URL, Events: slices.Compact(slices.Sorted(slices.Values(in.Events))),
		Format: in.Format, Enabled: in.Enabled, CreatedByName: by,
	}
	// The secret is sealed before the id is known; its context names the
	// webhook by its creation nonce instead.
	w.Secret = s.seal(secret)
	created, err := s.o.Store.CreateWebhook(ctx, w)
	return created, secret, err
}

// Update replaces a webhook's settings. An empty secret keeps the stored
// one.
func (s *Service) Update(ctx context.Context, id int64, in Input) (store.Webhook, error) {
	if err := s.validate(in); err != nil {
		return store.Webhook{}, Invalid{err}
	}
	w, err := s.o.Store.WebhookByID(ctx, id)
	if err != nil {
		return w, err
	}
	w.Name, w.URL, w.Format, w.Enabled = strings.TrimSpace(in.Name), in.URL, in.Format, in.Enabled
	w.Events = slices.Compact(slices.Sorted(slices.Values(in.Events)))
	if in.Secret != "" {
		w.Secret = s.seal(in.Secret)
	}
	return s.o.Store.UpdateWebhook(ctx, w)
}

const secretContext = "webhook:secret"

func (s *Service) seal(secret string) []byte {
	return s.o.Box.Seal([]byte(secret), secretContext)
}

// Secret opens a webhook's signing secret.
func (s *Service) Secret(w store.Webhook) (string, error) {
	b, err := s.o.Box.Open(w.Secret, secretContext)
	if err != nil {
		return "", fmt.Errorf("open secret of webhook %d: %w", w.ID, err)
	}
	return string(b), nil
}

func randomSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic("notify: no randomness: " + err.Error())
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// Event is something webhooks hear about.
type Event struct {
	Name string
	// Data is the event's detail, as the JSON payload's "data".
	Data any
	// Text is the one-paragraph summary Slack shows.
	Text string
}

// Emit queues one delivery of ev for every enabled webhook subscribed to
// it, each delivery row and its job in one transaction.
func (s *Service) Emit(ctx context.Context, ev Event) error {
	if s.queue == nil {
		return errors.New("notify: no job queue configured")
	}
	hooks, err := s.o.Store.WebhooksForEvent(ctx, ev.Name)
	if err != nil || len(hooks) == 0 {
		return err
	}
	now := time.Now().UTC()
	for _, w := range hooks {
		id := uuid.NewString()
		body, err := payload(w.Format, id, now, ev)
		if err != nil {
			return err
		}
		err = s.o.Store.InTx(ctx, func(tx pgx.Tx) error {
			d, err := s.o.Store.CreateDeliveryTx(ctx, tx, store.WebhookDelivery{
				WebhookID: w.ID, UUID: id, Event: ev.Name, Body: body,
			})
			if err != nil {
				return err
			}
			_, err = s.queue.InsertTx(ctx, tx, DeliverArgs{DeliveryID: d.ID}, nil)
			return err
		})
		if err != nil {
			return fmt.Errorf("queue delivery to webhook %d: %w", w.ID, err)
		}
		s.log.Debug("Webhook delivery queued", slog.Int64("webhook_id", w.ID), slog.String("event", ev.Name),
			slog.String("delivery", id))
	}
	return nil
}
