package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/palisadesec/palisade/internal/buildinfo"
)

// maxListEntries bounds a catalog or tag listing, so that a registry
// whose pagination never ends cannot keep a poll running forever.
const maxListEntries = 100_000

// listPageSize is the page size asked for; registries may send less.
// ECR refuses more than 1000.
const listPageSize = 1000

// Client talks to one registry. It is safe for concurrent use.
type Client struct {
	cfg       Config
	ep        endpoint
	reg       name.Registry
	auth      authn.Authenticator
	anonymous bool
	rt        http.RoundTripper
}

// Descriptor is what a reference points to.
type Descriptor struct {
	Digest    string
	MediaType string
	Size      int64
	IsIndex   bool
}

// PlatformImage is one image to scan: the image itself for a plain
// manifest, or one Linux platform of an index. Platform is "os/arch" or
// "os/arch/variant", such as "linux/arm64/v8".
type PlatformImage struct {
	Platform string
	Digest   string
	Image    v1.Image
}

// New checks cfg and returns a client for it. It does not contact the
// registry; Ping does.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if cfg.UserAgent == "" {
		cfg.UserAgent = "palisade/" + buildinfo.Version
	}
	ep, err := parseURL(cfg.URL, cfg.Insecure)
	if err != nil {
		return nil, err
	}

	var nameOpts []name.Option
	if ep.scheme == "http" {
		nameOpts = append(nameOpts, name.Insecure)
	}
	reg, err := name.NewRegistry(ep.host, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("registry host %q: %w", ep.host, err)
	}

	auth, err := authenticator(cfg.Auth, ep.host)
	if err != nil {
		return nil, fmt.Errorf("registry %s credentials: %w", ep.host, err)
	}
	rt, err := newTransport(cfg, ep)
	if err != nil {
		return nil, fmt.Errorf("registry %s transport: %w", ep.host, err)
	}
	return &Client{
		cfg:       cfg,
		ep:        ep,
		reg:       reg,
		auth:      auth,
		anonymous: auth == authn.Anonymous,
		rt:        rt,
	}, nil
}

// Host returns the registry's host[:port].
func (c *Client) Host() string { return c.ep.host }

// Ping checks that the registry answers the v2 API and accepts the
// credentials. Its errors say which of those failed: connection refused,
// a timeout, a TLS problem, or credentials refused.
func (c *Client) Ping(ctx context.Context) error {
	op := "ping " + c.ep.host
	// NewWithContext pings /v2/ and, for token auth, fetches a token,
	// which is where a token server refuses bad credentials.
	rt, err := transport.NewWithContext(ctx, c.reg, c.auth, c.rt, nil)
	if err != nil {
		return wrap(op, err, !c.anonymous)
	}

	u := fmt.Sprintf("%s://%s/v2/", c.ep.scheme, c.ep.host)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return wrap(op, err, !c.anonymous)
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return wrap(op, err, !c.anonymous)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return wrap(op, transport.CheckError(resp, http.StatusOK), !c.anonymous)
}

// Resolve returns what ref (a tag, or a digest "sha256:...") in repo
// points to, without downloading more than the manifest's headers when
// the registry allows it.
func (c *Client) Resolve(ctx context.Context, repo, ref string) (Descriptor, error) {
	op := "resolve " + refString(repo, ref)
	r, err := c.reference(repo, ref)
	if err != nil {
		return Descriptor{}, &Error{Op: op, Err: err}
	}

	desc, err := remote.Head(r, c.options(ctx)...)
	var terr *transport.Error
	if err != nil && !errors.As(err, &terr) && !errors.Is(err, ErrManifestTooLarge) {
		// Some registries answer HEAD without Content-Type or digest
		// headers; the manifest itself settles it.
		var full *remote.Descriptor
		full, err = remote.Get(r, c.options(ctx)...)
		if err == nil {
			desc = &full.Descriptor
		}
	}
	if err != nil {
		return Descriptor{}, wrap(op, err, !c.anonymous)
	}
	if desc.Size > c.cfg.MaxManifestBytes {
		err := &tooLargeError{kind: "manifest", size: desc.Size, limit: c.cfg.MaxManifestBytes}
		return Descriptor{}, &Error{Op: op, Err: err}
	}
	return Descriptor{
		Digest:    desc.Digest.String(),
		MediaType: string(desc.MediaType),
		Size:      desc.Size,
		IsIndex:   desc.MediaType.IsIndex(),
	}, nil
}

// Images returns the images to scan for ref in repo: for an index, one per
// Linux platform, skipping attestation manifests (platform
// unknown/unknown), other operating systems and nested indexes; for a
// plain manifest, the image itself. Layers are fetched lazily, through the
// same transport, when the caller reads them.
func (c *Client) Images(ctx context.Context, repo, ref string) ([]PlatformImage, error) {
	op := "pull " + refString(repo, ref)
	r, err := c.reference(repo, ref)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	desc, err := remote.Get(r, c.options(ctx)...)
	if err != nil {
		return nil, wrap(op, err, !c.anonymous)
	}

	var images []PlatformImage
	switch {
	case desc.MediaType.IsIndex():
		images, err = c.indexImages(desc)
	case desc.MediaType.IsImage():
		images, err = c.singleImage(desc)
	default:
		err = fmt.Errorf("%w %s: not a container image or image index", ErrUnsupportedMediaType, desc.MediaType)
	}
	if err != nil {
		return nil, wrap(op, err, !c.anonymous)
	}
	return images, nil
}

func (c *Client) indexImages(desc *remote.Descriptor) ([]PlatformImage, error) {
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}

	var images, skipped []string
	var out []PlatformImage
	for _, m := range im.Manifests {
		platform := platformString(m.Platform)
		if !m.MediaType.IsImage() || isAttestation(m) || m.Platform == nil || m.Platform.OS != "linux" {
			skipped = append(skipped, fmt.Sprintf("%s (%s)", platform, m.MediaType))
			continue
		}
		img, err := idx.Image(m.Digest)
		if err != nil {
			return nil, fmt.Errorf("image %s for %s: %w", m.Digest, platform, err)
		}
		if err := c.checkImage(img); err != nil {
			return nil, fmt.Errorf("image %s for %s: %w", m.Digest, platform, err)
		}
		images = append(images, platform)
		out = append(out, PlatformImage{Platform: platform, Digest: m.Digest.String(), Image: img})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in the index (it holds: %s)", ErrNoLinuxImage, strings.Join(skipped, ", "))
	}
	return out, nil
}

func (c *Client) singleImage(desc *remote.Descriptor) ([]PlatformImage, error) {
	img, err := desc.Image()
	if err != nil {
		return nil, err
	}
	if err := c.checkImage(img); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	// An image built without a platform in its config (some tools leave it
	// empty) is taken to be a Linux one.
	if cf.OS != "" && cf.OS != "linux" {
		return nil, fmt.Errorf("%w: the image is for %s", ErrNoLinuxImage, cf.OS)
	}
	platform := cf.Platform()
	return []PlatformImage{{
		Platform: platformString(platform),
		Digest:   desc.Digest.String(),
		Image:    img,
	}}, nil
}

// checkImage refuses artifacts that are not container images (their config
// says what they are) and configs too large to be real.
func (c *Client) checkImage(img v1.Image) error {
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	switch m.Config.MediaType {
	case types.DockerConfigJSON, types.OCIConfigJSON, "":
	default:
		return fmt.Errorf("%w: artifact of type %s is not a container image",
			ErrUnsupportedMediaType, m.Config.MediaType)
	}
	if m.Config.Size > c.cfg.MaxManifestBytes {
		return fmt.Errorf("%w: image config of %d bytes exceeds the %s limit",
			ErrManifestTooLarge, m.Config.Size, formatBytes(c.cfg.MaxManifestBytes))
	}
	return nil
}

// Catalog lists every repository in the registry, following pagination.
func (c *Client) Catalog(ctx context.Context) ([]string, error) {
	op := "list repositories of " + c.ep.host
	first := fmt.Sprintf("%s://%s/v2/_catalog?n=%d", c.ep.scheme, c.ep.host, listPageSize)
	repos, err := c.list(ctx, []string{c.reg.Scope("*")}, first, func(body []byte) ([]string, error) {
		var page struct {
			Repositories []string `json:"repositories"`
		}
		err := json.Unmarshal(body, &page)
		return page.Repositories, err
	})
	if err != nil {
		return nil, wrap(op, err, !c.anonymous)
	}
	return repos, nil
}

// Tags lists every tag of repo, following pagination.
func (c *Client) Tags(ctx context.Context, repo string) ([]string, error) {
	op := "list tags of " + repo
	r, err := c.repository(repo)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	first := fmt.Sprintf("%s://%s/v2/%s/tags/list?n=%d", c.ep.scheme, c.ep.host, r.RepositoryStr(), listPageSize)
	tags, err := c.list(ctx, []string{r.Scope(transport.PullScope)}, first, func(body []byte) ([]string, error) {
		var page struct {
			Tags []string `json:"tags"`
		}
		err := json.Unmarshal(body, &page)
		return page.Tags, err
	})
	if err != nil {
		return nil, wrap(op, err, !c.anonymous)
	}
	return tags, nil
}

// list fetches a paginated list, following the Link headers that the
// distribution API uses, within the registry only. go-containerregistry's
// own listing rejects the https pages of a registry on a loopback or
// private address, which it assumes to be plain HTTP.
func (c *Client) list(ctx context.Context, scopes []string, next string,
	entries func([]byte) ([]string, error)) ([]string, error) {
	rt, err := transport.NewWithContext(ctx, c.reg, c.auth, c.rt, scopes)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Transport: rt}

	var out []string
	for next != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		body, link, err := fetchPage(client, req)
		if err != nil {
			return nil, err
		}
		page, err := entries(body)
		if err != nil {
			return nil, fmt.Errorf("GET %s: decode: %w", req.URL.Redacted(), err)
		}
		out = append(out, page...)
		if len(out) > maxListEntries {
			return nil, fmt.Errorf("%w: more than %d entries", ErrListTooLarge, maxListEntries)
		}
		if next, err = c.nextPage(req.URL, link); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func fetchPage(client *http.Client, req *http.Request) ([]byte, string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return nil, "", err
	}
	// The transport limits the size of the page.
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	return body, resp.Header.Get("Link"), nil
}

// nextPage returns the URL in a `<url>; rel="next"` Link header, resolved
// against the current page, or "" for the last page.
func (c *Client) nextPage(cur *url.URL, link string) (string, error) {
	if link == "" {
		return "", nil
	}
	target, _, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(link), "<"), ">")
	if !ok || target == "" {
		return "", fmt.Errorf("malformed Link header %q", link)
	}
	u, err := cur.Parse(target)
	if err != nil {
		return "", fmt.Errorf("malformed Link header %q: %w", link, err)
	}
	if !strings.EqualFold(u.Host, c.ep.host) {
		return "", fmt.Errorf("pagination link points away from the registry, to %s", u.Host)
	}
	u.Scheme = c.ep.scheme
	return u.String(), nil
}

// Explain gives an error met while reading an image from this registry
// (a layer, say) the same reason and retry class as the client's own
// errors: "pull layer sha256:…: connection dropped by the registry:
// unexpected EOF".
func (c *Client) Explain(op string, err error) error {
	return wrap(op, err, !c.anonymous)
}

// options are the go-containerregistry options for one call.
func (c *Client) options(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(c.rt),
		remote.WithAuth(c.auth),
		// One quick retry for a dropped connection or a 5xx; the job
		// runner retries with longer backoff, and a timeout is not
		// repeated here so that a hung registry costs one timeout.
		remote.WithRetryBackoff(remote.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 2}),
		remote.WithRetryPredicate(retryNow),
	}
}

func retryNow(err error) bool {
	var terr *transport.Error
	if errors.As(err, &terr) {
		// 408, 429 and 5xx, which the retry transport turns into errors.
		return terr.Temporary()
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return false
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed)
}

func (c *Client) repository(repo string) (name.Repository, error) {
	repo = strings.Trim(repo, "/")
	if err := ValidateRepository(repo); err != nil {
		return name.Repository{}, err
	}
	r, err := name.NewRepository(c.ep.host+"/"+repo, c.nameOptions()...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("repository %q: %w", repo, err)
	}
	return r, nil
}

// reference builds a tag or digest reference in repo.
func (c *Client) reference(repo, ref string) (name.Reference, error) {
	r, err := c.repository(repo)
	if err != nil {
		return nil, err
	}
	switch {
	case ref == "":
		return nil, errors.New("reference is empty; give a tag or a digest")
	case strings.Contains(ref, ":"):
		d, err := name.NewDigest(r.Name()+"@"+ref, c.nameOptions()...)
		if err != nil {
			return nil, fmt.Errorf("digest %q: %w", ref, err)
		}
		return d, nil
	default:
		t, err := name.NewTag(r.Name()+":"+ref, c.nameOptions()...)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", ref, err)
		}
		return t, nil
	}
}

func (c *Client) nameOptions() []name.Option {
	opts := []name.Option{name.StrictValidation}
	if c.ep.scheme == "http" {
		opts = append(opts, name.Insecure)
	}
	return opts
}

func refString(repo, ref string) string {
	if strings.Contains(ref, ":") {
		return repo + "@" + ref
	}
	return repo + ":" + ref
}

func isAttestation(d v1.Descriptor) bool {
	if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

func platformString(p *v1.Platform) string {
	if p == nil {
		return "unknown"
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
