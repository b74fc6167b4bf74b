package advisory

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// ErrInvalidVersion is matched (with errors.Is) by every error that reports
// an installed version the ecosystem's ordering cannot read. Callers count
// these and move on to the next package.
var ErrInvalidVersion = errors.New("invalid version")

// VersionError reports a version that could not be parsed or compared.
type VersionError struct {
	Ecosystem string
	Version   string
	Err       error
}

// Error describes the version and why it was refused.
func (e *VersionError) Error() string {
	return fmt.Sprintf("parse %s version %q: %v", e.Ecosystem, e.Version, e.Err)
}

// Unwrap returns the underlying parse error.
func (e *VersionError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrInvalidVersion) true for every VersionError.
func (e *VersionError) Is(target error) bool { return target == ErrInvalidVersion }

// FixStatus says whether a fix exists for an affected version.
type FixStatus string

// Fix statuses. A version that is not affected has no status.
const (
	// FixStatusFixed means a fixed version exists; Verdict.FixedVersion names it.
	FixStatusFixed FixStatus = "fixed"
	// FixStatusNoFix means the version is affected and the feed names no fix.
	FixStatusNoFix FixStatus = "no_fix"
	// FixStatusWillNotFix means the feed says no fix is planned; see
	// feedWillNotFix for the shapes that say so.
	FixStatusWillNotFix FixStatus = "will_not_fix"
)

// Verdict is the outcome of matching one version against affected entries.
type Verdict struct {
	Affected     bool
	FixedVersion string
	FixStatus    FixStatus
}

// EcosystemBase strips the release suffix from an OSV ecosystem name:
// "Debian:12" becomes "Debian", "Alpine:v3.20" becomes "Alpine" and
// "Red Hat:rhel_aus:8.6::appstream" becomes "Red Hat". Versions are ordered
// by the base; matching still requires the full name to be equal.
func EcosystemBase(ecosystem string) string {
	base, _, _ := strings.Cut(ecosystem, ":")
	return base
}

// MatchAffected decides whether version of a package in ecosystem falls in
// entry a. The ecosystem must equal a.Package.Ecosystem exactly, or the
// answer is "not affected". A version is affected when it is listed in
// a.Versions (compared as strings and, where the ecosystem has an ordering,
// as equal versions) or falls inside a SEMVER or ECOSYSTEM range:
// introduced is inclusive, fixed and limit are exclusive, last_affected is
// inclusive, and introduced "0" means from the first version. GIT ranges are
// ignored. The fixed version reported is the smallest fixed event above the
// installed version that is itself outside every range of the entry, so an
// upgrade to it really leaves the advisory behind. An installed version that
// cannot be parsed returns a *VersionError and never panics.
//
// MatchAffected sees only the entry; Index.Lookup also merges the entries of
// one record that name the same package and honours record-level signals.
func MatchAffected(a *Affected, ecosystem, version string) (Verdict, error) {
	if a.Package.Ecosystem != ecosystem {
		return Verdict{}, nil
	}

	c, _ := compileAffected(a)
	return matchGroup([]*compiledAffected{&c}, newQuery(ecosystem, version))
}

// eventKind orders events that share a version: introduced sorts first, so
// "introduced X, fixed X" leaves X unaffected and "introduced X,
// last_affected X" leaves X affected.
type eventKind uint8

const (
	eventIntroduced eventKind = iota
	eventFixed
	eventLastAffected
	eventLimit
)

type compiledEvent struct {
	kind eventKind
	raw  string
	v    semantic.Version // nil for introduced "0"
}

// compiledRange is a range whose events are parsed and sorted, ready to be
// walked once per lookup.
type compiledRange struct {
	semver bool // SEMVER ranges order by semver whatever the ecosystem
	events []compiledEvent
}

// compiledAffected is an affected entry prepared for matching.
type compiledAffected struct {
	ecosystem  string
	ranges     []compiledRange
	versions   []string           // explicit versions, as written
	ordered    []semantic.Version // the same, parsed and sorted; nil without an ordering
	willNotFix bool
}

// compileAffected parses and sorts what matching needs from a. It returns
// warnings (each starting with a position such as ".ranges[1]") for the
// parts it had to leave out; ParseRecord reports them.
func compileAffected(a *Affected) (compiledAffected, []string) {
	c := compiledAffected{
		ecosystem:  a.Package.Ecosystem,
		versions:   a.Versions,
		willNotFix: feedWillNotFix(a),
	}

	var warnings []string
	for j := range a.Ranges {
		r, ws := compileRange(c.ecosystem, &a.Ranges[j])
		for _, w := range ws {
			warnings = append(warnings, fmt.Sprintf(".ranges[%d]: %s", j, w))
		}
		if r != nil {
			c.ranges = append(c.ranges, *r)
		}
	}

	c.ordered = orderVersions(c.ecosystem, a.Versions)
	return c, warnings
}

// compileRange returns nil for a range matching must ignore, and says why.
func compileRange(ecosystem string, r *Range) (*compiledRange, []string) {
	switch r.Type {
	case RangeSemver, RangeEcosystem:
	case RangeGit:
		return nil, nil
	case "":
		return nil, []string{"missing range type; range ignored"}
	default:
		return nil, []string{fmt.Sprintf("unknown range type %q; range ignored", r.Type)}
	}
	if len(r.Events) == 0 {
		return nil, []string{"no events; range ignored"}
	}

	cr := &compiledRange{semver: r.Type == RangeSemver}
	if !cr.semver && !hasOrdering(ecosystem) {
		return nil, []string{fmt.Sprintf("no version ordering for ecosystem %q; range ignored", ecosystem)}
	}

	var warnings []string
	for k, e := range r.Events {
		ce, err := compileEvent(cr.semver, ecosystem, e)
		if err != nil {
			return nil, append(warnings, fmt.Sprintf("events[%d]: %v; range ignored", k, err))
		}
		if ce == nil {
			warnings = append(warnings, fmt.Sprintf(
				"events[%d]: want exactly one of introduced, fixed, last_affected, limit; event ignored", k))
			continue
		}
		cr.events = append(cr.events, *ce)
	}

	if !slices.ContainsFunc(cr.events, func(e compiledEvent) bool { return e.kind == eventIntroduced }) {
		warnings = append(warnings, `no introduced event; read as introduced "0"`)
		cr.events = append(cr.events, compiledEvent{kind: eventIntroduced, raw: "0"})
	}

	sortEvents(cr.events)
	return cr, warnings
}

// compileEvent returns nil, nil for an event that does not set exactly one
// field.
func compileEvent(semver bool, ecosystem string, e Event) (*compiledEvent, error) {
	var set []compiledEvent
	for _, c := range []compiledEvent{
		{kind: eventIntroduced, raw: e.Introduced},
		{kind: eventFixed, raw: e.Fixed},
		{kind: eventLastAffected, raw: e.LastAffected},
		{kind: eventLimit, raw: e.Limit},
	} {
		if c.raw != "" {
			set = append(set, c)
		}
	}
	if len(set) != 1 {
		return nil, nil
	}

	ce := set[0]
	if ce.kind == eventIntroduced && ce.raw == "0" {
		return &ce, nil
	}

	v, err := parseVersion(semver, ecosystem, ce.raw)
	if err != nil {
		return nil, err
	}
	ce.v = v
	return &ce, nil
}

// sortEvents orders events by version, with introduced "0" first and ties
// broken by kind. A comparison error cannot happen between versions of one
// scheme; if it did, the pair would keep its order.
func sortEvents(events []compiledEvent) {
	slices.SortStableFunc(events, func(a, b compiledEvent) int {
		switch {
		case a.v == nil && b.v == nil:
			return 0
		case a.v == nil:
			return -1
		case b.v == nil:
			return 1
		}

		if c, err := a.v.Compare(b.v); err == nil && c != 0 {
			return c
		}
		return int(a.kind) - int(b.kind)
	})
}

// orderVersions parses and sorts an explicit versions list so that lookups
// can binary-search it. Entries that fail to parse stay reachable through the
// exact string comparison.
func orderVersions(ecosystem string, versions []string) []semantic.Version {
	if len(versions) == 0 || !hasOrdering(ecosystem) {
		return nil
	}

	ordered := make([]semantic.Version, 0, len(versions))
	for _, s := range versions {
		if v, err := parseVersion(false, ecosystem, s); err == nil {
			ordered = append(ordered, v)
		}
	}
	slices.SortFunc(ordered, func(a, b semantic.Version) int {
		c, _ := a.Compare(b)
		return c
	})
	return ordered
}

// hasOrdering reports whether osv-scalibr/semantic knows how to order the
// versions of ecosystem.
func hasOrdering(ecosystem string) bool {
	_, err := semantic.Parse("0", EcosystemBase(ecosystem))
	return !errors.Is(err, semantic.ErrUnsupportedEcosystem)
}

func parseVersion(semver bool, ecosystem, s string) (semantic.Version, error) {
	if semver {
		return semantic.ParseSemverVersion(s), nil
	}
	return semantic.Parse(s, EcosystemBase(ecosystem))
}

// feedWillNotFix reports whether the feed says, for this entry, that no fix
// is coming. It follows these published shapes:
//
//   - Debian (DEBIAN-CVE-* records from osv.dev's Debian Security Tracker
//     converter, ecosystem "Debian:<release>"): each affected entry carries
//     ecosystem_specific.urgency copied from the tracker's per-release data.
//     "end-of-life" means the package is no longer supported in that release,
//     so no fix will be published there. "unimportant" means the security
//     team considers the issue too minor for a security update (osv-scanner
//     marks these "unimportant" and hides them by default). Both read as
//     will_not_fix. Other urgencies ("low", "medium", "high",
//     "not yet assigned") are severities, not fix decisions.
//   - Ubuntu (UBUNTU-CVE-* records from canonical/ubuntu-security-notices,
//     ecosystem such as "Ubuntu:22.04:LTS"): entries carry
//     ecosystem_specific.ubuntu_priority; "negligible" is Ubuntu's level for
//     issues that normally get no security update, the counterpart of
//     Debian's "unimportant", and reads as will_not_fix. Newer records move
//     the priority to a record-level severity of type "Ubuntu"; Index.Lookup
//     checks that too. The published records carry no other per-release
//     status (the tracker's "ignored" or "deferred" show up only as an open
//     range), so those stay no_fix.
//   - Alpine (ALPINE-CVE-*, from the secdb "secfixes") and Red Hat (RHSA-*,
//     from CSAF advisories) only publish versions that fixed something, so
//     they never express "will not fix".
func feedWillNotFix(a *Affected) bool {
	if len(a.EcosystemSpecific) == 0 {
		return false
	}

	var es struct {
		Urgency        string `json:"urgency"`
		UbuntuPriority string `json:"ubuntu_priority"`
	}
	// The shape varies by feed (Go records keep import lists here); a value
	// of another type leaves the field empty, which is the right default.
	_ = json.Unmarshal(a.EcosystemSpecific, &es)

	switch EcosystemBase(a.Package.Ecosystem) {
	case "Debian":
		u := strings.ToLower(strings.TrimSpace(es.Urgency))
		return u == "end-of-life" || u == "unimportant"
	case "Ubuntu":
		return strings.EqualFold(strings.TrimSpace(es.UbuntuPriority), "negligible")
	}
	return false
}

// query is one installed version, parsed lazily and at most once per
// scheme: most lookups find no candidate and never parse at all.
type query struct {
	ecosystem string
	raw       string

	semverDone, ecoDone bool
	semver, eco         semantic.Version
	ecoErr              error
}

func newQuery(ecosystem, version string) *query {
	return &query{ecosystem: ecosystem, raw: version}
}

func (q *query) version(semver bool) (semantic.Version, error) {
	if q.raw == "" {
		return nil, &VersionError{Ecosystem: q.ecosystem, Err: errors.New("empty version")}
	}

	if semver {
		if !q.semverDone {
			q.semver, q.semverDone = semantic.ParseSemverVersion(q.raw), true
		}
		return q.semver, nil
	}

	if !q.ecoDone {
		q.eco, q.ecoErr = parseVersion(false, q.ecosystem, q.raw)
		if q.ecoErr != nil {
			q.ecoErr = &VersionError{Ecosystem: q.ecosystem, Version: q.raw, Err: q.ecoErr}
		}
		q.ecoDone = true
	}
	return q.eco, q.ecoErr
}

// matchGroup matches q against the entries of one record that name the same
// package and merges the answer: affected if any entry is, fixed at the
// smallest fixed event above q that no entry considers affected.
func matchGroup(group []*compiledAffected, q *query) (Verdict, error) {
	hit, err := groupAffects(group, q)
	if err != nil || !hit {
		return Verdict{}, err
	}

	fixed, err := firstFix(group, q)
	if err != nil {
		return Verdict{}, err
	}

	switch {
	case fixed != "":
		return Verdict{Affected: true, FixedVersion: fixed, FixStatus: FixStatusFixed}, nil
	case slices.ContainsFunc(group, func(c *compiledAffected) bool { return c.willNotFix }):
		return Verdict{Affected: true, FixStatus: FixStatusWillNotFix}, nil
	}
	return Verdict{Affected: true, FixStatus: FixStatusNoFix}, nil
}

func groupAffects(group []*compiledAffected, q *query) (bool, error) {
	for _, c := range group {
		hit, err := c.affects(q)
		if err != nil || hit {
			return hit, err
		}
	}
	return false, nil
}

// affects reports whether q is listed in c's versions or inside a range.
func (c *compiledAffected) affects(q *query) (bool, error) {
	for i := range c.ranges {
		r := &c.ranges[i]
		v, err := q.version(r.semver)
		if err != nil {
			return false, err
		}

		hit, err := r.contains(v)
		if err != nil || hit {
			return hit, wrapCompare(q, err)
		}
	}
	return c.listed(q)
}

func (c *compiledAffected) listed(q *query) (bool, error) {
	if slices.Contains(c.versions, q.raw) {
		return true, nil
	}
	if len(c.ordered) == 0 {
		return false, nil
	}

	v, err := q.version(false)
	if err != nil {
		return false, err
	}

	var cmpErr error
	_, found := slices.BinarySearchFunc(c.ordered, v, func(e, t semantic.Version) int {
		r, err := e.Compare(t)
		cmpErr = errors.Join(cmpErr, err)
		return r
	})
	return found, wrapCompare(q, cmpErr)
}

// contains walks the sorted events: the state after the last event at or
// below v decides. last_affected only closes the range above its version.
func (r *compiledRange) contains(v semantic.Version) (bool, error) {
	in := false
	for _, e := range r.events {
		if e.v == nil {
			in = true
			continue
		}

		c, err := v.Compare(e.v)
		if err != nil {
			return false, err
		}
		if c < 0 || (c == 0 && e.kind == eventLastAffected) {
			break
		}
		in = e.kind == eventIntroduced
	}
	return in, nil
}

// firstFix returns the smallest fixed event above q that is itself outside
// every entry of the group, or "" when there is none.
func firstFix(group []*compiledAffected, q *query) (string, error) {
	type candidate struct {
		raw string
		v   semantic.Version
	}

	var cands []candidate
	for _, c := range group {
		for _, r := range c.ranges {
			v, err := q.version(r.semver)
			if err != nil {
				return "", err
			}
			for _, e := range r.events {
				if e.kind != eventFixed {
					continue
				}
				if cmp, err := e.v.Compare(v); err == nil && cmp > 0 {
					cands = append(cands, candidate{e.raw, e.v})
				}
			}
		}
	}

	slices.SortStableFunc(cands, func(a, b candidate) int {
		c, _ := a.v.Compare(b.v)
		return c
	})
	for _, cand := range cands {
		hit, err := groupAffects(group, newQuery(q.ecosystem, cand.raw))
		if err == nil && !hit {
			return cand.raw, nil
		}
	}
	return "", nil
}

func wrapCompare(q *query, err error) error {
	if err == nil {
		return nil
	}
	return &VersionError{Ecosystem: q.ecosystem, Version: q.raw, Err: err}
}
