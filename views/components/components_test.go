package components

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	return renderIn(t, c, "", "")
}

// renderIn renders c between before and after, for pieces that HTML
// allows only inside others, such as a header cell.
func renderIn(t *testing.T, c templ.Component, before, after string) *goquery.Document {
	t.Helper()
	var b strings.Builder
	b.WriteString(before)
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	b.WriteString(after)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestBadgesSayTheirStateInWords(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name  string
		c     templ.Component
		text  string
		class string
	}{
		{name: "critical", c: SeverityBadge("critical"), text: "Critical", class: "sev sev-critical"},
		{name: "none shares unknown's colour", c: SeverityBadge("none"), text: "None", class: "sev sev-unknown"},
		{name: "unexpected level", c: SeverityBadge("<b>"), text: "Unknown", class: "sev sev-unknown"},
		{name: "not scanned", c: HealthBadge(nil), text: "Not scanned", class: "health health-unknown"},
		{name: "healthy", c: HealthBadge(&yes), text: "Healthy", class: "health health-ok"},
		{name: "unhealthy", c: HealthBadge(&no), text: "Unhealthy", class: "health health-bad"},
		{name: "failed scan", c: ScanStateBadge("failed"), text: "Failed", class: "scan-state scan-failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := render(t, tt.c).Find("span")
			if class, _ := s.Attr("class"); s.Text() != tt.text || class != tt.class {
				t.Errorf("badge = %q class %q, want %q class %q", s.Text(), class, tt.text, tt.class)
			}
		})
	}
}

func TestPagerLinksOnlyWhenThereArePages(t *testing.T) {
	one := render(t, PagerNav(Pager{First: 1, Last: 3, Total: 3, Page: 1, Pages: 1}))
	if got := one.Find(`[data-testid="pager-summary"]`).Text(); strings.TrimSpace(got) != "1–3 of 3" || one.Find("a").Length() != 0 {
		t.Errorf("one page: summary %q, %d links", got, one.Find("a").Length())
	}
	mid := render(t, PagerNav(Pager{First: 51, Last: 100, Total: 1234, Page: 2, Pages: 25,
		PrevURL: "/x?page=1", NextURL: "/x?page=3", Target: "findings"}))
	next := mid.Find(`[data-testid="pager-next"]`)
	if href, _ := next.Attr("href"); href != "/x?page=3" || next.AttrOr("hx-target", "") != "#findings" || next.AttrOr("hx-push-url", "") != "true" {
		t.Errorf("next link = %q target %q", href, next.AttrOr("hx-target", ""))
	}
	if got := strings.Join(strings.Fields(mid.Find(`[data-testid="pager-summary"]`).Text()), " "); got != "51–100 of 1,234" {
		t.Errorf("summary = %q", got)
	}
}

func TestSortHeaderTellsAssistiveTechTheOrder(t *testing.T) {
	h := renderIn(t, SortHeader(Sort{Label: "Severity", URL: "/i/1?dir=asc", Target: "findings", Active: true, Desc: true}),
		"<table><tr>", "</tr></table>").Find("th")
	if h.AttrOr("aria-sort", "") != "descending" || h.Find("a").AttrOr("hx-get", "") != "/i/1?dir=asc" {
		t.Errorf("header aria-sort %q, hx-get %q", h.AttrOr("aria-sort", ""), h.Find("a").AttrOr("hx-get", ""))
	}
	other := renderIn(t, SortHeader(Sort{Label: "Package", URL: "/i/1?sort=package"}), "<table><tr>", "</tr></table>").Find("th")
	if other.AttrOr("aria-sort", "") != "none" || other.Find("a[hx-get]").Length() != 0 {
		t.Error("an inactive plain header claims an order or uses htmx")
	}
}

func TestFormats(t *testing.T) {
	at := time.Date(2026, 8, 21, 9, 5, 0, 0, time.FixedZone("CEST", 2*3600))
	for got, want := range map[string]string{
		ShortDigest("sha256:0123456789abcdef0123"): "sha256:0123456789ab",
		ShortDigest("sha256:short"):                "sha256:short",
		FormatTime(&at):                            "2026-08-21 07:05 UTC",
		FormatTime(nil):                            "never",
		FormatBytes(512):                           "512 B",
		FormatBytes(119_756_800):                   "114.2 MiB",
		Number(1234567):                            "1,234,567",
		Number(-1000):                              "-1,000",
		Plural(1, "image", "images"):               "1 image",
		Plural(2000, "image", "images"):            "2,000 images",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
