package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/recommend"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/recommendations"
)

// findingsPerPage is how many findings a resource page lists.
const findingsPerPage = 100

// recommendationResourceShow is the remediation page of one resource:
// its counts, the commands that fix it, and its findings with their
// exempt buttons.
func (h *Handler) recommendationResourceShow(c echo.Context) error {
	rec, res, err := h.assessedResource(c)
	if err != nil {
		return err
	}
	facts, err := h.packageFacts(c, res)
	if err != nil {
		return err
	}
	summary, err := h.resourceSummary(c, res)
	if err != nil {
		return err
	}
	findings, err := h.resourceFindings(c, res, facts)
	if err != nil {
		return err
	}
	steps, all := resourceSteps(res, facts)
	m := recommendations.ResourceModel{
		Page:             h.page(c, resourceName(res), "recommendations"),
		RecommendationID: rec.ID, RecommendationTitle: rec.Title, RecommendationURL: "/recommendations/" + rec.ID,
		Name: resourceName(res), Digest: res.ImageDigest, Platform: res.Platform, ImageURL: resourceURL(res),
		Summary: summary, Steps: steps, AllFix: all, Findings: findings,
	}
	return render(c, http.StatusOK, recommendations.Resource(m))
}

// recommendationResourceSummary is the counts partial, which reloads
// itself after exemptions change.
func (h *Handler) recommendationResourceSummary(c echo.Context) error {
	_, res, err := h.assessedResource(c)
	if err != nil {
		return err
	}
	m, err := h.resourceSummary(c, res)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, recommendations.Summary(m))
}

// recommendationResourceFindings is the findings partial, which reloads
// itself after exemptions change.
func (h *Handler) recommendationResourceFindings(c echo.Context) error {
	_, res, err := h.assessedResource(c)
	if err != nil {
		return err
	}
	facts, err := h.packageFacts(c, res)
	if err != nil {
		return err
	}
	m, err := h.resourceFindings(c, res, facts)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, recommendations.Findings(m))
}

func (h *Handler) assessedResource(c echo.Context) (recommend.Recommendation, store.ResourceRow, error) {
	rec, err := catalogueEntry(c)
	if err != nil {
		return rec, store.ResourceRow{}, err
	}
	id, err := positiveParam(c, "resource")
	if err != nil {
		return rec, store.ResourceRow{}, err
	}
	res, err := h.store.RecommendationResource(c.Request().Context(), rec.ID, id)
	return rec, res, err
}

func resourcePath(res store.ResourceRow, suffix string) string {
	return remediateURL(res) + suffix
}

func (h *Handler) resourceSummary(c echo.Context, res store.ResourceRow) (recommendations.SummaryModel, error) {
	m := recommendations.SummaryModel{
		URL: resourcePath(res, "/summary"), Critical: res.Critical, High: res.High, Medium: res.Medium,
		Low: res.Low, Unknown: res.Unknown, Healthy: res.Status == "healthy", Exempt: res.Exempt,
	}
	// The summary reloads through its own route: forms in it come back
	// to the page, not to the partial.
	back := remediateURL(res)
	if res.Exempt {
		list, err := h.store.ActiveResourceExemptions(c.Request().Context(), res.RecommendationID, res.ResourceKind, []int64{res.ResourceID})
		if err != nil {
			return m, err
		}
		if e, ok := list[res.ResourceID]; ok {
			n := noticeOf(e, canOperate(c), back)
			m.Notice = &n
		}
	} else if canOperate(c) {
		f := resourceForm(res, back)
		m.Form = &f
	}
	return m, nil
}

// packageLookup answers what the fixes of a package need: the deb
// binaries built from the same source, and where it was found.
type packageLookup struct {
	bySource map[string][]string
	source   map[string]string
	paths    map[string][]string
}

func (h *Handler) packageFacts(c echo.Context, res store.ResourceRow) (packageLookup, error) {
	l := packageLookup{bySource: map[string][]string{}, source: map[string]string{}, paths: map[string][]string{}}
	if res.ResourceKind != "image" {
		return l, nil
	}
	facts, err := h.store.ImagePackageFacts(c.Request().Context(), res.ResourceID)
	if err != nil {
		return l, err
	}
	for _, p := range facts {
		key := p.Type + "\x00" + p.Name
		l.paths[key] = append(l.paths[key], p.Paths...)
		if p.Type == "deb" {
			l.source[p.Name] = p.SourceName
			l.bySource[p.SourceName] = append(l.bySource[p.SourceName], p.Name)
		}
	}
	return l, nil
}

// binaries are the deb packages to upgrade together with pkg.
func (l packageLookup) binaries(typ, pkg string) []string {
	if typ != "deb" {
		return nil
	}
	if src, ok := l.source[pkg]; ok {
		return l.bySource[src]
	}
	return nil
}

func (l packageLookup) facts(s recommend.Step) ([]string, []string) {
	return l.binaries(s.Type, s.Package), l.paths[s.Type+"\x00"+s.Package]
}

// resourceSteps are the stored remediation steps, each with its fix, and
// one fix for all of them when there are several.
func resourceSteps(res store.ResourceRow, l packageLookup) ([]recommendations.Step, *recommendations.FixBlock) {
	var d recommend.ImageDetails
	if err := json.Unmarshal(res.Details, &d); err != nil {
		return nil, nil
	}
	steps := make([]recommendations.Step, 0, len(d.Steps))
	for i, s := range d.Steps {
		step := recommendations.Step{Text: s.Text, Worst: s.Worst}
		if f, ok := recommend.FixForSteps([]recommend.Step{s}, l.facts); ok {
			step.Fix = &recommendations.FixBlock{ID: fmt.Sprintf("fix-step-%d", i), Text: f.Text, Note: f.Note}
		}
		steps = append(steps, step)
	}
	fixable := 0
	for _, s := range steps {
		if s.Fix != nil {
			fixable++
		}
	}
	if fixable < 2 {
		return steps, nil
	}
	f, _ := recommend.FixForSteps(d.Steps, l.facts)
	return steps, &recommendations.FixBlock{ID: "fix-all", Text: f.Text, Note: f.Note}
}

// resourceFindings is the findings table of an image resource with the
// request's filters: severity, exempt shown or not, page.
func (h *Handler) resourceFindings(c echo.Context, res store.ResourceRow, l packageLookup) (recommendations.FindingsModel, error) {
	ctx := c.Request().Context()
	page := pageParam(c)
	f := store.RemediationFindingFilter{
		ImageID: res.ResourceID, WithExempt: c.QueryParam("exempt") == "1",
		Severity: oneOf(c.QueryParam("severity"), severityLevels...),
		Limit:    findingsPerPage + 1, Offset: (page - 1) * findingsPerPage,
	}
	q := url.Values{"severity": {f.Severity}}
	if f.WithExempt {
		q.Set("exempt", "1")
	}
	pageURL := remediateURL(res)
	m := recommendations.FindingsModel{
		URL: withQuery(resourcePath(res, "/findings"), compactQuery(withPage(q, page))), PageURL: pageURL,
		ShowExempt: f.WithExempt, Severity: f.Severity,
	}
	if res.ResourceKind != "image" {
		return m, nil
	}
	list, err := h.store.RemediationFindings(ctx, f)
	if err != nil {
		return m, err
	}
	if m.Hidden, err = h.store.ExemptFindingCount(ctx, res.ResourceID); err != nil {
		return m, err
	}
	more := len(list) > findingsPerPage
	list = list[:min(len(list), findingsPerPage)]
	back := withQuery(pageURL, compactQuery(withPage(q, page)))
	for _, rf := range list {
		m.Rows = append(m.Rows, remediationFindingRow(rf, res, l, canOperate(c), back))
	}
	m.Pager = offsetPager(pageURL, q, page, findingsPerPage, len(list), more)
	return m, nil
}

func withPage(q url.Values, page int) url.Values {
	v := url.Values{}
	for k, vals := range q {
		v[k] = vals
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

func remediationFindingRow(rf store.RemediationFinding, res store.ResourceRow, l packageLookup, operate bool, back string) recommendations.FindingRow {
	row := recommendations.FindingRow{
		ID: rf.ID, VulnID: rf.VulnID, VulnURL: "/vulnerabilities/" + url.PathEscape(rf.VulnID),
		Summary: rf.Summary, Severity: rf.SeverityLevel, Package: rf.PackageName, Version: rf.PackageVersion,
		PackageType: rf.PackageType, FixedVersion: rf.FixedVersion, Layer: strconv.Itoa(rf.LayerIndex),
	}
	if rf.SeverityScore != nil {
		row.Score = strconv.FormatFloat(*rf.SeverityScore, 'f', 1, 64)
	}
	if rf.BaseLayer {
		row.Layer += " (base)"
	}
	fix, ok := recommend.FixFor(recommend.FixTarget{
		Type: rf.PackageType, Name: rf.PackageName, Version: rf.PackageVersion, FixedVersion: rf.FixedVersion,
		Binaries: l.binaries(rf.PackageType, rf.PackageName), Paths: rf.Paths, BaseLayer: rf.BaseLayer,
	})
	if ok {
		row.Fix = &recommendations.FixBlock{ID: fmt.Sprintf("fix-finding-%d", rf.ID), Text: fix.Text, Note: fix.Note}
	}
	switch {
	case rf.Exemption != nil:
		n := noticeOf(*rf.Exemption, operate, back)
		row.Notice = &n
	case operate:
		f := findingForm(store.FindingTarget{
			FindingID: rf.ID, VulnID: rf.VulnID, Repository: res.Repository,
			PackageName: rf.PackageName, PackageVersion: rf.PackageVersion,
		}, back)
		row.Form = &f
	}
	return row
}
