package registrytest

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image returns a small image for platform ("linux/amd64",
// "linux/arm64/v8"): one random 1 KiB layer and a config naming the
// platform.
func Image(t testing.TB, platform string) v1.Image {
	t.Helper()
	layer, err := random.Layer(1024, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	p := ParsePlatform(platform)
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Index returns an image index with one Image per platform, each
// described with its platform, as docker buildx pushes them.
func Index(t testing.TB, platforms ...string) v1.ImageIndex {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		pl := ParsePlatform(p)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        Image(t, p),
			Descriptor: v1.Descriptor{Platform: &pl},
		})
	}
	return idx
}

// WithAttestation adds a BuildKit-style attestation manifest to idx for
// its first image: platform unknown/unknown, annotated
// "vnd.docker.reference.type: attestation-manifest".
func WithAttestation(t testing.TB, idx v1.ImageIndex) v1.ImageIndex {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) == 0 {
		t.Fatal("registrytest: WithAttestation needs an index with an image")
	}
	layer, err := random.Layer(256, "application/vnd.in-toto+json")
	if err != nil {
		t.Fatal(err)
	}
	att, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		t.Fatal(err)
	}
	att = mutate.ConfigMediaType(att, types.OCIConfigJSON)
	return mutate.AppendManifests(idx, mutate.IndexAddendum{
		Add: att,
		Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{
				"vnd.docker.reference.type":   "attestation-manifest",
				"vnd.docker.reference.digest": im.Manifests[0].Digest.String(),
			},
		},
	})
}

// ParsePlatform splits "os/arch[/variant]".
func ParsePlatform(s string) v1.Platform {
	parts := strings.SplitN(s, "/", 3)
	p := v1.Platform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p
}
