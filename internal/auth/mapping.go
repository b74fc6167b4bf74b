package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Mapper turns the claims of an ID token into a role: the values of one
// claim are matched against the configured admin, operator and viewer
// groups, and the highest match wins.
type Mapper struct {
	// Claim names the claim holding groups or roles. A name that is not a
	// top-level claim is read as a dotted path into nested objects, such
	// as Keycloak's "realm_access.roles".
	Claim    string
	Admin    []string
	Operator []string
	Viewer   []string
	// Default is the role of users no value maps; RoleNone refuses them.
	Default Role
}

// Mapping says which role a user got and why, in enough detail for an
// admin to fix a provider or a setting.
type Mapping struct {
	Claim string
	// Present is whether the claim arrived at all.
	Present bool
	// Values are the claim's string values as they arrived.
	Values []string
	// Ignored describes claim content that was not a string or a list of
	// strings, such as a number; empty when everything was usable.
	Ignored string
	Role    Role
	// Matched is the value that granted Role; empty when Default applied
	// or nothing did.
	Matched string
	// MatchedSetting names the setting that listed Matched.
	MatchedSetting string
}

// Setting names used in explanations; they match internal/config.
const (
	settingAdmin    = "PALISADE_OIDC_ADMIN_GROUPS"
	settingOperator = "PALISADE_OIDC_OPERATOR_GROUPS"
	settingViewer   = "PALISADE_OIDC_VIEWER_GROUPS"
	settingDefault  = "PALISADE_OIDC_DEFAULT_ROLE"
	settingClaim    = "PALISADE_OIDC_ROLE_CLAIM"
)

// Map computes the role for claims.
func (m Mapper) Map(claims map[string]any) Mapping {
	out := Mapping{Claim: m.Claim}
	raw, ok := lookupClaim(claims, m.Claim)
	out.Present = ok
	if ok {
		out.Values, out.Ignored = claimStrings(raw)
	}
	for _, level := range []struct {
		role    Role
		groups  []string
		setting string
	}{
		{RoleAdmin, m.Admin, settingAdmin},
		{RoleOperator, m.Operator, settingOperator},
		{RoleViewer, m.Viewer, settingViewer},
	} {
		for _, v := range out.Values {
			if slices.Contains(level.groups, v) {
				out.Role, out.Matched, out.MatchedSetting = level.role, v, level.setting
				return out
			}
		}
	}
	out.Role = m.Default
	return out
}

// Reason explains the mapping in one sentence.
func (m Mapping) Reason() string {
	switch {
	case m.Matched != "":
		return fmt.Sprintf("%q in claim %q is listed in %s", m.Matched, m.Claim, m.MatchedSetting)
	case m.Role != RoleNone && !m.Present:
		return fmt.Sprintf("claim %q did not arrive, so %s=%s applies", m.Claim, settingDefault, m.Role)
	case m.Role != RoleNone:
		return fmt.Sprintf("no value of claim %q is listed in a group setting, so %s=%s applies", m.Claim, settingDefault, m.Role)
	case !m.Present:
		return fmt.Sprintf("claim %q (%s) did not arrive in the ID token, and %s=none refuses users nothing maps",
			m.Claim, settingClaim, settingDefault)
	}
	return fmt.Sprintf("no value of claim %q is listed in %s, %s or %s, and %s=none refuses users nothing maps",
		m.Claim, settingAdmin, settingOperator, settingViewer, settingDefault)
}

// lookupClaim finds name as a top-level claim first, since claim names may
// contain dots (namespaced claims such as "https://example.com/groups"),
// then as a dotted path through nested objects.
func lookupClaim(claims map[string]any, name string) (any, bool) {
	if v, ok := claims[name]; ok {
		return v, true
	}
	if !strings.Contains(name, ".") {
		return nil, false
	}
	var cur any = claims
	for _, part := range strings.Split(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// claimStrings reads a claim that is a list of strings or a single string.
func claimStrings(v any) ([]string, string) {
	switch v := v.(type) {
	case string:
		return []string{v}, ""
	case []string:
		return v, ""
	case []any:
		var out []string
		var ignored []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			} else {
				ignored = append(ignored, fmt.Sprintf("%v", e))
			}
		}
		if len(ignored) > 0 {
			return out, "non-string values ignored: " + strings.Join(ignored, ", ")
		}
		return out, ""
	case nil:
		return nil, "the claim is null"
	}
	return nil, "the claim is " + jsonKind(v) + ", not a string or a list of strings"
}

func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case float64, int, int64:
		return "a number"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}
