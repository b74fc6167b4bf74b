package registrytest

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Server is an in-memory registry (go-containerregistry's pkg/registry)
// on an httptest server, with optional authentication, pagination with
// Link headers, and injectable faults.
type Server struct {
	// URL is "http://127.0.0.1:PORT" (or https with WithTLS).
	URL string
	// Host is "127.0.0.1:PORT", the registry part of image references.
	Host string

	opts    options
	srv     *httptest.Server
	inner   http.Handler
	closing chan struct{}

	mu       sync.Mutex
	faults   []*Fault
	requests []Request
}

// Request is one request the server saw.
type Request struct {
	Method    string
	Path      string
	UserAgent string
}

type options struct {
	user, pass string
	token      string
	tls        bool
	pageSize   int
}

// Option configures a Server.
type Option func(*options)

// WithBasicAuth makes the registry demand HTTP basic credentials (or,
// together with WithBearerToken, demand them at its token endpoint).
func WithBasicAuth(user, pass string) Option {
	return func(o *options) { o.user, o.pass = user, pass }
}

// WithBearerToken makes the registry demand "Authorization: Bearer token"
// and challenge with a token realm at URL/token, which hands that token
// out (to the basic credentials, if WithBasicAuth is also given), the
// way Harbor and Docker Hub do.
func WithBearerToken(token string) Option {
	return func(o *options) { o.token = token }
}

// WithTLS serves https with a self-signed certificate; CABundlePEM
// returns it for clients to trust.
func WithTLS() Option {
	return func(o *options) { o.tls = true }
}

// WithPageSize caps catalog and tag list pages at n entries, whatever the
// client asks for, so that clients must follow Link headers.
func WithPageSize(n int) Option {
	return func(o *options) { o.pageSize = n }
}

// New starts a registry for the test and stops it in t.Cleanup.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		inner:   ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))),
		closing: make(chan struct{}),
	}
	for _, o := range opts {
		o(&s.opts)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// Clients that refuse the certificate are what some tests check.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if s.opts.tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	s.Host = strings.TrimPrefix(strings.TrimPrefix(s.srv.URL, "https://"), "http://")
	t.Cleanup(func() {
		// Release hanging handlers first, or Close waits for them.
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
	return s
}

// CABundlePEM returns the server's certificate in PEM, for WithTLS.
func (s *Server) CABundlePEM() string {
	c := s.srv.Certificate()
	if c == nil {
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// Requests returns the requests seen so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Ref returns "HOST/repo:tag", or "HOST/repo@digest" for a digest.
func (s *Server) Ref(repo, ref string) string {
	if strings.Contains(ref, ":") {
		return s.Host + "/" + repo + "@" + ref
	}
	return s.Host + "/" + repo + ":" + ref
}

// PushImage pushes img as repo:tag and returns its digest.
func (s *Server) PushImage(t testing.TB, repo, tag string, img v1.Image) string {
	t.Helper()
	ref := s.parseRef(t, repo, tag)
	if err := remote.Write(ref, img, s.remoteOptions()...); err != nil {
		t.Fatalf("registrytest: push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// PushIndex pushes idx (and the images in it) as repo:tag and returns its
// digest.
func (s *Server) PushIndex(t testing.TB, repo, tag string, idx v1.ImageIndex) string {
	t.Helper()
	ref := s.parseRef(t, repo, tag)
	if err := remote.WriteIndex(ref, idx, s.remoteOptions()...); err != nil {
		t.Fatalf("registrytest: push index %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func (s *Server) parseRef(t testing.TB, repo, tag string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s.Ref(repo, tag), name.Insecure)
	if err != nil {
		t.Fatalf("registrytest: %v", err)
	}
	return ref
}

// remoteOptions let the helpers push through the server's own auth,
// bypassing faults (pushes use paths the faults rarely name, and a push
// that fails fails the test loudly anyway).
func (s *Server) remoteOptions() []remote.Option {
	var rt http.RoundTripper = s.srv.Client().Transport
	if s.opts.tls {
		// go-containerregistry talks plain HTTP to loopback addresses.
		rt = &httpsOnly{rt: rt}
	}
	opts := []remote.Option{remote.WithTransport(rt)}
	switch {
	case s.opts.token != "":
		opts = append(opts, remote.WithAuth(authn.FromConfig(authn.AuthConfig{RegistryToken: s.opts.token})))
	case s.opts.user != "":
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: s.opts.user, Password: s.opts.pass}))
	}
	return opts
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, UserAgent: r.UserAgent()})
	f := s.matchFault(r)
	s.mu.Unlock()
	if f != nil {
		s.serveFault(w, r, f)
		return
	}

	if r.URL.Path == "/token" {
		s.serveToken(w, r)
		return
	}
	if !s.authorized(r) {
		s.challenge(w)
		return
	}
	if r.Method == http.MethodGet && isCatalog(r.URL.Path) {
		s.serveCatalog(w, r)
		return
	}
	if r.Method == http.MethodGet && isTagList(r.URL.Path) {
		s.serveTags(w, r)
		return
	}
	s.inner.ServeHTTP(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, "/v2") {
		return true
	}
	if s.opts.token != "" {
		return r.Header.Get("Authorization") == "Bearer "+s.opts.token
	}
	if s.opts.user != "" {
		u, p, ok := r.BasicAuth()
		return ok && u == s.opts.user && p == s.opts.pass
	}
	return true
}

func (s *Server) challenge(w http.ResponseWriter) {
	if s.opts.token != "" {
		w.Header().Set("WWW-Authenticate",
			fmt.Sprintf(`Bearer realm="%s/token",service="registrytest"`, s.URL))
	} else {
		w.Header().Set("WWW-Authenticate", `Basic realm="registrytest"`)
	}
	writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
}

// serveToken is a token server: the basic credentials (when configured)
// buy the one bearer token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if s.opts.token == "" {
		http.NotFound(w, r)
		return
	}
	if s.opts.user != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != s.opts.user || p != s.opts.pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="registrytest token"`)
			writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "bad credentials")
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token": s.opts.token, "access_token": s.opts.token, "expires_in": 300,
	})
}

func isCatalog(p string) bool { return p == "/v2/_catalog" }

func isTagList(p string) bool {
	return strings.HasPrefix(p, "/v2/") && strings.HasSuffix(p, "/tags/list")
}

// serveCatalog pages the inner registry's catalog (which ignores "last"
// and sends no Link header) the way distribution does.
func (s *Server) serveCatalog(w http.ResponseWriter, r *http.Request) {
	rec := s.record(r, "/v2/_catalog", "n=1000000")
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return
	}
	var body struct {
		Repos []string `json:"repositories"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	sort.Strings(body.Repos)
	page, next := s.paginate(r, body.Repos)
	writePage(w, r, next, map[string]any{"repositories": page})
}

func (s *Server) serveTags(w http.ResponseWriter, r *http.Request) {
	rec := s.record(r, r.URL.Path, "")
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return
	}
	var body struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	sort.Strings(body.Tags)
	page, next := s.paginate(r, body.Tags)
	writePage(w, r, next, map[string]any{"name": body.Name, "tags": page})
}

// paginate applies "last" and "n" (capped by WithPageSize) to a sorted
// list and returns the page and the "last" value for the next page, if
// any.
func (s *Server) paginate(r *http.Request, all []string) ([]string, string) {
	q := r.URL.Query()
	if last := q.Get("last"); last != "" {
		i := sort.SearchStrings(all, last)
		if i < len(all) && all[i] == last {
			i++
		}
		all = all[i:]
	}
	n, _ := strconv.Atoi(q.Get("n"))
	if s.opts.pageSize > 0 && (n <= 0 || n > s.opts.pageSize) {
		n = s.opts.pageSize
	}
	if n <= 0 || n >= len(all) {
		return all, ""
	}
	return all[:n], all[n-1]
}

func writePage(w http.ResponseWriter, r *http.Request, next string, body any) {
	if next != "" {
		q := url.Values{}
		q.Set("last", next)
		if n := r.URL.Query().Get("n"); n != "" {
			q.Set("n", n)
		}
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, q.Encode()))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// record runs the inner registry on a copy of r with another path and
// query, and keeps its answer.
func (s *Server) record(r *http.Request, path, rawQuery string) *httptest.ResponseRecorder {
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawQuery = path, rawQuery
	rec := httptest.NewRecorder()
	s.inner.ServeHTTP(rec, r2)
	return rec
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = io.Copy(w, bytes.NewReader(rec.Body.Bytes()))
}

// writeError answers with the registry API's JSON error body.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]string{{"code": code, "message": message}},
	})
}

// httpsOnly sends every request over https.
type httpsOnly struct{ rt http.RoundTripper }

func (h *httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	orig := req
	req = req.Clone(req.Context())
	req.URL.Scheme = "https"
	resp, err := h.rt.RoundTrip(req)
	if resp != nil {
		resp.Request = orig
	}
	return resp, err
}
