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
	"os"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Errors callers branch on, checked with errors.Is.
var (
	// ErrManifestTooLarge: a manifest or index went past MaxManifestBytes.
	ErrManifestTooLarge = errors.New("manifest too large")
	// ErrListTooLarge: a catalog or tag list went past its limits.
	ErrListTooLarge = errors.New("list too large")
	// ErrUnsupportedMediaType: the reference is not a container image or
	// image index (a Helm chart, a signature, a schema 1 manifest).
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	// ErrNoLinuxImage: nothing to scan, such as a Windows-only index.
	ErrNoLinuxImage = errors.New("no linux image")
)

// Error is a registry operation that failed. Reason says what went wrong
// in words a person can act on; Status is the HTTP status when the
// registry answered one, else 0.
type Error struct {
	Op        string
	Reason    string
	Status    int
	Transient bool
	Err       error
}

// Error reads "op: reason: underlying error".
func (e *Error) Error() string {
	detail := "<nil>"
	if e.Err != nil {
		detail = withoutSchemeNoise(e.Err.Error())
	}
	if e.Reason == "" {
		return e.Op + ": " + detail
	}
	return e.Op + ": " + e.Reason + ": " + detail
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// withoutSchemeNoise drops, from go-containerregistry's "A; B" report of
// its ping over both schemes, the attempt that the transport refused
// because the registry's URL names the other scheme.
func withoutSchemeNoise(msg string) string {
	parts := strings.Split(msg, "; ")
	kept := parts[:0]
	for _, p := range parts {
		if !strings.Contains(p, schemeErrorText) {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return msg
	}
	return strings.Join(kept, "; ")
}

// IsTransient reports whether retrying later may succeed: connection
// refused or reset, timeouts, a dropped connection, a cancelled context
// (the worker stopped), 408, 429 and 5xx answers. Everything else is permanent: 401, 403, 404, other 4xx, TLS
// failures, size limits, digest mismatches, unsupported media types.
// It works on errors from this package and on the raw errors
// go-containerregistry returns while layers are read.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Transient
	}
	_, _, transient := classify(err, true)
	return transient
}

// wrap gives err a reason and a retry class; authenticated says whether
// credentials were sent, which changes what a 401 means.
func wrap(op string, err error, authenticated bool) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	reason, status, transient := classify(err, authenticated)
	return &Error{Op: op, Reason: reason, Status: status, Transient: transient, Err: err}
}

// classify returns a reason for err, the HTTP status if there was one,
// and whether a retry may help.
func classify(err error, authenticated bool) (string, int, bool) {
	var terr *transport.Error
	if errors.As(err, &terr) {
		return classifyStatus(terr.StatusCode, authenticated)
	}

	var tooLarge *tooLargeError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		return "", 0, false
	case isDigestMismatch(err):
		return "content does not match its digest (corrupted in the registry or in transit)", 0, false
	case errors.Is(err, context.Canceled):
		return "cancelled", 0, true
	case errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalidCert), errors.As(err, &certErr):
		return "TLS certificate not trusted; add the registry's CA to the CA bundle " +
			"or fix its certificate", 0, false
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the registry does not speak TLS; for a plain-HTTP registry use an " +
			"http:// URL with Insecure", 0, false
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused; is the registry running at that address?", 0, true
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "registry host not found (DNS)", 0, false
		}
		return "DNS lookup failed", 0, true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return "timed out waiting for the registry", 0, true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return "connection dropped by the registry", 0, true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "registry host unreachable", 0, true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return "network error", 0, true
	}
	return "", 0, false
}

// isDigestMismatch recognises go-containerregistry's digest checks, which
// return plain errors.
func isDigestMismatch(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "error verifying sha256 checksum") ||
		strings.Contains(msg, "error verifying size") ||
		strings.Contains(msg, "does not match requested digest")
}

func classifyStatus(status int, authenticated bool) (string, int, bool) {
	text := fmt.Sprintf("HTTP %d", status)
	switch {
	case status == http.StatusUnauthorized && authenticated:
		return "credentials refused (" + text + ")", status, false
	case status == http.StatusUnauthorized:
		return "the registry requires credentials (" + text + ")", status, false
	case status == http.StatusForbidden:
		return "access denied; the credentials lack permission (" + text + ")", status, false
	case status == http.StatusNotFound:
		return "not found (" + text + ")", status, false
	case status == http.StatusTooManyRequests:
		return "rate limited by the registry (" + text + ")", status, true
	case status == http.StatusRequestTimeout:
		return "the registry timed out (" + text + ")", status, true
	case status >= 500:
		return "registry server error (" + text + ")", status, true
	}
	return "unexpected answer (" + text + ")", status, false
}
