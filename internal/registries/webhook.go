package registries

import (
	"fmt"

	"github.com/palisadesec/palisade/internal/store"
)

// WebhookSetup is what an admin pastes into a registry so that it sends
// its push notifications to Palisade. The CLI prints it and the console
// shows it; both use the texts below, so they never disagree.
type WebhookSetup struct {
	URL    string
	Secret string
}

// WebhookSetup returns r's webhook URL with its secret opened.
func (m *Manager) WebhookSetup(r store.Registry) (WebhookSetup, error) {
	secret, err := m.WebhookSecret(r)
	if err != nil {
		return WebhookSetup{}, fmt.Errorf("open webhook secret of %s: %w", r.Name, err)
	}
	return WebhookSetup{URL: m.WebhookURL(r), Secret: secret}, nil
}

// DistributionIntro introduces DistributionConfig.
const DistributionIntro = "For a CNCF distribution registry (docker-registry), add to its config.yml:"

// DistributionConfig is the notifications section of a CNCF distribution
// registry's config.yml that sends pushes to this webhook.
func (w WebhookSetup) DistributionConfig() string {
	return fmt.Sprintf(`notifications:
  endpoints:
    - name: palisade
      url: %s
      headers:
        Authorization: ["Bearer %s"]
      timeout: 5s
      threshold: 5
      backoff: 10s
`, w.URL, w.Secret)
}

// HarborInstructions says how to point Harbor at the webhook.
const HarborInstructions = `For Harbor, add a webhook of type HTTP for "Artifact pushed" with that URL and the secret as its Auth Header.`
