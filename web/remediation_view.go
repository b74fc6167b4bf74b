package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/exempt"
	"github.com/palisadesec/palisade/internal/export"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/remediation"
)

// Helpers shared by the recommendation, exemption and audit pages.

// exemptions returns the service that records and revokes exemptions.
func (h *Handler) exemptions() *exempt.Service {
	return exempt.NewService(h.store, h.cfg.UnhealthySeverities, h.log)
}

// canOperate reports whether the caller may use the remediation buttons.
func canOperate(c echo.Context) bool {
	return principalOf(c).Role.AtLeast(auth.RoleOperator)
}

func actorOf(c echo.Context) exempt.Actor {
	p := principalOf(c)
	return exempt.Actor{UserID: p.UserID, Name: p.Name}
}

// positiveParam reads a path parameter that must be a positive id.
func positiveParam(c echo.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, name+" must be a positive number")
	}
	return n, nil
}

var severityLevels = []string{"critical", "high", "medium", "low", "unknown"}

// compactQuery drops the empty values of q, so links carry only the
// filters in use.
func compactQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		if len(v) > 0 && v[0] != "" {
			out[k] = v
		}
	}
	return out
}

// offsetPager links the pages around page of a list shown size rows at
// a time, given whether a row beyond this page exists.
func offsetPager(path string, q url.Values, page, size, shown int, more bool) remediation.Pager {
	link := func(n int) string {
		v := url.Values{}
		for k, vals := range q {
			v[k] = slices.Clone(vals)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		} else {
			v.Del("page")
		}
		return withQuery(path, compactQuery(v))
	}
	p := remediation.Pager{}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if more {
		p.Next = link(page + 1)
	}
	if shown > 0 {
		from := (page-1)*size + 1
		p.Label = fmt.Sprintf("Rows %d–%d", from, from+shown-1)
	}
	return p
}

// when formats a time for a page.
func when(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func whenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return when(*t)
}

func day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(exempt.DateLayout)
}

// shortDigest keeps the algorithm and 12 hex digits.
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// imageName is how pages name an image: repository and tags, else the
// short digest.
func imageName(repository, tags, digest string) string {
	if tags != "" {
		return repository + ":" + tags
	}
	return repository + "@" + shortDigest(digest)
}

// returnPath is where a browser without JavaScript goes after a form: the
// form's return_to when it is one of ours, else fallback.
func returnPath(c echo.Context, fallback string) string {
	v := c.FormValue("return_to")
	if v == "" {
		return fallback
	}
	return auth.SafeNext(v)
}

// currentPath is the page a request shows, for forms to come back to.
func currentPath(c echo.Context) string {
	return c.Request().URL.RequestURI()
}

// scopeText says in words what an exemption covers.
func scopeText(e store.Exemption) string {
	switch e.Scope {
	case store.ExemptFinding:
		return "this finding"
	case store.ExemptImage:
		return e.VulnID + " in this image"
	case store.ExemptRepository:
		if e.Repository != "" {
			return e.VulnID + " in every image of " + e.Repository
		}
		return e.VulnID + " in every image of the repository"
	}
	return "this resource"
}

func noticeOf(e store.Exemption, canRevoke bool, returnTo string) remediation.Notice {
	return remediation.Notice{
		ExemptionID: e.ID, Scope: scopeText(e), Category: e.Category, Justification: e.Justification,
		By: e.CreatedByName, Until: day(e.ExpiresAt), CanRevoke: canRevoke, ReturnTo: returnTo,
	}
}

// renderExemptForm answers a form that came back with messages: the form
// alone with 200 for htmx, which swaps it in place, else a page of its own.
func (h *Handler) renderExemptForm(c echo.Context, heading string, form templ.Component) error {
	if isHTMX(c.Request()) {
		return render(c, http.StatusOK, form)
	}
	return render(c, http.StatusOK, remediation.FormPage(h.page(c, heading, ""), heading, form))
}

// exemptionChanged answers a successful exemption change: htmx gets comp
// and the event that makes counts and lists on the page reload
// themselves; other browsers go back where they came from.
func exemptionChanged(c echo.Context, comp templ.Component, returnTo string) error {
	if !isHTMX(c.Request()) {
		return c.Redirect(http.StatusSeeOther, returnTo)
	}
	c.Response().Header().Set("HX-Trigger-After-Settle", remediation.ChangedEvent)
	return render(c, http.StatusOK, comp)
}

func (h *Handler) auditExemption(c echo.Context, action string, e store.Exemption) error {
	return h.recordAudit(c, store.AuditEntry{
		Action: action, ResourceKind: "exemption", ResourceID: strconv.FormatInt(e.ID, 10),
		Details: exempt.AuditDetails(e),
	})
}

// formValues reads an exemption form.
func formValues(c echo.Context) remediation.FormValues {
	return remediation.FormValues{
		Scope: c.FormValue("scope"), Category: c.FormValue("category"),
		Justification: c.FormValue("justification"), Expires: strings.TrimSpace(c.FormValue("expires")),
	}
}

func inputOf(v remediation.FormValues) exempt.Input {
	return exempt.Input{Scope: v.Scope, Category: v.Category, Justification: v.Justification, Expires: v.Expires}
}

// csvFlushEvery is how many rows a CSV export writes between flushes, so
// a long export reaches the browser while the database still sends rows.
const csvFlushEvery = 200

// streamCSVExport sends a CSV download, written row by row as fill
// produces rows.
func (h *Handler) streamCSVExport(c echo.Context, filename string, header []string, fill func(write func([]string) error) error) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	res.WriteHeader(http.StatusOK)
	t := export.NewRowsCSV(res, header)
	n := 0
	err := fill(func(row []string) error {
		if err := t.Write(row); err != nil {
			return err
		}
		if n++; n%csvFlushEvery == 0 {
			if err := t.Flush(); err != nil {
				return err
			}
			res.Flush()
		}
		return nil
	})
	if err == nil {
		err = t.Flush()
	}
	if err != nil {
		// The status is sent: all that is left is to stop and say so here.
		h.log.Warn("CSV export stopped", slog.String("path", c.Request().URL.Path), slog.Any("error", err))
	}
	return nil
}
