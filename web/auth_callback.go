package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	authview "github.com/palisadesec/palisade/views/auth"
)

// authCallback finishes sign-in when the provider sends the browser back:
// it starts a new session, or explains why not.
func (h *Handler) authCallback(c echo.Context) error {
	if h.auth.LocalMode() {
		return c.Redirect(http.StatusFound, "/")
	}
	r := c.Request()
	q := c.QueryParams()
	cb := auth.Callback{
		State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description"),
		SourceIP: c.RealIP(), UserAgent: r.UserAgent(),
	}
	if name := auth.FlowCookieName(cb.State); name != "" {
		if ck, err := c.Cookie(name); err == nil {
			cb.FlowCookie = ck.Value
		}
		c.SetCookie(h.auth.ClearFlowCookie(cb.State))
	}
	if ck, err := c.Cookie(auth.SessionCookie); err == nil {
		cb.OldSession = ck.Value
	}

	in, err := h.auth.FinishSignIn(r.Context(), cb)
	if err != nil {
		return h.signInFailed(c, err)
	}
	c.SetCookie(h.auth.SessionCookieFor(in.Token, in.ExpiresAt))
	return c.Redirect(http.StatusSeeOther, in.Next)
}

// signInFailed renders why a callback did not sign anyone in.
func (h *Handler) signInFailed(c echo.Context, err error) error {
	var refused *auth.RefusedError
	var perr *auth.ProviderError
	switch {
	case errors.As(err, &refused):
		return render(c, http.StatusForbidden, authview.Refused(authview.RefusedModel{
			Page: h.page(c, "Sign-in refused", ""), Name: refused.Name, Email: refused.Email,
			Subject: refused.Subject, Issuer: refused.Issuer, Reason: refused.Mapping.Reason(),
			Arrived: arrived(refused.Mapping), Settings: roleSettings(refused.Mapper),
		}))
	case errors.Is(err, auth.ErrSignInExpired):
		return h.signInProblem(c, http.StatusBadRequest, "Sign-in expired",
			"This sign-in was started too long ago or in another browser. Start again from here.", err)
	case errors.As(err, &perr):
		return h.signInProblem(c, http.StatusForbidden, "The identity provider did not sign you in",
			perr.Error()+".", err)
	case errors.Is(err, auth.ErrProviderUnavailable):
		return h.signInProblem(c, http.StatusServiceUnavailable, "Identity provider unreachable",
			"Palisade could not reach the identity provider to finish signing in. Try again in a moment.", err)
	case errors.Is(err, auth.ErrSignInFailed):
		return h.signInProblem(c, http.StatusBadRequest, "Sign-in failed",
			"The identity provider's answer could not be verified. Try again; if it keeps failing, the client settings (PALISADE_OIDC_*) may not match the provider.", err)
	}
	return err
}

func (h *Handler) signInProblem(c echo.Context, status int, heading, msg string, err error) error {
	h.log.Warn("Sign-in did not finish", slog.Int("status", status), slog.Any("error", err))
	return render(c, status, authview.Problem(authview.ProblemModel{
		Page: h.page(c, heading, ""), Heading: heading, Message: msg, RetryURL: "/auth/login",
	}))
}

func arrived(m auth.Mapping) authview.Arrived {
	return authview.Arrived{Present: m.Present, Values: m.Values, Ignored: m.Ignored}
}

func roleSettings(m auth.Mapper) authview.RoleSettings {
	return authview.RoleSettings{
		Claim: m.Claim, AdminGroups: m.Admin, OperatorGroups: m.Operator, ViewerGroups: m.Viewer,
		DefaultRole: m.Default.String(),
	}
}
