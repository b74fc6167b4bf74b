package advisory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Range types defined by the OSV schema. Only SEMVER and ECOSYSTEM ranges
// take part in matching; GIT ranges name commits, which an image inventory
// never has.
const (
	RangeSemver    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// maxIDLength bounds advisory ids; real ids are short (GHSA-xxxx-xxxx-xxxx,
// DEBIAN-CVE-2024-12345) and the importer uses them as keys.
const maxIDLength = 256

// Record is one OSV advisory, holding the fields Palisade uses. Fields the
// schema allows to be absent are left at their zero value.
type Record struct {
	SchemaVersion string          `json:"schema_version,omitempty"`
	ID            string          `json:"id"`
	Modified      time.Time       `json:"-"`
	Published     time.Time       `json:"-"`
	Withdrawn     time.Time       `json:"-"`
	Aliases       []string        `json:"aliases,omitempty"`
	Related       []string        `json:"related,omitempty"`
	Upstream      []string        `json:"upstream,omitempty"`
	Summary       string          `json:"summary,omitempty"`
	Details       string          `json:"details,omitempty"`
	Severity      []SeverityScore `json:"severity,omitempty"`
	Affected      []Affected      `json:"affected,omitempty"`
	References    []Reference     `json:"references,omitempty"`

	// DatabaseSpecific is kept raw: its shape belongs to each database
	// (GHSA puts its severity word there, Go its review status).
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`

	// Warnings lists what ParseRecord tolerated: ranges it will ignore,
	// timestamps it could not read. Matching skips exactly those parts.
	Warnings []string `json:"-"`
}

// IsWithdrawn reports whether the feed has withdrawn the record.
func (r *Record) IsWithdrawn() bool {
	return !r.Withdrawn.IsZero()
}

// SeverityScore is one entry of an OSV severity array: a type such as
// CVSS_V3, CVSS_V4 or Ubuntu, and a score whose form depends on the type.
type SeverityScore struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected names one package and the versions of it a record affects.
type Affected struct {
	Package  Package         `json:"package"`
	Severity []SeverityScore `json:"severity,omitempty"`
	Ranges   []Range         `json:"ranges,omitempty"`
	Versions []string        `json:"versions,omitempty"`

	// EcosystemSpecific and DatabaseSpecific are kept raw; severity.go and
	// match.go read the few keys they know (Debian urgency, Ubuntu priority).
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Package identifies a package inside an ecosystem. The ecosystem may carry
// a release suffix, as in "Debian:12" or "Alpine:v3.20".
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Purl      string `json:"purl,omitempty"`
}

// Range is one range of affected versions, expressed as events.
type Range struct {
	Type             string          `json:"type"`
	Repo             string          `json:"repo,omitempty"`
	Events           []Event         `json:"events"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event is one point of a range. Exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link attached to a record.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// wireRecord decodes the timestamps as strings so that a malformed one costs
// a warning instead of the whole record.
type wireRecord struct {
	Record
	Modified  string `json:"modified"`
	Published string `json:"published"`
	Withdrawn string `json:"withdrawn"`
}

// ParseRecord decodes one OSV record and checks it.
//
// Only two things reject a record: bytes that are not one JSON object of the
// OSV shape, and a missing (or absurdly long) id. Everything else that is
// wrong is tolerated and described in Record.Warnings, because dropping a
// whole advisory over one bad range would hide the vulnerability its other
// ranges describe. In particular a range of unknown type, a range without
// events, an event that sets no or several fields, an event version the
// ecosystem's ordering cannot parse, and an ECOSYSTEM range in an ecosystem
// without a known ordering each make that range (or event) ignored by
// matching, with one warning each. A range without an introduced event is
// read as starting at "0", the conservative choice, also with a warning.
// Size limits are the readers' job (see Limits); ParseRecord trusts its input
// to fit in memory.
func ParseRecord(data []byte) (*Record, error) {
	var w wireRecord

	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode json: unexpected data after the record")
	}

	rec := &w.Record
	switch {
	case rec.ID == "":
		return nil, errors.New("missing id")
	case len(rec.ID) > maxIDLength:
		return nil, fmt.Errorf("id longer than %d bytes", maxIDLength)
	}

	rec.Modified = parseTime(rec, "modified", w.Modified)
	rec.Published = parseTime(rec, "published", w.Published)
	rec.Withdrawn = parseTime(rec, "withdrawn", w.Withdrawn)

	for i := range rec.Affected {
		rec.Warnings = append(rec.Warnings, checkAffected(i, &rec.Affected[i])...)
	}
	return rec, nil
}

// parseTime reads an RFC 3339 timestamp. The Go database publishes
// 0001-01-01T00:00:00Z, which parses to the zero time like an absent field.
func parseTime(rec *Record, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}

	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("%s: invalid timestamp %q", field, s))
		return time.Time{}
	}
	return t
}

// checkAffected returns the warnings for one affected entry, prefixed with
// its position, by compiling it the way matching will.
func checkAffected(i int, a *Affected) []string {
	prefix := fmt.Sprintf("affected[%d]", i)

	if a.Package.Name == "" || a.Package.Ecosystem == "" {
		if !onlyGitRanges(a) {
			return []string{prefix + ": missing package name or ecosystem; entry ignored"}
		}
		return nil
	}

	_, warnings := compileAffected(a)
	for j, w := range warnings {
		warnings[j] = prefix + w
	}
	return warnings
}

// onlyGitRanges reports whether an entry carries nothing but GIT ranges, the
// shape of records that track a repository rather than a package; those may
// leave the package out and are not worth a warning.
func onlyGitRanges(a *Affected) bool {
	if len(a.Versions) > 0 {
		return false
	}
	for _, r := range a.Ranges {
		if r.Type != RangeGit {
			return false
		}
	}
	return true
}
