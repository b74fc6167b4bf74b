// Package registries holds the registry settings pages: the list, the
// form to connect or edit a registry (secrets are never shown again), a
// registry's webhook to paste into it, the connection test and removal.
package registries

import (
	"time"

	"github.com/palisadesec/palisade/views/layout"
)

// ListModel is the list of connected registries.
type ListModel struct {
	Page       layout.Page
	Registries []Row
	// Flash confirms the last action, such as a removal.
	Flash string
}

// Row is one registry of the list.
type Row struct {
	Name       string
	URL        string
	AuthKind   string
	ScanOnPush bool
	Polling    string
	Images     int
	ShowURL    string
}

// FormValues are the form's fields as typed. Secret fields are never
// filled back in.
type FormValues struct {
	Name         string
	URL          string
	InsecureHTTP bool
	CABundle     string
	AuthKind     string
	Username     string
	Include      string
	Exclude      string
	ScanOnPush   bool
	PollInterval string
}

// FormModel is the form to connect or edit a registry.
type FormModel struct {
	Page layout.Page
	// Editing is set for an existing registry; its stored secrets are
	// kept unless new ones are typed.
	Editing   bool
	Action    string
	CancelURL string
	Values    FormValues
	Errors    []string
}

// Webhook is what to paste into the registry.
type Webhook struct {
	URL                string
	Secret             string
	DistributionIntro  string
	DistributionConfig string
	HarborInstructions string
}

// TestResult is the outcome of a connection test.
type TestResult struct {
	Done    bool
	OK      bool
	Message string
}

// ShowModel is one registry's page.
type ShowModel struct {
	Page         layout.Page
	ID           int64
	Name         string
	URL          string
	InsecureHTTP bool
	HasCABundle  bool
	AuthKind     string
	Username     string
	Include      []string
	Exclude      []string
	ScanOnPush   bool
	Polling      string
	LastPolledAt *time.Time
	Repositories int
	Images       int
	Webhook      Webhook
	Test         TestResult
	// Flash confirms the last action, such as the registry's creation.
	Flash string
}

// RemoveModel asks to confirm a removal.
type RemoveModel struct {
	Page         layout.Page
	ID           int64
	Name         string
	Repositories int
	Images       int
}

// AuthKinds are the form's choices of authentication.
var AuthKinds = []struct{ Value, Label string }{
	{"none", "None (anonymous pulls)"},
	{"basic", "Username and password"},
	{"bearer", "Bearer token"},
	{"dockerconfig", "Docker config.json"},
}
