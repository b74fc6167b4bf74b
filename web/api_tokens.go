package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/store"
)

// apiToken is an API token as lists show it; the token itself is shown
// once, when made.
type apiToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Role       string     `json:"role"`
	State      string     `json:"state"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func apiTokenOf(t store.APIToken) apiToken {
	return apiToken{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Role: t.Role, State: auth.APITokenState(t, time.Now()),
		CreatedBy: t.CreatedByName, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: apiTime(t.ExpiresAt),
		LastUsedAt: apiTime(t.LastUsedAt), RevokedAt: apiTime(t.RevokedAt)}
}

func (h *Handler) apiTokenList(c echo.Context) error {
	list, err := h.store.APITokens(c.Request().Context())
	if err != nil {
		return err
	}
	out := mapAll(list, apiTokenOf)
	return apiJSON(c, http.StatusOK, newAPIList(out, nil))
}

// tokenSpec turns a name, a role and an optional lifetime ("720h") into
// what auth.IssueAPIToken takes, made by the caller.
func tokenSpec(c echo.Context, name, role, expiresIn string) (auth.APITokenSpec, error) {
	r, err := auth.ParseRole(role)
	if err != nil {
		return auth.APITokenSpec{}, fmt.Errorf("role: %w", err)
	}
	p := principalOf(c)
	spec := auth.APITokenSpec{Name: name, Role: r, CreatedBy: p.Name, CreatedByUserID: p.UserID}
	if p.TokenID != 0 {
		spec.CreatedBy = auth.TokenActorName(p.Name, p.TokenID)
	}
	if expiresIn != "" {
		d, err := time.ParseDuration(expiresIn)
		if err != nil || d <= 0 {
			return spec, fmt.Errorf("expires_in: give a positive duration such as 720h, got %q", expiresIn)
		}
		at := time.Now().Add(d)
		spec.ExpiresAt = &at
	}
	return spec, nil
}

func (h *Handler) apiTokenCreate(c echo.Context) error {
	var in struct {
		Name      string `json:"name"`
		Role      string `json:"role"`
		ExpiresIn string `json:"expires_in"`
	}
	if err := apiBind(c, &in); err != nil {
		return err
	}
	spec, err := tokenSpec(c, in.Name, in.Role, in.ExpiresIn)
	if err != nil {
		return apiInvalid(err)
	}
	t, token, err := h.issueToken(c, spec)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusCreated, struct {
		Token    string   `json:"token"`
		APIToken apiToken `json:"api_token"`
	}{token, apiTokenOf(t)})
}

// issueToken makes a token and records it in the audit log.
func (h *Handler) issueToken(c echo.Context, spec auth.APITokenSpec) (store.APIToken, string, error) {
	if err := spec.Validate(time.Now()); err != nil {
		return store.APIToken{}, "", apiInvalid(err)
	}
	t, token, err := auth.IssueAPIToken(c.Request().Context(), h.store, spec)
	if err != nil {
		return t, "", err
	}
	err = h.recordAudit(c, store.AuditEntry{Action: "api_token.create", ResourceKind: "api_token",
		ResourceID: fmt.Sprint(t.ID), Details: map[string]any{"name": t.Name, "role": t.Role, "expires_at": t.ExpiresAt}})
	return t, token, err
}

// revokeToken revokes a token and records it in the audit log.
func (h *Handler) revokeToken(c echo.Context, id int64) (store.APIToken, error) {
	t, err := h.store.RevokeAPIToken(c.Request().Context(), id)
	if err != nil {
		return t, err
	}
	err = h.recordAudit(c, store.AuditEntry{Action: "api_token.revoke", ResourceKind: "api_token",
		ResourceID: fmt.Sprint(t.ID), Details: map[string]any{"name": t.Name}})
	return t, err
}

func (h *Handler) apiTokenRevoke(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.revokeToken(c, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
