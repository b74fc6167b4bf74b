package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Webhook is an outgoing notification endpoint. Secret is sealed;
// internal/notify opens it to sign payloads.
type Webhook struct {
	ID            int64
	Name          string
	URL           string
	Secret        []byte
	Events        []string
	Format        string
	Enabled       bool
	CreatedByName string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

const webhookColumns = `id, name, url, secret, events, format, enabled, created_by_name, created_at, updated_at`

func scanWebhook(row pgx.Row) (Webhook, error) {
	var w Webhook
	err := row.Scan(&w.ID, &w.Name, &w.URL, &w.Secret, &w.Events, &w.Format, &w.Enabled, &w.CreatedByName,
		&w.CreatedAt, &w.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return w, ErrNotFound
	}
	return w, err
}

func collectWebhooks(rows pgx.Rows, err error) ([]Webhook, error) {
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Webhook, error) { return scanWebhook(row) })
}

// CreateWebhook stores a new webhook and returns it with its id.
func (s *Store) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	created, err := scanWebhook(s.pool.QueryRow(ctx, `
		INSERT INTO webhooks (name, url, secret, events, format, enabled, created_by_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING `+webhookColumns,
		w.Name, w.URL, w.Secret, w.Events, w.Format, w.Enabled, w.CreatedByName))
	if err != nil {
		return created, fmt.Errorf("create webhook: %w", err)
	}
	return created, nil
}

// UpdateWebhook saves every editable field of w, the secret included.
func (s *Store) UpdateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	return scanWebhook(s.pool.QueryRow(ctx, `
		UPDATE webhooks SET name = $2, url = $3, secret = $4, events = $5, format = $6, enabled = $7,
			updated_at = now()
		WHERE id = $1
		RETURNING `+webhookColumns,
		w.ID, w.Name, w.URL, w.Secret, w.Events, w.Format, w.Enabled))
}

// DeleteWebhook removes a webhook with its delivery log.
func (s *Store) DeleteWebhook(ctx context.Context, id int64) (Webhook, error) {
	return scanWebhook(s.pool.QueryRow(ctx, `DELETE FROM webhooks WHERE id = $1 RETURNING `+webhookColumns, id))
}

// WebhookByID returns one webhook.
func (s *Store) WebhookByID(ctx context.Context, id int64) (Webhook, error) {
	return scanWebhook(s.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id))
}

// Webhooks lists every webhook by id.
func (s *Store) Webhooks(ctx context.Context) ([]Webhook, error) {
	return collectWebhooks(s.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`))
}

// WebhooksForEvent lists the enabled webhooks subscribed to event.
func (s *Store) WebhooksForEvent(ctx context.Context, event string) ([]Webhook, error) {
	return collectWebhooks(s.pool.Query(ctx, `
		SELECT `+webhookColumns+` FROM webhooks WHERE enabled AND $1 = ANY(events) ORDER BY id`, event))
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one event for one webhook, and how its sending went.
type WebhookDelivery struct {
	ID          int64
	WebhookID   int64
	UUID        string
	Event       string
	Body        []byte
	State       string
	Attempts    int
	CreatedAt   time.Time
	DeliveredAt *time.Time
	// Log is every attempt, oldest first; filled by WebhookDeliveries.
	Log []WebhookAttempt
}

// WebhookAttempt is one try at sending a delivery.
type WebhookAttempt struct {
	Attempt   int
	StartedAt time.Time
	// StatusCode is nil when no answer came.
	StatusCode *int
	Error      string
	Duration   time.Duration
}

const deliveryColumns = `id, webhook_id, uuid::text, event, body, state, attempts, created_at, delivered_at`

func scanDelivery(row pgx.Row) (WebhookDelivery, error) {
	var d WebhookDelivery
	err := row.Scan(&d.ID, &d.WebhookID, &d.UUID, &d.Event, &d.Body, &d.State, &d.Attempts, &d.CreatedAt,
		&d.DeliveredAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrNotFound
	}
	return d, err
}

// CreateDeliveryTx records a pending delivery inside tx, the transaction
// that also queues its job.
func (s *Store) CreateDeliveryTx(ctx context.Context, tx pgx.Tx, d WebhookDelivery) (WebhookDelivery, error) {
	created, err := scanDelivery(tx.QueryRow(ctx, `
		INSERT INTO webhook_deliveries (webhook_id, uuid, event, body) VALUES ($1, $2, $3, $4)
		RETURNING `+deliveryColumns, d.WebhookID, d.UUID, d.Event, d.Body))
	if err != nil {
		return created, fmt.Errorf("record webhook delivery: %w", err)
	}
	return created, nil
}

// DeliveryByID returns one delivery without its log.
func (s *Store) DeliveryByID(ctx context.Context, id int64) (WebhookDelivery, error) {
	return scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = $1`, id))
}

// RecordDeliveryAttempt logs one attempt and moves the delivery to state,
// in one transaction. A delivery already delivered stays delivered.
func (s *Store) RecordDeliveryAttempt(ctx context.Context, deliveryID int64, a WebhookAttempt, state string) error {
	return s.InTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status_code, error, duration_ms)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			deliveryID, a.Attempt, a.StartedAt, a.StatusCode, truncate(a.Error, 2000), a.Duration.Milliseconds())
		if err != nil {
			return fmt.Errorf("log webhook attempt: %w", err)
		}
		_, err = tx.Exec(ctx, `
			UPDATE webhook_deliveries SET attempts = greatest(attempts, $2),
				state = CASE WHEN state = 'delivered' THEN state ELSE $3 END,
				delivered_at = CASE WHEN $3 = 'delivered' THEN coalesce(delivered_at, now()) ELSE delivered_at END
			WHERE id = $1`, deliveryID, a.Attempt, state)
		if err != nil {
			return fmt.Errorf("update webhook delivery: %w", err)
		}
		return nil
	})
}

// WebhookDeliveries returns the newest deliveries of a webhook with their
// attempts.
func (s *Store) WebhookDeliveries(ctx context.Context, webhookID int64, limit int) ([]WebhookDelivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (WebhookDelivery, error) { return scanDelivery(row) })
	if err != nil || len(list) == 0 {
		return list, err
	}
	ids := make([]int64, len(list))
	index := map[int64]int{}
	for i, d := range list {
		ids[i], index[d.ID] = d.ID, i
	}
	rows, err = s.pool.Query(ctx, `
		SELECT delivery_id, attempt, started_at, status_code, error, duration_ms
		FROM webhook_attempts WHERE delivery_id = ANY($1) ORDER BY delivery_id, attempt, id`, ids)
	if err != nil {
		return nil, fmt.Errorf("list webhook attempts: %w", err)
	}
	var id, ms int64
	var a WebhookAttempt
	_, err = pgx.ForEachRow(rows, []any{&id, &a.Attempt, &a.StartedAt, &a.StatusCode, &a.Error, &ms}, func() error {
		a.Duration = time.Duration(ms) * time.Millisecond
		d := &list[index[id]]
		d.Log = append(d.Log, a)
		a.StatusCode = nil
		return nil
	})
	return list, err
}

// NewFinding is a finding an event reports, with where it was found.
type NewFinding struct {
	ImageID        int64
	Registry       string
	Repository     string
	Digest         string
	VulnID         string
	Aliases        []string
	SeverityLevel  string
	SeverityScore  *float64
	PackageName    string
	PackageVersion string
	FixedVersion   string
}

// NewFindingsSince returns the open findings of the given images that were
// first seen at or after since, have one of levels and no active
// exemption: what a scan or rematch that started at since added.
func (s *Store) NewFindingsSince(ctx context.Context, imageIDs []int64, since time.Time, levels []string) ([]NewFinding, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT i.id, reg.name, r.name, i.digest, f.vuln_id, f.aliases, f.severity_level, f.severity_score,
			p.name, p.version, f.fixed_version
		FROM findings f
		JOIN image_packages p ON p.id = f.package_id
		JOIN images i ON i.id = f.image_id
		JOIN repositories r ON r.id = i.repository_id
		JOIN registries reg ON reg.id = r.registry_id
		WHERE f.image_id = ANY($1) AND f.first_seen_at >= $2 AND f.status = 'open'
		  AND f.severity_level = ANY($3) AND NOT `+findingExempt("f", "p", "i")+`
		ORDER BY i.id, `+severityRankSQL("f.severity_level")+` DESC, f.vuln_id, p.name`, imageIDs, since.Truncate(time.Microsecond), levels)
	if err != nil {
		return nil, fmt.Errorf("find new findings: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (NewFinding, error) {
		var n NewFinding
		var score *float32
		err := row.Scan(&n.ImageID, &n.Registry, &n.Repository, &n.Digest, &n.VulnID, &n.Aliases,
			&n.SeverityLevel, &score, &n.PackageName, &n.PackageVersion, &n.FixedVersion)
		n.SeverityScore = widen(score)
		return n, err
	})
}
