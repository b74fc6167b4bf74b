package auth

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMapperMap(t *testing.T) {
	groups := Mapper{
		Claim:    "groups",
		Admin:    []string{"palisade-admins"},
		Operator: []string{"palisade-operators", "sre"},
		Viewer:   []string{"palisade-viewers"},
		Default:  RoleNone,
	}
	withDefault := groups
	withDefault.Default = RoleViewer
	keycloak := groups
	keycloak.Claim = "realm_access.roles"
	namespaced := groups
	namespaced.Claim = "https://palisade.example/groups"

	tests := []struct {
		name   string
		mapper Mapper
		claims string
		want   Mapping
		reason string
	}{
		{
			name:   "admin group",
			mapper: groups,
			claims: `{"groups":["palisade-admins"]}`,
			want: Mapping{Claim: "groups", Present: true, Values: []string{"palisade-admins"}, Role: RoleAdmin,
				Matched: "palisade-admins", MatchedSetting: "PALISADE_OIDC_ADMIN_GROUPS"},
			reason: `"palisade-admins" in claim "groups" is listed in PALISADE_OIDC_ADMIN_GROUPS`,
		},
		{
			name:   "admin wins over operator and viewer whatever the order",
			mapper: groups,
			claims: `{"groups":["palisade-viewers","sre","palisade-admins"]}`,
			want: Mapping{Claim: "groups", Present: true, Values: []string{"palisade-viewers", "sre", "palisade-admins"},
				Role: RoleAdmin, Matched: "palisade-admins", MatchedSetting: "PALISADE_OIDC_ADMIN_GROUPS"},
			reason: `"palisade-admins" in claim "groups" is listed in PALISADE_OIDC_ADMIN_GROUPS`,
		},
		{
			name:   "operator wins over viewer",
			mapper: groups,
			claims: `{"groups":["palisade-viewers","sre"]}`,
			want: Mapping{Claim: "groups", Present: true, Values: []string{"palisade-viewers", "sre"},
				Role: RoleOperator, Matched: "sre", MatchedSetting: "PALISADE_OIDC_OPERATOR_GROUPS"},
			reason: `"sre" in claim "groups" is listed in PALISADE_OIDC_OPERATOR_GROUPS`,
		},
		{
			name:   "single string claim",
			mapper: groups,
			claims: `{"groups":"palisade-viewers"}`,
			want: Mapping{Claim: "groups", Present: true, Values: []string{"palisade-viewers"},
				Role: RoleViewer, Matched: "palisade-viewers", MatchedSetting: "PALISADE_OIDC_VIEWER_GROUPS"},
			reason: `"palisade-viewers" in claim "groups" is listed in PALISADE_OIDC_VIEWER_GROUPS`,
		},
		{
			name:   "dotted path into nested objects",
			mapper: keycloak,
			claims: `{"realm_access":{"roles":["offline_access","palisade-operators"]}}`,
			want: Mapping{Claim: "realm_access.roles", Present: true, Values: []string{"offline_access", "palisade-operators"},
				Role: RoleOperator, Matched: "palisade-operators", MatchedSetting: "PALISADE_OIDC_OPERATOR_GROUPS"},
			reason: `"palisade-operators" in claim "realm_access.roles" is listed in PALISADE_OIDC_OPERATOR_GROUPS`,
		},
		{
			name:   "claim name with dots read as a top-level claim first",
			mapper: namespaced,
			claims: `{"https://palisade.example/groups":["palisade-admins"]}`,
			want: Mapping{Claim: "https://palisade.example/groups", Present: true, Values: []string{"palisade-admins"},
				Role: RoleAdmin, Matched: "palisade-admins", MatchedSetting: "PALISADE_OIDC_ADMIN_GROUPS"},
			reason: `"palisade-admins" in claim "https://palisade.example/groups" is listed in PALISADE_OIDC_ADMIN_GROUPS`,
		},
		{
			name:   "no group maps and strict refusal",
			mapper: groups,
			claims: `{"groups":["staff"]}`,
			want:   Mapping{Claim: "groups", Present: true, Values: []string{"staff"}, Role: RoleNone},
			reason: `no value of claim "groups" is listed in PALISADE_OIDC_ADMIN_GROUPS, PALISADE_OIDC_OPERATOR_GROUPS or PALISADE_OIDC_VIEWER_GROUPS, and PALISADE_OIDC_DEFAULT_ROLE=none refuses users nothing maps`,
		},
		{
			name:   "claim missing and strict refusal",
			mapper: groups,
			claims: `{"email":"x@example.test"}`,
			want:   Mapping{Claim: "groups", Role: RoleNone},
			reason: `claim "groups" (PALISADE_OIDC_ROLE_CLAIM) did not arrive in the ID token, and PALISADE_OIDC_DEFAULT_ROLE=none refuses users nothing maps`,
		},
		{
			name:   "no group maps and a default role",
			mapper: withDefault,
			claims: `{"groups":[]}`,
			want:   Mapping{Claim: "groups", Present: true, Role: RoleViewer},
			reason: `no value of claim "groups" is listed in a group setting, so PALISADE_OIDC_DEFAULT_ROLE=viewer applies`,
		},
		{
			name:   "claim missing and a default role",
			mapper: withDefault,
			claims: `{}`,
			want:   Mapping{Claim: "groups", Role: RoleViewer},
			reason: `claim "groups" did not arrive, so PALISADE_OIDC_DEFAULT_ROLE=viewer applies`,
		},
		{
			name:   "non-string values are ignored and reported",
			mapper: groups,
			claims: `{"groups":[7,"palisade-viewers",true]}`,
			want: Mapping{Claim: "groups", Present: true, Values: []string{"palisade-viewers"},
				Ignored: "non-string values ignored: 7, true", Role: RoleViewer, Matched: "palisade-viewers",
				MatchedSetting: "PALISADE_OIDC_VIEWER_GROUPS"},
			reason: `"palisade-viewers" in claim "groups" is listed in PALISADE_OIDC_VIEWER_GROUPS`,
		},
		{
			name:   "claim of the wrong type",
			mapper: groups,
			claims: `{"groups":{"admin":true}}`,
			want: Mapping{Claim: "groups", Present: true, Ignored: "the claim is an object, not a string or a list of strings",
				Role: RoleNone},
			reason: `no value of claim "groups" is listed in PALISADE_OIDC_ADMIN_GROUPS, PALISADE_OIDC_OPERATOR_GROUPS or PALISADE_OIDC_VIEWER_GROUPS, and PALISADE_OIDC_DEFAULT_ROLE=none refuses users nothing maps`,
		},
		{
			name:   "group names are case-sensitive",
			mapper: groups,
			claims: `{"groups":["Palisade-Admins"]}`,
			want:   Mapping{Claim: "groups", Present: true, Values: []string{"Palisade-Admins"}, Role: RoleNone},
			reason: `no value of claim "groups" is listed in PALISADE_OIDC_ADMIN_GROUPS, PALISADE_OIDC_OPERATOR_GROUPS or PALISADE_OIDC_VIEWER_GROUPS, and PALISADE_OIDC_DEFAULT_ROLE=none refuses users nothing maps`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var claims map[string]any
			if err := json.Unmarshal([]byte(tt.claims), &claims); err != nil {
				t.Fatal(err)
			}
			got := tt.mapper.Map(claims)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Map(%s) mismatch (-want +got):\n%s", tt.claims, diff)
			}
			if r := got.Reason(); r != tt.reason {
				t.Errorf("Reason() = %q\nwant        %q", r, tt.reason)
			}
		})
	}
}

func TestRoleOrderAndNames(t *testing.T) {
	tests := []struct {
		name string
		role Role
		min  Role
		want bool
	}{
		{name: "admin covers operator", role: RoleAdmin, min: RoleOperator, want: true},
		{name: "operator covers viewer", role: RoleOperator, min: RoleViewer, want: true},
		{name: "viewer does not cover operator", role: RoleViewer, min: RoleOperator, want: false},
		{name: "operator does not cover admin", role: RoleOperator, min: RoleAdmin, want: false},
		{name: "none covers nothing", role: RoleNone, min: RoleNone, want: false},
		{name: "viewer covers viewer", role: RoleViewer, min: RoleViewer, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.role.AtLeast(tt.min); got != tt.want {
				t.Errorf("%s.AtLeast(%s) = %v, want %v", tt.role, tt.min, got, tt.want)
			}
		})
	}
	for _, name := range []string{"none", "viewer", "operator", "admin"} {
		r, err := ParseRole(name)
		if err != nil || r.String() != name {
			t.Errorf("ParseRole(%q) = %v, %v; want it back", name, r, err)
		}
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("ParseRole(root) succeeded, want an error")
	}
}
