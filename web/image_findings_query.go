package web

import (
	"net/url"
	"regexp"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/images"
)

// findingsQuery is the image findings table's query string: its filters,
// sort and page.
type findingsQuery struct {
	images.Filters
	Page int
}

var packageTypePattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

func parseFindingsQuery(c echo.Context) findingsQuery {
	q := findingsQuery{Page: pageParam(c)}
	f := &q.Filters
	f.Severity = oneOf(c.QueryParam("severity"), "critical", "high", "medium", "low", "unknown")
	f.Fix = oneOf(c.QueryParam("fix"), "fixed", "no_fix", "will_not_fix")
	if t := c.QueryParam("type"); packageTypePattern.MatchString(t) {
		f.Type = t
	}
	f.Layer = c.QueryParam("layer")
	if _, err := strconv.Atoi(f.Layer); err != nil {
		f.Layer = oneOf(f.Layer, store.LayerBase, store.LayerApplication)
	}
	f.Status = oneOf(c.QueryParam("status"), store.FindingsResolved, store.FindingsAll)
	f.Exempt = oneOf(c.QueryParam("exempt"), store.ExemptionsInclude, store.ExemptionsOnly)
	f.Sort = oneOf(c.QueryParam("sort"), store.FindingSortPackage, store.FindingSortVulnerability, store.FindingSortFixed)
	f.Dir = oneOf(c.QueryParam("dir"), "asc", "desc")
	return q
}

// desc reports the order: by severity worst first unless asked
// otherwise, every other column ascending unless asked otherwise.
func (q findingsQuery) desc() bool {
	if q.Dir != "" {
		return q.Dir == "desc"
	}
	return q.Sort == ""
}

// filtered reports whether any filter narrows the open findings.
func (q findingsQuery) filtered() bool {
	f := q.Filters
	return f.Severity != "" || f.Fix != "" || f.Type != "" || f.Layer != "" || f.Status != "" || f.Exempt != ""
}

func (q findingsQuery) filter(imageID int64) store.FindingFilter {
	return store.FindingFilter{
		ImageID: imageID, Severity: q.Severity, FixStatus: q.Fix, PackageType: q.Type, Layer: q.Layer,
		Status: q.Status, Exemptions: q.Exempt, Sort: q.Sort, Desc: q.desc(),
	}
}

func (q findingsQuery) values() url.Values {
	v := url.Values{}
	setIf(v, "severity", q.Severity)
	setIf(v, "fix", q.Fix)
	setIf(v, "type", q.Type)
	setIf(v, "layer", q.Layer)
	setIf(v, "status", q.Status)
	setIf(v, "exempt", q.Exempt)
	setIf(v, "sort", q.Sort)
	setIf(v, "dir", q.Dir)
	setPage(v, q.Page)
	return v
}

// url is the image page showing this query; withPage and sortedBy
// change one thing of it.
func (q findingsQuery) url(path string) string {
	return withQuery(path, q.values())
}

func (q findingsQuery) withPage(page int) findingsQuery {
	q.Page = page
	return q
}

func (q findingsQuery) sortedBy(key, dir string) findingsQuery {
	q.Sort, q.Dir, q.Page = key, dir, 1
	if key == store.FindingSortSeverity {
		q.Sort = ""
	}
	return q
}
