package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/hostbench"
	"github.com/palisadesec/palisade/internal/store"
	hostsview "github.com/palisadesec/palisade/views/hosts"
)

// maxHostResultsShown bounds a host page: a host with thousands of containers
// has tens of thousands of results, which the CSV export carries instead.
const maxHostResultsShown = 3000

// hostResultFilters are the status filter's choices, in the order shown.
var hostResultFilters = []struct{ value, label string }{
	{"", "All"}, {"fail", "Fail"}, {"info", "Info"}, {"manual", "Manual"},
	{"pass", "Pass"}, {"not_applicable", "Not applicable"}, {"exempt", "Exempt"},
}

// hostShow is a host's page: its latest benchmark results grouped by
// section, filtered by status, with its exemptions.
func (h *Handler) hostShow(c echo.Context) error {
	m, err := h.hostShowModel(c, c.QueryParam("status"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, hostsview.Show(m))
}

// hostShowModel loads what a host's page shows; forms that fail re-render
// it with their error.
func (h *Handler) hostShowModel(c echo.Context, status string) (hostsview.ShowModel, error) {
	if err := h.hostsReady(); err != nil {
		return hostsview.ShowModel{}, err
	}
	id, err := hostParamID(c, "id")
	if err != nil {
		return hostsview.ShowModel{}, err
	}
	f, err := parseHostResultFilter(status)
	if err != nil {
		return hostsview.ShowModel{}, err
	}
	ctx := c.Request().Context()
	host, err := h.store.HostByID(ctx, id)
	if err != nil {
		return hostsview.ShowModel{}, err
	}

	f.Limit = maxHostResultsShown
	results, err := h.store.HostResults(ctx, id, f)
	if err != nil {
		return hostsview.ShowModel{}, err
	}
	counts, err := h.store.HostResultCounts(ctx, id)
	if err != nil {
		return hostsview.ShowModel{}, err
	}
	exemptions, err := h.store.HostExemptions(ctx, id)
	if err != nil {
		return hostsview.ShowModel{}, err
	}

	role := principalOf(c).Role
	m := hostsview.ShowModel{
		Page: h.page(c, host.Name, "containers"), Host: hostRow(host), AgentVersion: host.AgentVersion,
		CanExempt: role.AtLeast(auth.RoleOperator), CanAdmin: role.AtLeast(auth.RoleAdmin),
		Shown: len(results), Matching: hostMatching(counts, status),
		CSVURL: hostPath(id) + "/results.csv" + hostStatusQuery(status),
	}
	if host.LastCollectedAt != nil {
		m.LastCollected = hostTime(*host.LastCollectedAt)
	}
	m.Filters = hostFilters(id, status, counts)
	m.Sections = hostGroupResults(results, m.CanExempt)
	for _, x := range exemptions {
		m.Exemptions = append(m.Exemptions, hostExemptionRow(x))
	}
	return m, nil
}

func parseHostResultFilter(status string) (store.HostResultFilter, error) {
	switch status {
	case "":
		return store.HostResultFilter{}, nil
	case "exempt":
		return store.HostResultFilter{ExemptOnly: true}, nil
	case "fail", "info", "manual", "pass", "not_applicable":
		return store.HostResultFilter{Status: status}, nil
	}
	return store.HostResultFilter{}, echo.NewHTTPError(http.StatusBadRequest,
		"status must be one of fail, info, manual, pass, not_applicable and exempt")
}

func hostPath(id int64) string {
	return "/hosts/" + strconv.FormatInt(id, 10)
}

func hostStatusQuery(status string) string {
	if status == "" {
		return ""
	}
	return "?status=" + url.QueryEscape(status)
}

// hostMatching is how many results the filter status keeps.
func hostMatching(counts map[string]int, status string) int {
	if status != "" {
		return counts[status]
	}
	n := 0
	for k, v := range counts {
		if k != "exempt" {
			n += v
		}
	}
	return n
}

func hostFilters(id int64, current string, counts map[string]int) []hostsview.Filter {
	out := make([]hostsview.Filter, 0, len(hostResultFilters))
	for _, f := range hostResultFilters {
		value := f.value
		if value == "" {
			value = "all"
		}
		out = append(out, hostsview.Filter{
			Label: f.label, Value: value, Count: hostMatching(counts, f.value),
			URL: hostPath(id) + hostStatusQuery(f.value), Current: f.value == current,
		})
	}
	return out
}

// hostGroupResults groups results by benchmark section, keeping their order.
func hostGroupResults(results []store.HostResult, canExempt bool) []hostsview.SectionGroup {
	var out []hostsview.SectionGroup
	for _, r := range results {
		if len(out) == 0 || out[len(out)-1].Name != r.Section {
			out = append(out, hostsview.SectionGroup{Name: r.Section})
		}
		g := &out[len(out)-1]
		g.Results = append(g.Results, hostResultRow(r, canExempt))
	}
	return out
}

func hostResultRow(r store.HostResult, canExempt bool) hostsview.ResultRow {
	res := hostbench.Resource{Kind: hostbench.ResourceKind(r.ResourceKind), ID: r.ResourceID, Name: r.ResourceName}
	row := hostsview.ResultRow{
		ControlID: r.ControlID, Title: r.Title, Level: r.Level, Resource: res.String(),
		ResourceKind: r.ResourceKind, Status: r.Status, StatusLabel: strings.ReplaceAll(r.Status, "_", " "),
		Evidence: r.Evidence, Remediation: r.Remediation, Exempt: r.Exempt, Justification: r.Justification,
	}
	if canExempt && r.Status == string(hostbench.StatusFail) && !r.Exempt {
		row.ExemptOptions = hostExemptOptions(res)
	}
	return row
}

// hostExemptOptions are what an exemption made from a failed result can cover:
// that resource, or the control on every resource of the host. Containers
// are named by name, which survives re-creation; images by ID, since a tag
// can move to a new build.
func hostExemptOptions(res hostbench.Resource) []hostsview.ExemptOption {
	every := hostsview.ExemptOption{Value: "", Label: "every resource on this host"}
	switch res.Kind {
	case hostbench.KindContainer:
		v := res.Name
		if v == "" {
			v = res.ID
		}
		return []hostsview.ExemptOption{{Value: v, Label: "this container (" + v + ")"}, every}
	case hostbench.KindImage:
		return []hostsview.ExemptOption{{Value: res.ID, Label: "this image (" + res.String() + ")"}, every}
	}
	return []hostsview.ExemptOption{{Value: "host", Label: "this host"}}
}

func hostExemptionRow(x store.HostExemption) hostsview.ExemptionRow {
	row := hostsview.ExemptionRow{
		ID: x.ID, ControlID: x.ControlID, AppliesTo: x.Resource, Justification: x.Justification,
		CreatedBy: x.CreatedByName, CreatedAt: hostTime(x.CreatedAt),
	}
	if c, ok := hostbench.ControlByID(x.ControlID); ok {
		row.Title = c.Title
	}
	switch x.Resource {
	case "":
		row.AppliesTo = "every resource on this host"
	case "host":
		row.AppliesTo = "the host itself"
	}
	return row
}
