package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/recommend"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/recommendations"
)

// resourcesPerPage is how many affected resources a page lists.
const resourcesPerPage = 50

// recommendationShow is one recommendation: its description, the steps
// that fix it summed over the affected resources, and the resources,
// unhealthy ones by default.
func (h *Handler) recommendationShow(c echo.Context) error {
	rec, err := catalogueEntry(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	f, page := resourceFilter(c, rec.ID), pageParam(c)
	f.Limit, f.Offset = resourcesPerPage+1, (page-1)*resourcesPerPage

	counts, err := h.store.RecommendationCounts(ctx)
	if err != nil {
		return err
	}
	list, err := h.store.RecommendationResources(ctx, f)
	if err != nil {
		return err
	}
	more := len(list) > resourcesPerPage
	list = list[:min(len(list), resourcesPerPage)]
	rows, err := h.resourceRows(c, rec, list)
	if err != nil {
		return err
	}

	n := counts[rec.ID]
	q := resourceQuery(f)
	m := recommendations.ShowModel{
		Page: h.page(c, rec.Title, "recommendations"), ID: rec.ID, Title: rec.Title, Severity: rec.Severity,
		Description: strings.Join(strings.Fields(rec.Description), " "), ResourceKind: rec.ResourceKind,
		ResourceNoun: rec.ResourceKind + "s", Status: listRow(rec, n).Status,
		Counts: recommendations.Counts{Unhealthy: n.Unhealthy, Healthy: n.Healthy, Exempt: n.Exempt,
			NotApplicable: n.NotApplicable, Total: n.Total()},
		Steps: recommendations.StepsModel{URL: "/recommendations/" + rec.ID + "/steps", ResourceKind: rec.ResourceKind},
		Tabs:  resourceTabs(rec.ID, f, n), Show: showValue(f.Show),
		SeverityF: f.Severity, Search: f.Search, Resources: rows,
		Pager:  offsetPager("/recommendations/"+rec.ID, q, page, resourcesPerPage, len(rows), more),
		CSVURL: withQuery("/recommendations/"+rec.ID+"/export.csv", compactQuery(q)),
		Empty:  emptyResources(rec, f, n),
	}
	return render(c, http.StatusOK, recommendations.Show(m))
}

func showValue(s string) string {
	if s == "" {
		return store.ShowUnhealthy
	}
	return s
}

// resourceFilter reads the affected-resource filters of a request.
func resourceFilter(c echo.Context, recID string) store.ResourceFilter {
	return store.ResourceFilter{
		RecommendationID: recID,
		Show:             oneOf(c.QueryParam("show"), store.ShowHealthy, store.ShowExempt, store.ShowAll),
		Severity:         oneOf(c.QueryParam("severity"), severityLevels...),
		Search:           strings.TrimSpace(c.QueryParam("q")),
	}
}

func resourceQuery(f store.ResourceFilter) url.Values {
	return url.Values{"show": {f.Show}, "severity": {f.Severity}, "q": {f.Search}}
}

func resourceTabs(recID string, f store.ResourceFilter, n store.RecommendationCounts) []recommendations.Tab {
	tabs := []recommendations.Tab{
		{Label: "Unhealthy", Value: store.ShowUnhealthy, Count: n.Unhealthy},
		{Label: "Healthy", Value: store.ShowHealthy, Count: n.Healthy},
		{Label: "Exempt", Value: store.ShowExempt, Count: n.Exempt},
		{Label: "All", Value: store.ShowAll, Count: n.Total()},
	}
	for i := range tabs {
		t := &tabs[i]
		show := t.Value
		if show == store.ShowUnhealthy {
			show = ""
		}
		t.URL = withQuery("/recommendations/"+recID, compactQuery(url.Values{"show": {show}, "severity": {f.Severity}, "q": {f.Search}}))
		t.Current = showValue(f.Show) == t.Value
	}
	return tabs
}

func emptyResources(rec recommend.Recommendation, f store.ResourceFilter, n store.RecommendationCounts) string {
	switch {
	case n.Total() == 0 && rec.ResourceKind == "image":
		return "No image has been scanned yet. Connect a registry under Containers and push an image."
	case n.Total() == 0:
		return "No " + rec.ResourceKind + " has been assessed yet."
	case f.Severity != "" || f.Search != "":
		return "No resource matches these filters."
	case showValue(f.Show) == store.ShowUnhealthy:
		return fmt.Sprintf("Nothing to do: none of the %d assessed %ss is unhealthy.", n.Total(), rec.ResourceKind)
	}
	return "None."
}

// recommendationSteps is the partial with the remediation steps summed
// over the affected resources, which the page loads after it is shown.
func (h *Handler) recommendationSteps(c echo.Context) error {
	rec, err := catalogueEntry(c)
	if err != nil {
		return err
	}
	totals, err := h.store.RecommendationStepTotals(c.Request().Context(), rec.ID, 20)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, recommendations.Steps(recommendations.StepsModel{
		URL: "/recommendations/" + rec.ID + "/steps", Loaded: true, ResourceKind: rec.ResourceKind,
		Steps: stepRows(totals),
	}))
}

func stepRows(totals []store.StepTotal) []recommendations.StepRow {
	rows := make([]recommendations.StepRow, 0, len(totals))
	for _, t := range totals {
		rows = append(rows, recommendations.StepRow{
			Text: stepTotalText(t), Worst: t.Worst, Resources: t.Resources, Findings: t.Findings,
		})
	}
	return rows
}

func stepTotalText(t store.StepTotal) string {
	switch t.Kind {
	case "upgrade":
		return fmt.Sprintf("Upgrade %s (%s) to %s", t.Package, t.Type, t.To)
	case "rebuild_base":
		return "Rebuild on a newer base image: the vulnerable packages come from the base image's layers"
	case "no_fix":
		return "No fix is published yet: mitigate, or exempt with a justification"
	}
	return t.Kind
}

// resourceName names an assessed resource.
func resourceName(r store.ResourceRow) string {
	if r.ResourceKind == "image" && r.Repository != "" {
		return imageName(r.Repository, r.Tags, r.ImageDigest)
	}
	return r.ResourceKind + " " + strconv.FormatInt(r.ResourceID, 10)
}

func resourceURL(r store.ResourceRow) string {
	if r.ResourceKind == "image" {
		return "/images/" + strconv.FormatInt(r.ResourceID, 10)
	}
	return ""
}

func remediateURL(r store.ResourceRow) string {
	return fmt.Sprintf("/recommendations/%s/resources/%d", url.PathEscape(r.RecommendationID), r.ResourceID)
}

// resourceStatus is what a page says of a resource's state.
func resourceStatus(r store.ResourceRow) string {
	if r.Exempt {
		return "exempt"
	}
	return r.Status
}

// resourceRows builds the table rows, with the exemption of each exempt
// resource and an exempt form for operators on the others.
func (h *Handler) resourceRows(c echo.Context, rec recommend.Recommendation, list []store.ResourceRow) ([]recommendations.ResourceRow, error) {
	var exemptIDs []int64
	for _, r := range list {
		if r.Exempt {
			exemptIDs = append(exemptIDs, r.ResourceID)
		}
	}
	exemptions := map[int64]store.Exemption{}
	if len(exemptIDs) > 0 {
		var err error
		exemptions, err = h.store.ActiveResourceExemptions(c.Request().Context(), rec.ID, rec.ResourceKind, exemptIDs)
		if err != nil {
			return nil, err
		}
	}
	operate, back := canOperate(c), currentPath(c)
	rows := make([]recommendations.ResourceRow, 0, len(list))
	for _, r := range list {
		row := recommendations.ResourceRow{
			ID: r.ResourceID, Name: resourceName(r), Digest: shortDigest(r.ImageDigest),
			ResourceURL: resourceURL(r), RemediateURL: remediateURL(r),
			Critical: r.Critical, High: r.High, Medium: r.Medium, Low: r.Low, Unknown: r.Unknown,
			Status: resourceStatus(r), Severity: r.Severity, ScannedAt: whenPtr(r.ScannedAt),
		}
		if e, ok := exemptions[r.ResourceID]; ok {
			n := noticeOf(e, operate, back)
			row.Notice = &n
		} else if operate {
			f := resourceForm(r, back)
			row.Form = &f
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// recommendationResourcesCSV exports the affected resources with the
// page's filters, in the page's order, streamed from the database.
func (h *Handler) recommendationResourcesCSV(c echo.Context) error {
	rec, err := catalogueEntry(c)
	if err != nil {
		return err
	}
	f := resourceFilter(c, rec.ID)
	header := []string{"resource_kind", "resource_id", "repository", "tags", "digest", "platform", "status",
		"worst_severity", "critical", "high", "medium", "low", "unknown", "last_scan", "remediation"}
	return h.streamCSVExport(c, rec.ID+"-resources.csv", header, func(write func([]string) error) error {
		return h.store.ForEachRecommendationResource(c.Request().Context(), f, func(r store.ResourceRow) error {
			return write([]string{r.ResourceKind, strconv.FormatInt(r.ResourceID, 10), r.Repository, r.Tags,
				r.ImageDigest, r.Platform, resourceStatus(r), r.Severity, strconv.Itoa(r.Critical),
				strconv.Itoa(r.High), strconv.Itoa(r.Medium), strconv.Itoa(r.Low), strconv.Itoa(r.Unknown),
				whenPtr(r.ScannedAt), stepsText(r.Details)})
		})
	})
}

// stepsText is the remediation steps stored with an assessment, as one
// line.
func stepsText(details []byte) string {
	var d recommend.ImageDetails
	if json.Unmarshal(details, &d) != nil {
		return ""
	}
	texts := make([]string, 0, len(d.Steps))
	for _, s := range d.Steps {
		texts = append(texts, s.Text)
	}
	return strings.Join(texts, "; ")
}
