package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrAddressRefused is returned when a webhook URL points somewhere the
// policy does not allow.
var ErrAddressRefused = errors.New("webhook address refused")

// Policy says where webhooks may point. Link-local addresses (cloud
// metadata services such as 169.254.169.254 live there), unspecified,
// multicast and broadcast addresses are always refused. Loopback, private
// (RFC 1918, fc00::/7) and shared (100.64.0.0/10) addresses are refused
// unless AllowPrivate is set (PALISADE_WEBHOOK_ALLOW_PRIVATE), for a
// console whose receivers sit on its own network. The check runs on the
// address actually dialled, after DNS, so a name that resolves to a
// refused address is refused too, whenever it changes.
type Policy struct {
	AllowPrivate bool
}

var sharedRange = netip.MustParsePrefix("100.64.0.0/10")

// CheckAddr reports whether an IP address may be dialled.
func (p Policy) CheckAddr(a netip.Addr) error {
	a = a.Unmap()
	switch {
	case !a.IsValid(), a.IsUnspecified(), a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(),
		a.IsInterfaceLocalMulticast(), a.IsMulticast(), a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("%w: %s is a link-local, multicast or unspecified address", ErrAddressRefused, a)
	case !p.AllowPrivate && (a.IsLoopback() || a.IsPrivate() || sharedRange.Contains(a)):
		return fmt.Errorf("%w: %s is a loopback or private address (set PALISADE_WEBHOOK_ALLOW_PRIVATE=true to allow)",
			ErrAddressRefused, a)
	}
	return nil
}

// CheckURL validates a webhook URL as far as it can without DNS: http or
// https, a host, no credentials, and an address literal the policy allows.
func (p Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return errors.New("url: must be an absolute http:// or https:// URL")
	case u.User != nil:
		return errors.New("url: must not carry a user or password; the signature authenticates Palisade")
	case len(raw) > 2000:
		return errors.New("url: longer than 2000 characters")
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if err := p.CheckAddr(a); err != nil {
			return fmt.Errorf("url: %w", err)
		}
		return nil
	}
	if !p.AllowPrivate && (strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost")) {
		return fmt.Errorf("url: %w: localhost (set PALISADE_WEBHOOK_ALLOW_PRIVATE=true to allow)", ErrAddressRefused)
	}
	return nil
}

// Client returns the HTTP client deliveries use: it dials only addresses
// the policy allows, ignores proxy settings (a proxy would dial for it),
// follows no redirects (a 3xx is a failed attempt) and gives up after
// timeout.
func (p Policy) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrAddressRefused, address)
			}
			return p.CheckAddr(ap.Addr())
		},
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           func(ctx context.Context, n, a string) (net.Conn, error) { return d.DialContext(ctx, n, a) },
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: timeout,
			MaxIdleConns:          10,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
