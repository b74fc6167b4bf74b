package registry_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/palisadesec/palisade/internal/registry"
	"github.com/palisadesec/palisade/internal/registrytest"
)

// newClient makes a client for srv, failing the test on a config error.
func newClient(t *testing.T, cfg registry.Config) *registry.Client {
	t.Helper()
	c, err := registry.New(cfg)
	if err != nil {
		t.Fatalf("registry.New: %v", err)
	}
	return c
}

func plainConfig(srv *registrytest.Server) registry.Config {
	return registry.Config{URL: srv.URL, Insecure: true, Timeout: 5 * time.Second}
}

func dockerConfigJSON(key, entry string) string {
	return fmt.Sprintf(`{"auths":{%q:%s},"credsStore":"desktop"}`, key, entry)
}

// wantErr checks err against what a case expects: no error, or an error
// whose text holds want, with the given retry class.
func wantErr(t *testing.T, err error, want string, transient bool) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if got := registry.IsTransient(err); got != transient {
		t.Errorf("IsTransient(%v) = %v, want %v", err, got, transient)
	}
}

func TestPing(t *testing.T) {
	basic := registrytest.New(t, registrytest.WithBasicAuth("alice", "s3cret"))
	bearer := registrytest.New(t, registrytest.WithBearerToken("tok-123"))
	tokenServer := registrytest.New(t, registrytest.WithBasicAuth("bob", "pw"), registrytest.WithBearerToken("tok-456"))
	tlsSrv := registrytest.New(t, registrytest.WithTLS())
	open := registrytest.New(t)

	basicAuth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	tests := []struct {
		name      string
		cfg       registry.Config
		want      string // substring of the error; empty for success
		transient bool
	}{
		{name: "anonymous on an open registry", cfg: plainConfig(open)},
		{
			name: "basic auth accepted",
			cfg:  withAuth(plainConfig(basic), registry.Auth{Kind: registry.AuthBasic, Username: "alice", Password: "s3cret"}),
		},
		{
			name: "basic auth refused",
			cfg:  withAuth(plainConfig(basic), registry.Auth{Kind: registry.AuthBasic, Username: "alice", Password: "wrong"}),
			want: "credentials refused (HTTP 401)",
		},
		{
			name: "no credentials where they are required",
			cfg:  plainConfig(basic),
			want: "the registry requires credentials (HTTP 401)",
		},
		{
			name: "bearer token accepted",
			cfg:  withAuth(plainConfig(bearer), registry.Auth{Kind: registry.AuthBearer, Token: "tok-123"}),
		},
		{
			name: "bearer token refused",
			cfg:  withAuth(plainConfig(bearer), registry.Auth{Kind: registry.AuthBearer, Token: "nope"}),
			want: "credentials refused (HTTP 401)",
		},
		{
			name: "basic credentials exchanged for a token",
			cfg:  withAuth(plainConfig(tokenServer), registry.Auth{Kind: registry.AuthBasic, Username: "bob", Password: "pw"}),
		},
		{
			name: "token server refuses the credentials",
			cfg:  withAuth(plainConfig(tokenServer), registry.Auth{Kind: registry.AuthBasic, Username: "bob", Password: "bad"}),
			want: "credentials refused (HTTP 401)",
		},
		{
			name: "docker config auth field",
			cfg: withAuth(plainConfig(basic), registry.Auth{Kind: registry.AuthDockerConfig,
				DockerConfigJSON: dockerConfigJSON(basic.Host, fmt.Sprintf(`{"auth":%q}`, basicAuth))}),
		},
		{
			name: "docker config username and password under a URL key",
			cfg: withAuth(plainConfig(basic), registry.Auth{Kind: registry.AuthDockerConfig,
				DockerConfigJSON: dockerConfigJSON("http://"+basic.Host+"/v1/", `{"username":"alice","password":"s3cret"}`)}),
		},
		{
			name: "docker config with a wrong password",
			cfg: withAuth(plainConfig(basic), registry.Auth{Kind: registry.AuthDockerConfig,
				DockerConfigJSON: dockerConfigJSON(basic.Host, `{"username":"alice","password":"nope"}`)}),
			want: "credentials refused",
		},
		{
			name: "TLS with the CA bundle",
			cfg:  registry.Config{URL: tlsSrv.URL, CABundlePEM: tlsSrv.CABundlePEM(), Timeout: 5 * time.Second},
		},
		{
			name: "TLS without the CA bundle",
			cfg:  registry.Config{URL: tlsSrv.URL, Timeout: 5 * time.Second},
			want: "TLS certificate not trusted",
		},
		{
			name: "https URL for a plain-HTTP registry",
			cfg:  registry.Config{URL: "https://" + open.Host, Timeout: 5 * time.Second},
			want: "does not speak TLS",
		},
		{
			name:      "connection refused",
			cfg:       registry.Config{URL: "http://" + closedPort(t), Insecure: true, Timeout: 5 * time.Second},
			want:      "connection refused",
			transient: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.cfg)
			err := c.Ping(context.Background())
			wantErr(t, err, tc.want, tc.transient)
		})
	}
}

func withAuth(cfg registry.Config, a registry.Auth) registry.Config {
	cfg.Auth = a
	return cfg
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestHangingRegistryTimesOut(t *testing.T) {
	tests := []struct {
		name string
		call func(context.Context, *registry.Client) error
	}{
		{name: "ping", call: func(ctx context.Context, c *registry.Client) error { return c.Ping(ctx) }},
		{name: "resolve", call: func(ctx context.Context, c *registry.Client) error {
			_, err := c.Resolve(ctx, "app", "1.0")
			return err
		}},
		{name: "tags", call: func(ctx context.Context, c *registry.Client) error {
			_, err := c.Tags(ctx, "app")
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := registrytest.New(t)
			srv.HangPath("")
			cfg := plainConfig(srv)
			cfg.Timeout = 300 * time.Millisecond
			c := newClient(t, cfg)

			start := time.Now()
			err := tc.call(context.Background(), c)
			wantErr(t, err, "timed out waiting for the registry", true)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("gave up after %s, want about the 300ms timeout", d)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	srv := registrytest.New(t)
	imgDigest := srv.PushImage(t, "team/app", "1.0", registrytest.Image(t, "linux/amd64"))
	idxDigest := srv.PushIndex(t, "team/multi", "latest", registrytest.Index(t, "linux/amd64", "linux/arm64/v8"))

	tests := []struct {
		name      string
		repo, ref string
		want      registry.Descriptor
		wantErr   string
		transient bool
	}{
		{
			name: "tag of an image", repo: "team/app", ref: "1.0",
			want: registry.Descriptor{Digest: imgDigest, MediaType: "application/vnd.docker.distribution.manifest.v2+json"},
		},
		{
			name: "digest of an image", repo: "team/app", ref: imgDigest,
			want: registry.Descriptor{Digest: imgDigest, MediaType: "application/vnd.docker.distribution.manifest.v2+json"},
		},
		{
			name: "tag of an index", repo: "team/multi", ref: "latest",
			want: registry.Descriptor{Digest: idxDigest, MediaType: "application/vnd.oci.image.index.v1+json", IsIndex: true},
		},
		{name: "missing tag", repo: "team/app", ref: "2.0", wantErr: "not found (HTTP 404)"},
		{name: "bad digest", repo: "team/app", ref: "sha256:nothex", wantErr: `digest "sha256:nothex"`},
		{name: "empty reference", repo: "team/app", ref: "", wantErr: "reference is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, plainConfig(srv))
			got, err := c.Resolve(context.Background(), tc.repo, tc.ref)
			wantErr(t, err, tc.wantErr, tc.transient)
			if tc.wantErr != "" {
				return
			}
			got.Size = 0 // depends on the random layers
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		want      string
		transient bool
	}{
		{name: "401 is permanent", status: http.StatusUnauthorized, want: "the registry requires credentials (HTTP 401)"},
		{name: "403 is permanent", status: http.StatusForbidden, want: "access denied"},
		{name: "404 is permanent", status: http.StatusNotFound, want: "not found (HTTP 404)"},
		{name: "429 is transient", status: http.StatusTooManyRequests, want: "rate limited", transient: true},
		{name: "500 is transient", status: http.StatusInternalServerError,
			want: "registry server error (HTTP 500)", transient: true},
		{name: "503 is transient", status: http.StatusServiceUnavailable,
			want: "registry server error (HTTP 503)", transient: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := registrytest.New(t)
			srv.PushImage(t, "app", "1.0", registrytest.Image(t, "linux/amd64"))
			srv.FailPath("/v2/app/manifests/*", tc.status)
			c := newClient(t, plainConfig(srv))

			_, err := c.Images(context.Background(), "app", "1.0")
			wantErr(t, err, tc.want, tc.transient)
			var rerr *registry.Error
			if !errors.As(err, &rerr) || rerr.Status != tc.status {
				t.Errorf("error %v: want a *registry.Error with Status %d", err, tc.status)
			}
		})
	}
}

func TestUserAgent(t *testing.T) {
	tests := []struct {
		name, configured, want string
	}{
		{name: "default", want: "palisade/dev"},
		{name: "configured", configured: "palisade/1.2.3 (ci)", want: "palisade/1.2.3 (ci)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := registrytest.New(t)
			srv.PushImage(t, "app", "1", registrytest.Image(t, "linux/amd64"))
			cfg := plainConfig(srv)
			cfg.UserAgent = tc.configured
			c := newClient(t, cfg)
			before := len(srv.Requests())

			if _, err := c.Images(context.Background(), "app", "1"); err != nil {
				t.Fatal(err)
			}
			for _, r := range srv.Requests()[before:] {
				if r.UserAgent != tc.want {
					t.Errorf("%s %s: User-Agent %q, want %q", r.Method, r.Path, r.UserAgent, tc.want)
				}
			}
		})
	}
}

func TestTransientErrorRetriedOnce(t *testing.T) {
	srv := registrytest.New(t)
	srv.PushImage(t, "app", "1.0", registrytest.Image(t, "linux/amd64"))
	srv.Inject(registrytest.Fault{Path: "/v2/app/manifests/1.0", Status: http.StatusBadGateway, Times: 1})
	c := newClient(t, plainConfig(srv))

	if _, err := c.Resolve(context.Background(), "app", "1.0"); err != nil {
		t.Fatalf("one 502 should be retried: %v", err)
	}
}

func TestImages(t *testing.T) {
	srv := registrytest.New(t)
	srv.PushIndex(t, "multi", "1", registrytest.WithAttestation(t,
		registrytest.Index(t, "linux/amd64", "linux/arm64/v8", "windows/amd64")))
	srv.PushImage(t, "single", "1", registrytest.Image(t, "linux/arm/v7"))
	srv.PushIndex(t, "windows", "1", registrytest.Index(t, "windows/amd64"))
	srv.PushImage(t, "winimage", "1", registrytest.Image(t, "windows/amd64"))

	tests := []struct {
		name          string
		repo          string
		wantPlatforms []string
		wantErr       error
	}{
		{name: "index: linux platforms only, no attestation", repo: "multi",
			wantPlatforms: []string{"linux/amd64", "linux/arm64/v8"}},
		{name: "plain manifest", repo: "single", wantPlatforms: []string{"linux/arm/v7"}},
		{name: "index without linux", repo: "windows", wantErr: registry.ErrNoLinuxImage},
		{name: "windows image", repo: "winimage", wantErr: registry.ErrNoLinuxImage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, plainConfig(srv))
			images, err := c.Images(context.Background(), tc.repo, "1")
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				if registry.IsTransient(err) {
					t.Errorf("IsTransient(%v) = true, want false", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, im := range images {
				got = append(got, im.Platform)
				d, err := im.Image.Digest()
				if err != nil || d.String() != im.Digest {
					t.Errorf("%s: image digest %v (%v), descriptor says %s", im.Platform, d, err, im.Digest)
				}
				if _, err := im.Image.Layers(); err != nil {
					t.Errorf("%s: layers: %v", im.Platform, err)
				}
			}
			if diff := cmp.Diff(tc.wantPlatforms, got); diff != "" {
				t.Errorf("platforms (-want +got):\n%s", diff)
			}
		})
	}
}

func TestManifestTooLarge(t *testing.T) {
	tests := []struct {
		name          string
		contentLength bool
		want          string
	}{
		{name: "with Content-Length", contentLength: true, want: "manifest of 10485760 bytes exceeds the 4 MiB limit"},
		{name: "without Content-Length", contentLength: false,
			want: "manifest of more than 4194304 bytes exceeds the 4 MiB limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := registrytest.New(t)
			srv.ServeHugeManifest("big", "1", 10<<20, tc.contentLength)
			c := newClient(t, plainConfig(srv))

			_, err := c.Images(context.Background(), "big", "1")
			wantErr(t, err, tc.want, false)
			if !errors.Is(err, registry.ErrManifestTooLarge) {
				t.Errorf("errors.Is(%v, ErrManifestTooLarge) = false", err)
			}

			_, err = c.Resolve(context.Background(), "big", "1")
			if !errors.Is(err, registry.ErrManifestTooLarge) {
				t.Errorf("Resolve: errors.Is(%v, ErrManifestTooLarge) = false", err)
			}
		})
	}
}

func TestNotAnImage(t *testing.T) {
	srv := registrytest.New(t)
	img := registrytest.Image(t, "linux/amd64")
	srv.PushImage(t, "chart", "1", helmLike(t, img))
	c := newClient(t, plainConfig(srv))

	_, err := c.Images(context.Background(), "chart", "1")
	if !errors.Is(err, registry.ErrUnsupportedMediaType) || registry.IsTransient(err) {
		t.Fatalf("error %v: want permanent ErrUnsupportedMediaType", err)
	}
}

func TestBrokenBlobs(t *testing.T) {
	tests := []struct {
		name      string
		damage    func(*registrytest.Server, string)
		want      string
		transient bool
	}{
		{name: "truncated blob", damage: (*registrytest.Server).TruncateBlob,
			want: "connection dropped by the registry: unexpected EOF", transient: true},
		{name: "blob that stops halfway", damage: (*registrytest.Server).StallBlob,
			want: "timed out waiting for the registry", transient: true},
		{name: "digest mismatch", damage: (*registrytest.Server).CorruptBlob,
			want: "content does not match its digest", transient: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := registrytest.New(t)
			// Half of a 1 MiB layer is more than the transport buffers,
			// so a stall is seen while reading, not before.
			img := bigImage(t)
			srv.PushImage(t, "app", "1", img)
			layers, err := img.Layers()
			if err != nil {
				t.Fatal(err)
			}
			ld, err := layers[0].Digest()
			if err != nil {
				t.Fatal(err)
			}
			tc.damage(srv, ld.String())
			cfg := plainConfig(srv)
			cfg.Timeout = 500 * time.Millisecond
			c := newClient(t, cfg)

			images, err := c.Images(context.Background(), "app", "1")
			if err != nil {
				t.Fatal(err)
			}
			got, err := images[0].Image.Layers()
			if err != nil {
				t.Fatal(err)
			}
			err = c.Explain("read layer", readLayer(got[0]))
			wantErr(t, err, tc.want, tc.transient)
		})
	}
}

func readLayer(l interface{ Compressed() (io.ReadCloser, error) }) error {
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

func TestCatalogAndTagsPaginate(t *testing.T) {
	tests := []struct {
		name string
		opts []registrytest.Option
		cfg  func(*registrytest.Server) registry.Config
	}{
		{name: "plain HTTP", cfg: plainConfig},
		{
			// go-containerregistry assumes loopback registries are plain
			// HTTP; https pages must still be followed.
			name: "https on loopback with basic auth",
			opts: []registrytest.Option{registrytest.WithTLS(), registrytest.WithBasicAuth("u", "p")},
			cfg: func(s *registrytest.Server) registry.Config {
				return registry.Config{URL: s.URL, CABundlePEM: s.CABundlePEM(),
					Auth: registry.Auth{Kind: registry.AuthBasic, Username: "u", Password: "p"}}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := registrytest.New(t, append(tc.opts, registrytest.WithPageSize(2))...)
			img := registrytest.Image(t, "linux/amd64")
			wantRepos := []string{"a/one", "a/two", "b", "c/d/e", "z"}
			for _, r := range wantRepos {
				srv.PushImage(t, r, "latest", img)
			}
			wantTags := []string{"1.0", "1.1", "2.0", "latest", "x"}
			for _, tag := range wantTags {
				srv.PushImage(t, "a/one", tag, img)
			}
			c := newClient(t, tc.cfg(srv))

			repos, err := c.Catalog(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantRepos, repos); diff != "" {
				t.Errorf("Catalog (-want +got):\n%s", diff)
			}
			tags, err := c.Tags(context.Background(), "a/one")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantTags, tags); diff != "" {
				t.Errorf("Tags (-want +got):\n%s", diff)
			}

			var pages int
			for _, r := range srv.Requests() {
				if r.Path == "/v2/_catalog" && r.Method == http.MethodGet {
					pages++
				}
			}
			if pages != 3 {
				t.Errorf("catalog took %d requests, want 3 pages of at most 2", pages)
			}

			_, err = c.Tags(context.Background(), "nothing/here")
			wantErr(t, err, "not found (HTTP 404)", false)
		})
	}
}

func TestListPageTooLarge(t *testing.T) {
	srv := registrytest.New(t)
	img := registrytest.Image(t, "linux/amd64")
	for i := range 20 {
		srv.PushImage(t, "app", fmt.Sprintf("tag-%02d", i), img)
	}
	cfg := plainConfig(srv)
	cfg.MaxListBytes = 100
	c := newClient(t, cfg)

	_, err := c.Tags(context.Background(), "app")
	if !errors.Is(err, registry.ErrListTooLarge) || registry.IsTransient(err) {
		t.Fatalf("error %v: want permanent ErrListTooLarge", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  registry.Config
		want string
	}{
		{name: "empty URL", cfg: registry.Config{}, want: "registry URL is empty"},
		{name: "plain HTTP without Insecure", cfg: registry.Config{URL: "http://r.example:5000"}, want: "set Insecure"},
		{name: "https with Insecure", cfg: registry.Config{URL: "https://r.example", Insecure: true},
			want: "is https but Insecure"},
		{name: "path in URL", cfg: registry.Config{URL: "https://r.example/v2/"}, want: "has a path"},
		{name: "credentials in URL", cfg: registry.Config{URL: "https://u:p@r.example"}, want: "carries credentials"},
		{name: "ftp", cfg: registry.Config{URL: "ftp://r.example"}, want: "scheme must be https or http"},
		{name: "basic without password", cfg: registry.Config{URL: "r.example",
			Auth: registry.Auth{Kind: registry.AuthBasic, Username: "u"}}, want: "needs a username and a password"},
		{name: "bearer without token", cfg: registry.Config{URL: "r.example",
			Auth: registry.Auth{Kind: registry.AuthBearer}}, want: "needs a token"},
		{name: "unknown kind", cfg: registry.Config{URL: "r.example",
			Auth: registry.Auth{Kind: "kerberos"}}, want: `unknown auth kind "kerberos"`},
		{name: "docker config for another host", cfg: registry.Config{URL: "r.example", Auth: registry.Auth{
			Kind: registry.AuthDockerConfig, DockerConfigJSON: `{"auths":{"other.example":{"auth":"dTpw"}}}`}},
			want: "docker config has no credentials for r.example (it has: other.example)"},
		{name: "docker config with a helper only", cfg: registry.Config{URL: "r.example", Auth: registry.Auth{
			Kind: registry.AuthDockerConfig, DockerConfigJSON: `{"credHelpers":{"r.example":"ecr-login"}}`}},
			want: "credential helper"},
		{name: "docker config not JSON", cfg: registry.Config{URL: "r.example", Auth: registry.Auth{
			Kind: registry.AuthDockerConfig, DockerConfigJSON: `auths:`}}, want: "parse docker config"},
		{name: "docker config auth not base64", cfg: registry.Config{URL: "r.example", Auth: registry.Auth{
			Kind: registry.AuthDockerConfig, DockerConfigJSON: `{"auths":{"r.example":{"auth":"%%%"}}}`}},
			want: "auth field is not base64"},
		{name: "CA bundle without certificates", cfg: registry.Config{URL: "r.example", CABundlePEM: "hello"},
			want: "CA bundle holds no PEM certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := registry.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDockerHubAliases(t *testing.T) {
	cfg := registry.Config{URL: "https://index.docker.io", Auth: registry.Auth{
		Kind:             registry.AuthDockerConfig,
		DockerConfigJSON: `{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"}}}`,
	}}
	if _, err := registry.New(cfg); err != nil {
		t.Fatalf("Docker Hub credentials under the v1 URL key: %v", err)
	}
}

// helmLike turns img into an OCI artifact whose config says it is a Helm
// chart, as `helm push` stores them.
func helmLike(t *testing.T, img v1.Image) v1.Image {
	t.Helper()
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, "application/vnd.cncf.helm.config.v1+json")
}

// bigImage is an image with one 1 MiB layer of random bytes.
func bigImage(t *testing.T) v1.Image {
	t.Helper()
	layer, err := random.Layer(1<<20, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
