// Package viewer carries who is looking at a page through the request
// context, so that the page shell and every form can show the user and
// carry the CSRF token without each view model repeating them.
package viewer

import (
	"context"
	"encoding/json"
)

// CSRFField is the form field, and CSRFHeader the request header, that
// carry the CSRF token on state-changing requests.
const (
	CSRFField  = "_csrf"
	CSRFHeader = "X-CSRF-Token"
)

// Viewer is who is looking at the page.
type Viewer struct {
	// Name is empty for someone not signed in.
	Name string
	Role string
	// CSRFToken goes into every form and htmx request.
	CSRFToken string
	// CanSignOut is set for a signed-in session (not in local mode).
	CanSignOut bool
}

type ctxKey struct{}

// With returns ctx carrying v.
func With(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// From returns the viewer in ctx, or the zero Viewer.
func From(ctx context.Context) Viewer {
	v, _ := ctx.Value(ctxKey{}).(Viewer)
	return v
}

// HXHeaders is the value of the hx-headers attribute on <body>: htmx then
// sends the CSRF token as a header on every request it makes. It is JSON,
// which htmx reads without eval, as the Content-Security-Policy requires.
func HXHeaders(ctx context.Context) string {
	b, _ := json.Marshal(map[string]string{CSRFHeader: From(ctx).CSRFToken})
	return string(b)
}
