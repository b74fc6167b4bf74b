package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/recommend"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/exemptions"
)

const exemptionsPerPage = 50

// exemptionList shows exemptions with filters; active ones by default.
func (h *Handler) exemptionList(c echo.Context) error {
	ctx := c.Request().Context()
	f, q := exemptionFilter(c)
	page := pageParam(c)
	f.Limit, f.Offset = exemptionsPerPage+1, (page-1)*exemptionsPerPage
	list, err := h.store.Exemptions(ctx, f)
	if err != nil {
		return err
	}
	anyAtAll := len(list) > 0
	if !anyAtAll {
		some, err := h.store.Exemptions(ctx, store.ExemptionFilter{Limit: 1})
		if err != nil {
			return err
		}
		anyAtAll = len(some) > 0
	}
	more := len(list) > exemptionsPerPage
	list = list[:min(len(list), exemptionsPerPage)]

	operate, back, now := canOperate(c), currentPath(c), time.Now()
	m := exemptions.ListModel{
		Page: h.page(c, "Exemptions", "exemptions"), Status: q.Get("status"), Category: f.Category,
		Scope: f.Scope, Search: f.Search, Any: anyAtAll, CSVURL: withQuery("/exemptions/export.csv", compactQuery(q)),
		Pager: offsetPager("/exemptions", q, page, exemptionsPerPage, len(list), more),
	}
	for _, e := range list {
		m.Rows = append(m.Rows, exemptionListRow(e, now, operate, back))
	}
	return render(c, http.StatusOK, exemptions.List(m))
}

// exemptionFilter reads the filters of the exemptions page; the status
// defaults to active. It also returns them as a query for links.
func exemptionFilter(c echo.Context) (store.ExemptionFilter, url.Values) {
	status := oneOf(c.QueryParam("status"), "active", "expired", "all")
	if status == "" {
		status = "active"
	}
	f := store.ExemptionFilter{
		Status:   strings.TrimPrefix(status, "all"),
		Category: oneOf(c.QueryParam("category"), store.CategoryMitigated, store.CategoryRiskAccepted),
		Scope: oneOf(c.QueryParam("scope"), store.ExemptFinding, store.ExemptImage, store.ExemptRepository,
			store.ExemptRecommendation),
		Search: strings.TrimSpace(c.QueryParam("q")),
	}
	q := url.Values{"status": {status}, "category": {f.Category}, "scope": {f.Scope}, "q": {f.Search}}
	if status == "active" {
		q.Del("status")
	}
	return f, q
}

var scopeLabels = map[string]string{
	store.ExemptFinding:        "One finding",
	store.ExemptImage:          "Vulnerability in an image",
	store.ExemptRepository:     "Vulnerability in a repository",
	store.ExemptRecommendation: "Recommendation for a resource",
}

func exemptionListRow(e store.Exemption, now time.Time, operate bool, back string) exemptions.Row {
	target, targetURL := exemptionTarget(e)
	status := "active"
	if !e.Active(now) {
		status = "expired"
	}
	return exemptions.Row{
		ID: e.ID, Scope: scopeLabels[e.Scope], Target: target, TargetURL: targetURL, VulnID: e.VulnID,
		Category: e.Category, Justification: e.Justification, By: e.CreatedByName, Created: when(e.CreatedAt),
		Expires: day(e.ExpiresAt), Status: status, CanRevoke: operate, ReturnTo: back,
	}
}

// exemptionTarget names what an exemption covers, and the page that
// shows it.
func exemptionTarget(e store.Exemption) (string, string) {
	image := func() (string, string) {
		if e.ImageID == nil {
			return "(image removed)", ""
		}
		return e.Repository + "@" + shortDigest(e.ImageDigest), "/images/" + strconv.FormatInt(*e.ImageID, 10)
	}
	switch e.Scope {
	case store.ExemptFinding:
		name, link := image()
		return fmt.Sprintf("%s %s in %s", e.PackageName, e.PackageVersion, name), link
	case store.ExemptImage:
		return image()
	case store.ExemptRepository:
		return e.Repository, ""
	}
	title := e.RecommendationID
	if r, ok := recommend.ByID(e.RecommendationID); ok {
		title = r.Title
	}
	resource := ""
	if e.ResourceID != nil {
		resource = fmt.Sprintf("%s %d", e.ResourceKind, *e.ResourceID)
		if e.ImageID != nil {
			resource, _ = image()
		}
		return title + ": " + resource, fmt.Sprintf("/recommendations/%s/resources/%d", url.PathEscape(e.RecommendationID), *e.ResourceID)
	}
	return title, ""
}

// exemptionListCSV exports the exemptions with the page's filters,
// streamed from the database.
func (h *Handler) exemptionListCSV(c echo.Context) error {
	f, _ := exemptionFilter(c)
	now := time.Now()
	header := []string{"id", "scope", "covers", "vulnerability_id", "package", "package_version", "repository",
		"image_digest", "recommendation_id", "category", "justification", "expires_at", "status",
		"created_by", "created_at"}
	return h.streamCSVExport(c, "exemptions.csv", header, func(write func([]string) error) error {
		return h.store.ForEachExemption(c.Request().Context(), f, func(e store.Exemption) error {
			target, _ := exemptionTarget(e)
			status := "active"
			if !e.Active(now) {
				status = "expired"
			}
			expires := ""
			if e.ExpiresAt != nil {
				expires = e.ExpiresAt.UTC().Format(time.RFC3339)
			}
			return write([]string{strconv.FormatInt(e.ID, 10), e.Scope, target, e.VulnID, e.PackageName,
				e.PackageVersion, e.Repository, e.ImageDigest, e.RecommendationID, e.Category, e.Justification,
				expires, status, e.CreatedByName, e.CreatedAt.UTC().Format(time.RFC3339)})
		})
	})
}
