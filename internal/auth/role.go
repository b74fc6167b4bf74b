package auth

import "fmt"

// Role is what a user may do. Each role includes the ones below it.
type Role int

// Roles from least to most. RoleNone grants nothing: a user whose claims
// map to no role, with no default role configured, cannot sign in.
const (
	RoleNone Role = iota
	RoleViewer
	RoleOperator
	RoleAdmin
)

var roleNames = [...]string{RoleNone: "none", RoleViewer: "viewer", RoleOperator: "operator", RoleAdmin: "admin"}

// String returns the role's name as configuration and the database spell it.
func (r Role) String() string {
	if r < RoleNone || r > RoleAdmin {
		return fmt.Sprintf("role(%d)", int(r))
	}
	return roleNames[r]
}

// ParseRole reads a role name: none, viewer, operator or admin.
func ParseRole(s string) (Role, error) {
	for r, name := range roleNames {
		if name == s {
			return Role(r), nil
		}
	}
	return RoleNone, fmt.Errorf("unknown role %q: want none, viewer, operator or admin", s)
}

// AtLeast reports whether r grants everything min grants. RoleNone grants
// nothing, not even RoleNone.
func (r Role) AtLeast(min Role) bool {
	return r != RoleNone && r >= min
}
