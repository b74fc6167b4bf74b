package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// newTransport builds the one RoundTripper every request to the registry
// goes through. go-containerregistry adds authentication and retries on
// top of it.
func newTransport(cfg Config, ep endpoint) (http.RoundTripper, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if strings.TrimSpace(cfg.CABundlePEM) != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(cfg.CABundlePEM)) {
			return nil, errors.New("CA bundle holds no PEM certificate")
		}
		tlsConfig.RootCAs = pool
	}

	dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	base := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &idleTimeoutConn{Conn: conn, timeout: cfg.Timeout}, nil
		},
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   50,
		IdleConnTimeout:       90 * time.Second,
	}

	return &roundTripper{
		base:      base,
		ep:        ep,
		userAgent: cfg.UserAgent,
		manifest:  cfg.MaxManifestBytes,
		list:      cfg.MaxListBytes,
	}, nil
}

// roundTripper enforces what Palisade wants from every registry request:
// the scheme of the registry's URL, its user agent, and size limits on
// manifests and list pages.
type roundTripper struct {
	base      http.RoundTripper
	ep        endpoint
	userAgent string
	manifest  int64
	list      int64
}

func (r *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	// go-containerregistry tries both schemes on loopback and private
	// addresses whatever it is told. The registry's URL decides instead:
	// an https registry never gets credentials unencrypted.
	if strings.EqualFold(req.URL.Host, r.ep.host) && req.URL.Scheme != r.ep.scheme {
		return nil, &schemeError{host: r.ep.host, scheme: r.ep.scheme}
	}
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", r.userAgent)

	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}

	kind, limit := r.limitFor(req)
	if limit == 0 || resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, &tooLargeError{kind: kind, size: resp.ContentLength, limit: limit}
	}
	resp.Body = &limitedBody{rc: resp.Body, kind: kind, limit: limit}
	return resp, nil
}

// schemeError is a request to the registry with the other scheme than
// its URL's.
type schemeError struct{ host, scheme string }

// schemeErrorText marks schemeError in messages; see withoutSchemeNoise.
const schemeErrorText = "not tried: the registry URL says "

func (e *schemeError) Error() string {
	return e.host + " " + schemeErrorText + e.scheme
}

// limitFor says which size limit applies to a request, if any. Blobs
// (layers) are not limited here: the scan streams them with limits of
// its own.
func (r *roundTripper) limitFor(req *http.Request) (string, int64) {
	if !strings.EqualFold(req.URL.Host, r.ep.host) {
		return "", 0
	}
	p := req.URL.Path
	switch {
	case p == "/v2/_catalog":
		return "catalog page", r.list
	case !strings.HasPrefix(p, "/v2/"):
		return "", 0
	case strings.HasSuffix(p, "/tags/list"):
		return "tag list page", r.list
	case strings.Contains(p, "/manifests/"), strings.Contains(p, "/referrers/"):
		return "manifest", r.manifest
	}
	return "", 0
}

// limitedBody fails a read that goes past limit, for responses that came
// without a Content-Length or with a false one.
type limitedBody struct {
	rc    io.ReadCloser
	kind  string
	limit int64
	n     int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.n > b.limit {
		return 0, &tooLargeError{kind: b.kind, size: -1, limit: b.limit}
	}
	if max := b.limit - b.n + 1; int64(len(p)) > max {
		p = p[:max]
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if b.n > b.limit {
		return 0, &tooLargeError{kind: b.kind, size: -1, limit: b.limit}
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// tooLargeError is a response over its size limit. size is -1 when the
// registry did not say how large it was.
type tooLargeError struct {
	kind  string
	size  int64
	limit int64
}

func (e *tooLargeError) Error() string {
	if e.size < 0 {
		return fmt.Sprintf("%s of more than %d bytes exceeds the %s limit", e.kind, e.limit, formatBytes(e.limit))
	}
	return fmt.Sprintf("%s of %d bytes exceeds the %s limit", e.kind, e.size, formatBytes(e.limit))
}

// Is makes errors.Is(err, ErrManifestTooLarge) and ErrListTooLarge work.
func (e *tooLargeError) Is(target error) bool {
	if e.kind == "manifest" {
		return target == ErrManifestTooLarge
	}
	return target == ErrListTooLarge
}

func formatBytes(n int64) string {
	const mib = 1 << 20
	if n%mib == 0 {
		return fmt.Sprintf("%d MiB", n/mib)
	}
	return fmt.Sprintf("%d bytes", n)
}

// idleTimeoutConn fails a read that waits longer than timeout, so that a
// registry that stops sending in the middle of a body cannot hold a scan
// until its overall deadline.
type idleTimeoutConn struct {
	net.Conn
	timeout time.Duration
}

func (c *idleTimeoutConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// Write also moves the read deadline: the transport's reader may already
// be waiting on a pooled connection, with a deadline set when it went
// idle, and a new request must get the full timeout for its answer.
func (c *idleTimeoutConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}
