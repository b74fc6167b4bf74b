// Package recommend holds the catalogue of recommendations Palisade makes
// and builds the remediation of each from what was found. A resource with
// nothing to fix is healthy; only unhealthy resources raise a
// recommendation.
package recommend

// Recommendation is one entry of the catalogue.
type Recommendation struct {
	ID          string
	Title       string
	Severity    string
	Description string
	// ResourceKind is what the recommendation assesses: image, host, cluster.
	ResourceKind string
}

// ImageVulnerabilities is raised for every image with open findings at or
// above the configured severity.
var ImageVulnerabilities = Recommendation{
	ID:           "image-vulnerabilities",
	Title:        "Vulnerabilities in container images should be remediated",
	Severity:     "high",
	ResourceKind: "image",
	Description: `The image contains packages with known vulnerabilities. Attackers who reach
a container started from it can use them. Upgrade the packages named in the
remediation steps, or rebuild the image on a newer base image when the
vulnerable packages come from the base, then push the image again; Palisade
scans every push.`,
}

// HostConfiguration is raised for Docker hosts failing CIS controls.
var HostConfiguration = Recommendation{
	ID:           "host-configuration",
	Title:        "Container hosts should be configured securely",
	Severity:     "high",
	ResourceKind: "host",
	Description: `The Docker host or its containers fail controls of the CIS Docker Benchmark.
Each failing control says what was seen and how to fix it.`,
}

// Catalogue lists every recommendation.
func Catalogue() []Recommendation {
	return []Recommendation{ImageVulnerabilities, HostConfiguration}
}

// ByID returns a catalogue entry.
func ByID(id string) (Recommendation, bool) {
	for _, r := range Catalogue() {
		if r.ID == id {
			return r, true
		}
	}
	return Recommendation{}, false
}

// Step is one remediation step for an image.
type Step struct {
	// Kind is "upgrade" (one package), "rebuild_base" (packages from the
	// base image's layers) or "no_fix" (nothing to upgrade to yet).
	Kind     string   `json:"kind"`
	Package  string   `json:"package,omitempty"`
	Type     string   `json:"type,omitempty"`
	From     string   `json:"from,omitempty"`
	To       string   `json:"to,omitempty"`
	Findings int      `json:"findings"`
	Worst    string   `json:"worst_severity"`
	Packages []string `json:"packages,omitempty"`
	Text     string   `json:"text"`
}

// ImageDetails is the stored detail of an image assessment.
type ImageDetails struct {
	Critical int    `json:"critical"`
	High     int    `json:"high"`
	Medium   int    `json:"medium"`
	Low      int    `json:"low"`
	Unknown  int    `json:"unknown"`
	Steps    []Step `json:"steps"`
}
