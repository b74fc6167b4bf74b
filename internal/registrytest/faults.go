package registrytest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
)

// Fault changes how the server answers the requests it matches. Exactly
// one of Status, Hang, Body, Truncate, Stall and Corrupt should be set.
type Fault struct {
	// Method matches the request method; empty matches any.
	Method string
	// Path is a path.Match pattern for the URL path, such as
	// "/v2/app/manifests/*" ("*" does not cross "/"); empty matches every
	// request.
	Path string
	// Times limits the fault to the first Times matching requests; zero
	// means every one. A fault that answers 500 once tests a retry.
	Times int

	// Status answers with this HTTP status and a registry error body.
	Status int
	// Hang never answers; the request ends when the client gives up.
	Hang bool
	// Body answers 200 with this body and ContentType. Content-Length is
	// sent unless OmitContentLength, in which case the body is chunked.
	Body              []byte
	ContentType       string
	Header            http.Header
	OmitContentLength bool
	// Truncate answers what the registry would, with its full
	// Content-Length, but sends only half the body and drops the
	// connection.
	Truncate bool
	// Stall answers what the registry would, but stops after half the
	// body and sends nothing more until the client gives up.
	Stall bool
	// Corrupt answers what the registry would with every byte of the body
	// flipped, so that its digest no longer matches.
	Corrupt bool

	suffix string // set by the blob helpers: any repository, this blob
	hits   int
}

// Inject adds a fault; the first matching fault, in the order added,
// applies.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// FailPath answers requests for paths matching pattern with status, such
// as 401, 404 or 500.
func (s *Server) FailPath(pattern string, status int) {
	s.Inject(Fault{Path: pattern, Status: status})
}

// HangPath never answers requests for paths matching pattern.
func (s *Server) HangPath(pattern string) {
	s.Inject(Fault{Path: pattern, Hang: true})
}

// TruncateBlob cuts the download of the blob with this digest in half.
func (s *Server) TruncateBlob(digest string) {
	s.Inject(Fault{Method: http.MethodGet, suffix: "/blobs/" + digest, Truncate: true})
}

// StallBlob stops sending the blob with this digest halfway through.
func (s *Server) StallBlob(digest string) {
	s.Inject(Fault{Method: http.MethodGet, suffix: "/blobs/" + digest, Stall: true})
}

// CorruptBlob serves the blob with this digest with other bytes of the
// same length.
func (s *Server) CorruptBlob(digest string) {
	s.Inject(Fault{Method: http.MethodGet, suffix: "/blobs/" + digest, Corrupt: true})
}

// ServeHugeManifest answers GET and HEAD for repo's manifest ref with a
// syntactically valid OCI manifest of size bytes (padded with an
// annotation), with or without a Content-Length header. It returns the
// manifest's digest.
func (s *Server) ServeHugeManifest(repo, ref string, size int, withContentLength bool) string {
	body := hugeManifest(size)
	sum := sha256.Sum256(body)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	h := http.Header{}
	h.Set("Docker-Content-Digest", digest)
	for _, r := range []string{ref, digest} {
		s.Inject(Fault{
			Path:              "/v2/" + repo + "/manifests/" + r,
			Body:              body,
			ContentType:       "application/vnd.oci.image.manifest.v1+json",
			Header:            h,
			OmitContentLength: !withContentLength,
		})
	}
	return digest
}

func hugeManifest(size int) []byte {
	head := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json",` +
		`"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},` +
		`"layers":[],"annotations":{"pad":"`
	tail := `"}}`
	n := size - len(head) - len(tail)
	if n < 0 {
		n = 0
	}
	return []byte(head + strings.Repeat("x", n) + tail)
}

// matchFault returns the fault for r, counting the hit. s.mu is held.
func (s *Server) matchFault(r *http.Request) *Fault {
	for _, f := range s.faults {
		if f.Method != "" && f.Method != r.Method {
			continue
		}
		if f.Path != "" {
			if ok, _ := path.Match(f.Path, r.URL.Path); !ok {
				continue
			}
		}
		if f.suffix != "" && !strings.HasSuffix(r.URL.Path, f.suffix) {
			continue
		}
		if f.Times > 0 && f.hits >= f.Times {
			continue
		}
		f.hits++
		c := *f
		return &c
	}
	return nil
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f *Fault) {
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
	case f.Status != 0:
		if f.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="registrytest"`)
		}
		writeError(w, f.Status, statusCode(f.Status), fmt.Sprintf("injected fault: %d", f.Status))
	case f.Body != nil:
		for k, v := range f.Header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", f.ContentType)
		if !f.OmitContentLength {
			w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
		}
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			writeChunks(w, f.Body, !f.OmitContentLength)
		}
	case f.Truncate, f.Stall, f.Corrupt:
		s.serveDamaged(w, r, f)
	}
}

// writeChunks writes body in pieces, flushing each, so that without a
// Content-Length the response really is chunked.
func writeChunks(w http.ResponseWriter, body []byte, whole bool) {
	if whole {
		_, _ = w.Write(body)
		return
	}
	fl, _ := w.(http.Flusher)
	for len(body) > 0 {
		n := min(len(body), 64<<10)
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		if fl != nil {
			fl.Flush()
		}
		body = body[n:]
	}
}

// serveDamaged answers what the registry would, truncated, stalled or
// corrupted.
func (s *Server) serveDamaged(w http.ResponseWriter, r *http.Request, f *Fault) {
	if !s.authorized(r) {
		s.challenge(w)
		return
	}
	rec := httptest.NewRecorder()
	s.inner.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	switch {
	case f.Truncate:
		// Writing less than Content-Length makes net/http close the
		// connection when the handler returns.
		_, _ = w.Write(body[:len(body)/2])
		return
	case f.Stall:
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	}
	bad := bytes.Clone(body)
	for i := range bad {
		bad[i] ^= 0xff
	}
	_, _ = w.Write(bad)
}

func statusCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "UNAUTHORIZED"
	case http.StatusForbidden:
		return "DENIED"
	case http.StatusNotFound:
		return "MANIFEST_UNKNOWN"
	case http.StatusTooManyRequests:
		return "TOOMANYREQUESTS"
	}
	return "UNKNOWN"
}
