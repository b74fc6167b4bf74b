package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	authview "github.com/palisadesec/palisade/views/auth"
)

// userShow is the signed-in user's own page: their role and why, and the
// claims and groups that arrived, so admins can debug the role mapping.
func (h *Handler) userShow(c echo.Context) error {
	p := principalOf(c)
	if p.Local {
		return render(c, http.StatusOK, authview.User(authview.UserModel{
			Page: h.page(c, p.Name, ""), Local: true, Name: p.Name, Role: p.Role.String(),
		}))
	}
	prof, err := h.auth.Profile(c.Request().Context(), p)
	if err != nil {
		return err
	}
	claims, err := json.MarshalIndent(prof.Claims, "", "  ")
	if err != nil {
		return err
	}
	u := prof.User
	m := authview.UserModel{
		Page: h.page(c, u.Name, ""), Name: u.Name, Email: u.Email, Subject: u.Subject, Issuer: u.Issuer,
		Role: u.Role, MappedRole: prof.Mapping.Role.String(), Reason: prof.Mapping.Reason(),
		Arrived: arrived(prof.Mapping), Settings: roleSettings(prof.Mapper), ClaimsJSON: string(claims),
	}
	if u.LastLoginAt != nil {
		m.LastLoginAt = u.LastLoginAt.UTC().Format(time.RFC3339)
	}
	if prof.Mapping.Role == auth.RoleNone {
		m.MappedRole = "no role (sign-in would be refused)"
	}
	return render(c, http.StatusOK, authview.User(m))
}
