// Package settings holds the admin pages for API tokens and outgoing
// webhooks: the forms that make them, the lists, and a webhook's
// delivery log.
package settings

import "github.com/palisadesec/palisade/views/layout"

// Choice is one option of a select.
type Choice struct {
	Value, Label string
	Selected     bool
}

// TokensModel is the API tokens page.
type TokensModel struct {
	Page layout.Page
	// NewToken is the token just made, shown this once.
	NewToken      string
	NewTokenName  string
	Error         string
	Name          string
	Roles         []Choice
	ExpiryChoices []Choice
	Tokens        []TokenRow
}

// TokenRow is one token of the list.
type TokenRow struct {
	ID        int64
	Name      string
	Prefix    string
	Role      string
	State     string
	CreatedBy string
	CreatedAt string
	ExpiresAt string
	LastUsed  string
}

// WebhooksModel is the outgoing webhooks page.
type WebhooksModel struct {
	Page layout.Page
	// NewSecret is the secret of the webhook just made, shown this once.
	NewSecret     string
	NewSecretName string
	Error         string
	Name, URL     string
	Events        []Choice
	Formats       []Choice
	Webhooks      []WebhookRow
	// AllowPrivate says whether loopback and private addresses are allowed.
	AllowPrivate bool
}

// WebhookRow is one webhook of the list.
type WebhookRow struct {
	ID      int64
	Name    string
	URL     string
	Events  string
	Format  string
	Enabled bool
}

// WebhookModel is one webhook with its delivery log.
type WebhookModel struct {
	Page       layout.Page
	Webhook    WebhookRow
	Deliveries []DeliveryRow
}

// DeliveryRow is one delivery and its attempts.
type DeliveryRow struct {
	UUID      string
	Event     string
	State     string
	CreatedAt string
	Attempts  []AttemptRow
}

// AttemptRow is one attempt of a delivery.
type AttemptRow struct {
	Attempt   int
	StartedAt string
	Status    string
	Error     string
	Duration  string
}
