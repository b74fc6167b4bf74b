package hosts

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

func renderString(t *testing.T, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return betweenTags.ReplaceAllString(b.String(), "><")
}

var betweenTags = regexp.MustCompile(`>\s+<`)

func TestHostsSection(t *testing.T) {
	tests := []struct {
		name    string
		m       SectionModel
		want    []string
		notWant []string
	}{
		{
			name:    "empty, viewer",
			m:       SectionModel{},
			want:    []string{`data-testid="hosts-empty"`, "Install <code>palisade-agent</code>", "An admin can make an enrolment token."},
			notWant: []string{`href="/settings/hosts"`},
		},
		{
			name: "empty, admin",
			m:    SectionModel{CanAdmin: true},
			want: []string{`<a href="/settings/hosts">Make an enrolment token</a>`},
		},
		{
			name: "host before its first snapshot",
			m:    SectionModel{Hosts: []HostRow{{ID: 3, URL: "/hosts/3", Name: "<b>new</b>", Images: "—", Containers: "—"}}},
			want: []string{
				`<tr data-testid="host-row" data-host-id="3">`,
				`data-testid="host-name">&lt;b&gt;new&lt;/b&gt;</a>`,
				`<td data-testid="host-images">—</td>`,
				`<td data-testid="host-failing">—</td>`,
				`<td data-testid="host-last-snapshot">none yet</td>`,
			},
		},
		{
			name: "host with unreadable containers, nothing failing, revoked",
			m: SectionModel{HideHeading: true, Hosts: []HostRow{{ID: 4, URL: "/hosts/4", Name: "web", Images: "2", Containers: "",
				LastSnapshot: "2026-01-02 03:04 UTC", LastSnapshotISO: "2026-01-02T03:04:05Z", Revoked: true}}},
			want: []string{
				`<h2 id="hosts-heading" class="visually-hidden">`,
				`<td data-testid="host-images">2</td>`,
				`<td data-testid="host-containers">not readable</td>`,
				`<td data-testid="host-failing">0</td>`,
				`<time datetime="2026-01-02T03:04:05Z">2026-01-02 03:04 UTC</time>`,
				`data-testid="host-revoked">credential revoked</span>`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html := renderString(t, HostsSection(tt.m))
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("section lacks %s\n%s", w, html)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(html, w) {
					t.Errorf("section has %s", w)
				}
			}
		})
	}
}

func TestResultRowOffersExemptOnlyWithOptions(t *testing.T) {
	m := ShowModel{Host: HostRow{ID: 9, Name: "h", LastSnapshot: "x"}, CanExempt: true, Sections: []SectionGroup{{
		Name: "5 Container runtime",
		Results: []ResultRow{
			{ControlID: "5.5", Title: "Containers are not privileged", Level: 1, Resource: "container priv (abc)", ResourceKind: "container",
				Status: "fail", StatusLabel: "fail", Evidence: "runs privileged",
				ExemptOptions: []ExemptOption{{Value: "priv", Label: "this container (priv)"}, {Value: "", Label: "every resource on this host"}}},
			{ControlID: "5.4", Title: "Capabilities", Level: 1, Resource: "container calm (def)", ResourceKind: "container",
				Status: "not_applicable", StatusLabel: "not applicable", Exempt: true, Justification: "lab"},
		},
	}}}
	html := renderString(t, Show(m))
	for _, w := range []string{
		`<h3>5 Container runtime</h3>`,
		`<tr data-testid="result" data-control="5.5" data-status="fail" data-kind="container">`,
		`<span class="control-status control-status-fail" data-testid="status-badge">fail</span>`,
		`<span class="control-status control-status-not_applicable" data-testid="status-badge">not applicable</span>`,
		`action="/hosts/9/exemptions"`,
		`<option value="priv">this container (priv)</option><option value="">every resource on this host</option>`,
		`<em>Exempt: lab</em>`,
	} {
		if !strings.Contains(html, w) {
			t.Errorf("host page lacks %s", w)
		}
	}
	if n := strings.Count(html, `data-testid="exempt-button"`); n != 1 {
		t.Errorf("%d exempt buttons, want 1 (the result with options)", n)
	}
}
