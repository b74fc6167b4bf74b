package auth

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/palisadesec/palisade/views/auth/viewer"
	"github.com/palisadesec/palisade/views/layout"
)

func renderString(t *testing.T, ctx context.Context, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(ctx, &b); err != nil {
		t.Fatal(err)
	}
	// templ keeps some whitespace between elements; the checks ignore it.
	return betweenTags.ReplaceAllString(b.String(), "><")
}

var betweenTags = regexp.MustCompile(`>\s+<`)

func TestRefusedShowsWhatArrivedAndWhatIsExpected(t *testing.T) {
	settings := RoleSettings{Claim: "groups", AdminGroups: []string{"palisade-admins"}, DefaultRole: "none"}
	tests := []struct {
		name    string
		arrived Arrived
		want    []string
	}{
		{name: "claim missing", arrived: Arrived{}, want: []string{"The claim was not in the token."}},
		{name: "claim empty", arrived: Arrived{Present: true}, want: []string{"None (the claim was empty)."}},
		{
			name:    "values escaped",
			arrived: Arrived{Present: true, Values: []string{"staff", "<script>x</script>"}, Ignored: "non-string values ignored: 7"},
			want:    []string{"<code>staff</code>", "<code>&lt;script&gt;x&lt;/script&gt;</code>", "non-string values ignored: 7"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html := renderString(t, context.Background(), Refused(RefusedModel{
				Page: layout.Page{Title: "Sign-in refused"}, Name: "Nora", Email: "nora@example.test",
				Arrived: tt.arrived, Settings: settings, Reason: "no value maps",
			}))
			want := append(tt.want,
				`<strong data-testid="refused-name">Nora</strong> (nora@example.test),`,
				`<td data-testid="expected-admin"><code>palisade-admins</code></td>`,
				`<td data-testid="expected-operator">(none configured)</td>`,
				"Why: no value maps.")
			for _, w := range want {
				if !strings.Contains(html, w) {
					t.Errorf("refusal page lacks %q", w)
				}
			}
			if strings.Contains(html, "<script>x") {
				t.Error("a claim value reached the page unescaped")
			}
		})
	}
}

func TestUserMenuAndCSRFField(t *testing.T) {
	ctx := viewer.With(context.Background(), viewer.Viewer{Name: "Olga", Role: "operator", CSRFToken: "tok\"en", CanSignOut: true})
	html := renderString(t, ctx, layout.Base(layout.Page{Title: "x"}))
	for _, w := range []string{
		`<meta name="csrf-token" content="tok&#34;en">`,
		`hx-headers="{&#34;X-CSRF-Token&#34;:&#34;tok\&#34;en&#34;}"`,
		`<a href="/me" data-testid="user-name">Olga</a>`,
		`<span data-testid="user-role">operator</span>`,
		`<form id="sign-out-form" method="post" action="/auth/logout" hx-boost="false" hidden><input type="hidden" name="_csrf" value="tok&#34;en"></form>`,
	} {
		if !strings.Contains(html, w) {
			t.Errorf("page shell lacks %q", w)
		}
	}

	anon := renderString(t, viewer.With(context.Background(), viewer.Viewer{CSRFToken: "t"}), layout.Base(layout.Page{Title: "x"}))
	if strings.Contains(anon, "user-menu") || strings.Contains(anon, "sign-out") {
		t.Error("the anonymous see a user menu")
	}
	local := renderString(t, viewer.With(context.Background(), viewer.Viewer{Name: "local admin", Role: "admin", CSRFToken: "t"}), layout.Base(layout.Page{Title: "x"}))
	if !strings.Contains(local, "local admin") || strings.Contains(local, "sign-out-form") {
		t.Error("local mode must name the local admin and offer no sign-out")
	}
}
