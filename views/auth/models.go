// Package auth holds the pages of signing in and out: the refusal that
// explains a role mapping, sign-in problems, the 403 page, the signed-out
// page, and each user's own page with the claims that arrived.
package auth

import "github.com/palisadesec/palisade/views/layout"

// RoleSettings is how the console maps claims to roles, shown so that
// people can compare it with what arrived.
type RoleSettings struct {
	Claim          string
	AdminGroups    []string
	OperatorGroups []string
	ViewerGroups   []string
	DefaultRole    string
}

// Arrived is what the provider sent in the role claim.
type Arrived struct {
	Present bool
	Values  []string
	// Ignored describes unusable content, such as numbers in the list.
	Ignored string
}

// RefusedModel is the page for a sign-in whose claims map to no role.
type RefusedModel struct {
	Page     layout.Page
	Name     string
	Email    string
	Subject  string
	Issuer   string
	Arrived  Arrived
	Settings RoleSettings
	Reason   string
}

// ProblemModel is the page for a sign-in that could not finish.
type ProblemModel struct {
	Page    layout.Page
	Heading string
	Message string
	// RetryURL, when set, offers to start again.
	RetryURL string
}

// ForbiddenModel is the 403 page for a role too low for the route.
type ForbiddenModel struct {
	Page   layout.Page
	Needed string
	Have   string
}

// SignedOutModel is the page after signing out.
type SignedOutModel struct {
	Page layout.Page
}

// UserModel is a user's own page.
type UserModel struct {
	Page    layout.Page
	Local   bool
	Name    string
	Email   string
	Subject string
	Issuer  string
	Role    string
	// MappedRole is what the current settings make of the stored claims;
	// it differs from Role after a settings change, until the next refresh.
	MappedRole  string
	Reason      string
	LastLoginAt string
	Arrived     Arrived
	Settings    RoleSettings
	// ClaimsJSON is every claim of the last sign-in or refresh, indented.
	ClaimsJSON string
}
