package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DistributionEventsMediaType is the Content-Type of the notification
// envelopes that CNCF distribution 2.x (Debian's docker-registry) sends.
// Distribution 3 sends ".../events.v2+json" with the same shape.
const DistributionEventsMediaType = "application/vnd.docker.distribution.events.v1+json"

// PushEvent is one manifest or index pushed to a registry. Tag is empty
// when it was pushed by digest; MediaType is empty when the sender does
// not say (Harbor).
type PushEvent struct {
	Repository string
	Digest     string
	Tag        string
	MediaType  string
}

// distributionEnvelope is the shape of distribution's notifications
// (notifications/event.go: Envelope and Event), reduced to what we read.
type distributionEnvelope struct {
	Events *[]distributionEvent `json:"events"`
}

type distributionEvent struct {
	Action string `json:"action"`
	Target struct {
		MediaType  string `json:"mediaType"`
		Digest     string `json:"digest"`
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
		URL        string `json:"url"`
	} `json:"target"`
}

// manifestMediaTypes are the pushes worth scanning: images and indexes.
// Blob pushes (layers, configs, "application/octet-stream") and schema 1
// manifests are dropped.
var manifestMediaTypes = map[string]bool{
	string(types.DockerManifestSchema2): true,
	string(types.DockerManifestList):    true,
	string(types.OCIManifestSchema1):    true,
	string(types.OCIImageIndex):         true,
}

// ParseDistributionEvents returns the manifest and index pushes in a CNCF
// distribution notification envelope ({"events": [...]}). Pulls, deletes,
// mounts and blob pushes are dropped; the same push listed twice comes
// back once. The caller limits the body's size.
func ParseDistributionEvents(body []byte) ([]PushEvent, error) {
	var env distributionEnvelope
	if err := decodeJSON(body, &env); err != nil {
		return nil, fmt.Errorf("parse distribution notification: %w", err)
	}
	if env.Events == nil {
		return nil, errors.New("parse distribution notification: no \"events\" list; not a notification envelope")
	}

	var out []PushEvent
	seen := map[PushEvent]bool{}
	for i, ev := range *env.Events {
		t := ev.Target
		if ev.Action != "push" || !manifestMediaTypes[t.MediaType] {
			continue
		}
		pe := PushEvent{Repository: t.Repository, Digest: t.Digest, Tag: t.Tag, MediaType: t.MediaType}
		if err := pe.validate(); err != nil {
			return nil, fmt.Errorf("parse distribution notification: event %d: %w", i, err)
		}
		if !seen[pe] {
			seen[pe] = true
			out = append(out, pe)
		}
	}
	return out, nil
}

// harborPayload covers both of Harbor's webhook formats: "Default"
// (type PUSH_ARTIFACT, event_data) and "CloudEvents" (specversion, type
// harbor.artifact.pushed, data). See Harbor's src/pkg/notifier/model.
type harborPayload struct {
	Type        string           `json:"type"`
	SpecVersion string           `json:"specversion"`
	EventData   *harborEventData `json:"event_data"`
	Data        *harborEventData `json:"data"`
}

type harborEventData struct {
	Resources []struct {
		Digest      string `json:"digest"`
		Tag         string `json:"tag"`
		ResourceURL string `json:"resource_url"`
	} `json:"resources"`
	Repository *struct {
		Name         string `json:"name"`
		Namespace    string `json:"namespace"`
		RepoFullName string `json:"repo_full_name"`
	} `json:"repository"`
}

// ParseHarborEvent returns the artifacts pushed in a Harbor webhook, in
// either its Default or its CloudEvents format. Other event types (pulls,
// deletes, scans, quota, replication) return no events and no error. The
// caller limits the body's size.
func ParseHarborEvent(body []byte) ([]PushEvent, error) {
	var p harborPayload
	if err := decodeJSON(body, &p); err != nil {
		return nil, fmt.Errorf("parse harbor webhook: %w", err)
	}
	data := p.EventData
	switch {
	case p.Type == "":
		return nil, errors.New("parse harbor webhook: no \"type\"; not a Harbor webhook")
	case p.SpecVersion != "":
		if p.Type != "harbor.artifact.pushed" {
			return nil, nil
		}
		data = p.Data
	case p.Type != "PUSH_ARTIFACT":
		return nil, nil
	}
	if data == nil || data.Repository == nil {
		return nil, errors.New("parse harbor webhook: push event without repository")
	}

	repo := data.Repository.RepoFullName
	if repo == "" && data.Repository.Name != "" {
		repo = strings.Trim(data.Repository.Namespace+"/"+data.Repository.Name, "/")
	}
	var out []PushEvent
	for i, r := range data.Resources {
		tag := r.Tag
		// Harbor puts the digest in "tag" for an artifact pushed by digest.
		if tag == r.Digest || strings.HasPrefix(tag, "sha256:") {
			tag = ""
		}
		pe := PushEvent{Repository: repo, Digest: r.Digest, Tag: tag}
		if err := pe.validate(); err != nil {
			return nil, fmt.Errorf("parse harbor webhook: resource %d: %w", i, err)
		}
		out = append(out, pe)
	}
	return out, nil
}

func (e PushEvent) validate() error {
	if e.Repository == "" {
		return errors.New("no repository")
	}
	if e.Digest == "" {
		return errors.New("no digest")
	}
	if _, err := v1.NewHash(e.Digest); err != nil {
		return fmt.Errorf("digest %q: %w", e.Digest, err)
	}
	return nil
}

// decodeJSON decodes one JSON object and refuses trailing data.
func decodeJSON(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return errors.New("empty body")
	}
	if body[0] != '{' {
		return errors.New("body is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// The distribution specification's grammar for repository names, tags and
// digests. go-containerregistry accepts names such as "../x" (only its
// character set is checked), which would put requests outside /v2/.
var (
	repositoryPattern = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)
	tagPattern        = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestPattern     = regexp.MustCompile(`^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$`)
)

// maxRepositoryLength is the longest repository name accepted.
const maxRepositoryLength = 255

// ValidateRepository checks a repository name against the distribution
// grammar: lowercase components separated by "/", no "." or ".." path
// tricks.
func ValidateRepository(repo string) error {
	if repo == "" {
		return errors.New("repository name is empty")
	}
	if len(repo) > maxRepositoryLength || !repositoryPattern.MatchString(repo) {
		return fmt.Errorf("repository name %q is not valid (lowercase letters, digits, and . _ - between them, components separated by /)", truncateForMessage(repo))
	}
	return nil
}

// Validate checks that an event names a valid repository, digest and
// (when given) tag, so nothing a notification says reaches the database
// or a registry URL unchecked.
func (e PushEvent) Validate() error {
	if err := ValidateRepository(e.Repository); err != nil {
		return err
	}
	if !digestPattern.MatchString(e.Digest) {
		return fmt.Errorf("digest %q is not a sha256 or sha512 digest", truncateForMessage(e.Digest))
	}
	if e.Tag != "" && !tagPattern.MatchString(e.Tag) {
		return fmt.Errorf("tag %q is not valid", truncateForMessage(e.Tag))
	}
	return nil
}

func truncateForMessage(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
