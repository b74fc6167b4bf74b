// Package vulnerabilities holds the vulnerability page, which answers
// "where do we have CVE-X?": what the advisories say about it and every
// image with a package it affects.
package vulnerabilities

import (
	"time"

	"github.com/palisadesec/palisade/views/components"
	"github.com/palisadesec/palisade/views/layout"
)

// PageModel is the vulnerability page.
type PageModel struct {
	Page layout.Page
	// ID is what was asked for; Keys the vulnerabilities it names.
	ID   string
	Keys []string
	// Severity is the worst level the advisories give, with its source.
	Severity       string
	Score          string
	SeveritySource string
	Aliases        []string
	Advisories     []Advisory
	Affected       AffectedModel
}

// Advisory is one stored record about the vulnerability.
type Advisory struct {
	ID             string
	Feed           string
	Summary        string
	Details        string
	Severity       string
	Score          string
	Vector         string
	SeveritySource string
	Published      *time.Time
	Modified       *time.Time
	// State is "withdrawn" or "retired" for records no longer in force.
	State      string
	References []Reference
}

// Reference is one link of an advisory.
type Reference struct {
	Type, URL string
}

// Option is one choice of a filter.
type Option struct {
	Value, Label string
}

// AffectedModel is the table of affected images.
type AffectedModel struct {
	Action    string
	Status    string
	Exempt    string
	Sort      string
	Dir       string
	Sorts     []components.Sort
	Rows      []AffectedRow
	Images    int
	Pager     components.Pager
	ExportURL string
}

// AffectedRow is one package of one image.
type AffectedRow struct {
	ImageURL   string
	Registry   string
	Repository string
	Tags       []string
	Digest     string
	Platform   string
	Package    string
	Type       string
	Version    string
	Fixed      string
	FixStatus  string
	Severity   string
	Status     string
	Base       bool
	Exemption  string
}

// NotFoundModel is the page for an id nobody knows.
type NotFoundModel struct {
	Page layout.Page
	ID   string
}

// Statuses are the finding state filter's choices; "" is open.
var Statuses = []Option{{"", "Open"}, {"resolved", "Resolved"}, {"all", "All"}}

// ExemptChoices are the exemption filter's choices.
var ExemptChoices = []Option{{"", "Hide exempt"}, {"include", "Include exempt"}, {"only", "Only exempt"}}
