package scan

import (
	"context"
	"time"

	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/registry"
)

// RegistrySource pulls images from connected registries.
type RegistrySource struct {
	// Timeout bounds each wait on the registry; zero means the registry
	// package's default (30 s).
	Timeout time.Duration
}

// Client returns a registry client for a stored connection.
func Client(conn registries.Connection) (*registry.Client, error) {
	return clientWithTimeout(conn, 0)
}

func clientWithTimeout(conn registries.Connection, timeout time.Duration) (*registry.Client, error) {
	return registry.New(registry.Config{
		Timeout:     timeout,
		URL:         conn.URL,
		Insecure:    conn.InsecureHTTP,
		CABundlePEM: conn.CABundle,
		Auth: registry.Auth{
			Kind:             registry.AuthKind(conn.AuthKind),
			Username:         conn.Creds.Username,
			Password:         conn.Creds.Password,
			Token:            conn.Creds.Token,
			DockerConfigJSON: conn.Creds.DockerConfigJSON,
		},
	})
}

// Images resolves reference and returns every Linux platform image it
// names, each marked with the index it came from.
func (rs RegistrySource) Images(ctx context.Context, conn registries.Connection, repository, reference string) ([]PlatformImage, error) {
	c, err := clientWithTimeout(conn, rs.Timeout)
	if err != nil {
		return nil, err
	}
	desc, err := c.Resolve(ctx, repository, reference)
	if err != nil {
		return nil, err
	}
	imgs, err := c.Images(ctx, repository, desc.Digest)
	if err != nil {
		return nil, err
	}
	out := make([]PlatformImage, 0, len(imgs))
	for _, im := range imgs {
		pi := PlatformImage{Platform: im.Platform, Digest: im.Digest, MediaType: desc.MediaType, Image: im.Image}
		if desc.IsIndex {
			pi.IndexDigest = desc.Digest
			if mt, err := im.Image.MediaType(); err == nil {
				pi.MediaType = string(mt)
			}
		}
		out = append(out, pi)
	}
	return out, nil
}

// IsTransient reports registry errors worth retrying.
func (RegistrySource) IsTransient(err error) bool {
	return registry.IsTransient(err)
}
