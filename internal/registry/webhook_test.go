package registry_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisadesec/palisade/internal/registry"
)

// The fixtures under testdata/distribution named captured-*.json are
// notification envelopes captured unchanged from Debian's docker-registry
// 2.8.2+ds1 (scripts/registry.sh, with the ignore lists removed so that
// blob and pull events were sent too) while crane v0.22.1 pushed, pulled,
// indexed and deleted images. handwritten-batch.json is hand-written in
// the shape of distribution's notifications/event.go (Envelope, Event,
// as in its event_test.go), with several events in one envelope.
//
// The fixtures under testdata/harbor are hand-written in the shape of
// Harbor's webhook payloads (src/pkg/notifier/model: Payload, EventData,
// Resource, Repository) as published in Harbor's "Configure Webhook
// Notifications" page, Default and CloudEvents formats.

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	ociManifest    = "application/vnd.oci.image.manifest.v1+json"
	ociIndex       = "application/vnd.oci.image.index.v1+json"
)

func TestParseDistributionEvents(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		body    string
		want    []registry.PushEvent
		wantErr string
	}{
		{
			name:    "captured manifest push by tag",
			fixture: "distribution/captured-manifest-push.json",
			want: []registry.PushEvent{{Repository: "raw/app", Tag: "2.0", MediaType: dockerManifest,
				Digest: "sha256:4dc71c1484d67c3bd9a98704ce1619fc8d15121b9979c4f919f2881f2c6eb643"}},
		},
		{
			name:    "captured index push",
			fixture: "distribution/captured-index-push.json",
			want: []registry.PushEvent{{Repository: "raw/multi", Tag: "latest", MediaType: ociIndex,
				Digest: "sha256:f75429f78ead6fed594d0ea1f3d73db04f0d5214dcb8655a7fa08a299d5c5f6e"}},
		},
		{
			name:    "captured child manifest pushed by digest",
			fixture: "distribution/captured-child-push-by-digest.json",
			want: []registry.PushEvent{{Repository: "raw/multi", MediaType: dockerManifest,
				Digest: "sha256:4dc71c1484d67c3bd9a98704ce1619fc8d15121b9979c4f919f2881f2c6eb643"}},
		},
		{name: "captured blob push is dropped", fixture: "distribution/captured-blob-push.json"},
		{name: "captured blob mount is dropped", fixture: "distribution/captured-blob-mount.json"},
		{name: "captured manifest pull is dropped", fixture: "distribution/captured-manifest-pull.json"},
		{name: "captured delete is dropped", fixture: "distribution/captured-delete.json"},
		{
			name:    "batch: blobs, pull, delete dropped, duplicate folded",
			fixture: "distribution/handwritten-batch.json",
			want: []registry.PushEvent{
				{Repository: "team/api", Tag: "1.4.2", MediaType: dockerManifest,
					Digest: "sha256:8a3a7d7b0c3e5a33b2c10c6b3a7a9e0b7e6c6d0c2c6a3c1b5f2b7e4d2c1a0f9e"},
				{Repository: "team/worker", MediaType: ociManifest,
					Digest: "sha256:0d5c8f3a1b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e"},
			},
		},
		{name: "empty events list", body: `{"events": []}`},
		{name: "empty body", body: ``, wantErr: "empty body"},
		{name: "not JSON", body: `events=1`, wantErr: "not a JSON object"},
		{name: "JSON array", body: `[{"action":"push"}]`, wantErr: "not a JSON object"},
		{name: "truncated JSON", body: `{"events": [{"action": "push"`, wantErr: "unexpected EOF"},
		{name: "trailing data", body: `{"events": []} {"events": []}`, wantErr: "trailing data"},
		{name: "no events field", body: `{"type": "PUSH_ARTIFACT"}`, wantErr: "not a notification envelope"},
		{name: "events of the wrong type", body: `{"events": {"action": "push"}}`, wantErr: "cannot unmarshal"},
		{
			name: "manifest push without repository",
			body: `{"events":[{"action":"push","target":{"mediaType":"` + ociManifest +
				`","digest":"sha256:0d5c8f3a1b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e"}}]}`,
			wantErr: "event 0: no repository",
		},
		{
			name: "manifest push with a bad digest",
			body: `{"events":[{"action":"push","target":{"mediaType":"` + ociManifest +
				`","repository":"a","digest":"md5:abc"}}]}`,
			wantErr: `event 0: digest "md5:abc"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			if tc.fixture != "" {
				body = readFixture(t, tc.fixture)
			}
			got, err := registry.ParseDistributionEvents(body)
			checkParse(t, got, err, tc.want, tc.wantErr)
		})
	}
}

func TestParseHarborEvent(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		body    string
		want    []registry.PushEvent
		wantErr string
	}{
		{
			name:    "default format push by tag",
			fixture: "harbor/push-default.json",
			want: []registry.PushEvent{{Repository: "platform/alpine", Tag: "3.19",
				Digest: "sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4"}},
		},
		{
			name:    "default format push by digest has no tag",
			fixture: "harbor/push-by-digest.json",
			want: []registry.PushEvent{{Repository: "harbor/alpine",
				Digest: "sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4"}},
		},
		{
			name:    "CloudEvents push",
			fixture: "harbor/push-cloudevents.json",
			want: []registry.PushEvent{{Repository: "web/nginx", Tag: "1.25",
				Digest: "sha256:2bb501e6173d9d006e56de5bce2720eb06396803300fe1687b58a7ff32bf4c14"}},
		},
		{name: "pull is dropped", fixture: "harbor/pull-default.json"},
		{name: "CloudEvents delete is dropped", fixture: "harbor/delete-cloudevents.json"},
		{name: "scan completed is dropped", fixture: "harbor/scan-completed.json"},
		{
			name: "repository from namespace and name",
			body: `{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"digest":` +
				`"sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4","tag":"v1"}],` +
				`"repository":{"name":"app","namespace":"team"}}}`,
			want: []registry.PushEvent{{Repository: "team/app", Tag: "v1",
				Digest: "sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4"}},
		},
		{name: "empty body", body: "  ", wantErr: "empty body"},
		{name: "not JSON", body: "<xml/>", wantErr: "not a JSON object"},
		{name: "no type", body: `{"event_data":{}}`, wantErr: "no \"type\""},
		{name: "distribution envelope instead", body: `{"events":[]}`, wantErr: "no \"type\""},
		{name: "push without event data", body: `{"type":"PUSH_ARTIFACT"}`, wantErr: "push event without repository"},
		{
			name:    "push without digest",
			body:    `{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"tag":"v1"}],"repository":{"repo_full_name":"a/b"}}}`,
			wantErr: "resource 0: no digest",
		},
		{name: "truncated", body: `{"type":"PUSH_ARTIFACT","event_data":{`, wantErr: "unexpected EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			if tc.fixture != "" {
				body = readFixture(t, tc.fixture)
			}
			got, err := registry.ParseHarborEvent(body)
			checkParse(t, got, err, tc.want, tc.wantErr)
		})
	}
}

func checkParse(t *testing.T, got []registry.PushEvent, err error, want []registry.PushEvent, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error %v, want one containing %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
