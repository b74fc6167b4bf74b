package advisory

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

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
	b := &bucket{entries: []*indexEntry{{compiled: c}}}
	b.ensureRanked()

	q := query{bucket: b, ecosystem: ecosystem, raw: version}
	return matchGroup(b.entries, &q)
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

// Version schemes: a SEMVER range orders by semver whatever the ecosystem,
// an ECOSYSTEM range (and the versions list) by the ecosystem's ordering.
const (
	schemeEcosystem = iota
	schemeSemver
	schemeCount
)

// compiledEvent keeps no parsed version: a bucket ranks the raw strings
// once, and lookups compare ranks. That keeps the index small and cheap for
// the garbage collector to scan.
type compiledEvent struct {
	kind      eventKind
	fromStart bool  // introduced "0"
	rank      int32 // position of raw among its bucket's versions
	raw       string
}

// compiledRange is a range whose events are parsed and sorted, ready to be
// walked once per lookup.
type compiledRange struct {
	scheme int
	events []compiledEvent
}

// listedVersion is one entry of an explicit versions list.
type listedVersion struct {
	raw     string
	ordered bool // the ecosystem's ordering can parse raw, so it is ranked
	rank    int32
}

// compiledAffected is an affected entry prepared for matching.
type compiledAffected struct {
	ecosystem  string
	ranges     []compiledRange
	listed     []listedVersion
	willNotFix bool
}

// compileAffected parses and sorts what matching needs from a. It returns
// warnings (each starting with a position such as ".ranges[1]") for the
// parts it had to leave out; ParseRecord reports them.
func compileAffected(a *Affected) (compiledAffected, []string) {
	c := compiledAffected{
		ecosystem:  a.Package.Ecosystem,
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

	ordered := hasOrdering(c.ecosystem)
	for _, s := range a.Versions {
		// A listed version that does not parse still matches as a string.
		_, err := parseVersion(schemeEcosystem, c.ecosystem, s)
		c.listed = append(c.listed, listedVersion{raw: s, ordered: ordered && err == nil})
	}
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

	cr := &compiledRange{scheme: schemeEcosystem}
	if r.Type == RangeSemver {
		cr.scheme = schemeSemver
	} else if !hasOrdering(ecosystem) {
		return nil, []string{fmt.Sprintf(
			"no version ordering for ecosystem %q; range ignored", ecosystem)}
	}

	var warnings []string
	var events []parsedEvent
	for k, e := range r.Events {
		pe, err := compileEvent(cr.scheme, ecosystem, e)
		if err != nil {
			return nil, append(warnings, fmt.Sprintf("events[%d]: %v; range ignored", k, err))
		}
		if pe == nil {
			warnings = append(warnings, fmt.Sprintf(
				"events[%d]: want exactly one of introduced, fixed, last_affected, limit; event ignored", k))
			continue
		}
		events = append(events, *pe)
	}

	if !slices.ContainsFunc(events, func(e parsedEvent) bool { return e.kind == eventIntroduced }) {
		warnings = append(warnings, `no introduced event; read as introduced "0"`)
		start := compiledEvent{kind: eventIntroduced, fromStart: true, raw: "0"}
		events = append(events, parsedEvent{compiledEvent: start})
	}

	sortEvents(events)
	for _, e := range events {
		cr.events = append(cr.events, e.compiledEvent)
	}
	return cr, warnings
}

// parsedEvent carries the parsed version while a range is being sorted.
type parsedEvent struct {
	compiledEvent
	v semantic.Version // nil for introduced "0"
}

// compileEvent returns nil, nil for an event that does not set exactly one
// field.
func compileEvent(scheme int, ecosystem string, e Event) (*parsedEvent, error) {
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

	pe := parsedEvent{compiledEvent: set[0]}
	if pe.kind == eventIntroduced && pe.raw == "0" {
		pe.fromStart = true
		return &pe, nil
	}

	v, err := parseVersion(scheme, ecosystem, pe.raw)
	if err != nil {
		return nil, err
	}
	pe.v = v
	return &pe, nil
}

// sortEvents orders events by version, with introduced "0" first and ties
// broken by kind. A comparison error cannot happen between versions of one
// scheme; if it did, the pair would keep its order.
func sortEvents(events []parsedEvent) {
	slices.SortStableFunc(events, func(a, b parsedEvent) int {
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

// hasOrdering reports whether osv-scalibr/semantic knows how to order the
// versions of ecosystem.
func hasOrdering(ecosystem string) bool {
	_, err := semantic.Parse("0", EcosystemBase(ecosystem))
	return !errors.Is(err, semantic.ErrUnsupportedEcosystem)
}

func parseVersion(scheme int, ecosystem, s string) (semantic.Version, error) {
	if scheme == schemeSemver {
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

// bucket holds the entries of one (ecosystem, package) and ranks the
// distinct versions their events and lists name. Ranking turns every
// comparison during a lookup into an integer comparison: the installed
// version is placed among the ranked versions once per scheme with a binary
// search through osv-scalibr/semantic, so a lookup costs O(log n) semantic
// comparisons however many advisories the package has.
type bucket struct {
	entries []*indexEntry // sorted by advisory id; one record's entries adjacent

	mu       sync.Mutex
	ranked   atomic.Bool
	distinct [schemeCount][]semantic.Version // one per rank, ascending
	exact    [schemeCount]map[string]int32   // rank of each version string named
}

// invalidate marks the ranks stale after entries changed. The caller holds
// the index's write lock, so no lookup is running.
func (b *bucket) invalidate() {
	b.ranked.Store(false)
}

// ensureRanked ranks the bucket's versions if entries changed since the last
// time. Lookups call it under the index's read lock; the bucket's own mutex
// makes sure only one of them does the work.
func (b *bucket) ensureRanked() {
	if b.ranked.Load() {
		return
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ranked.Load() {
		return
	}

	for scheme := range b.distinct {
		b.distinct[scheme], b.exact[scheme] = b.rank(scheme)
	}
	b.ranked.Store(true)
}

// rank sorts the distinct version strings of one scheme, gives equal
// versions ("1.0" and "1.0.0" in PyPI) the same rank, writes the ranks into
// the events and lists, and returns one version per rank and the rank of
// each string.
func (b *bucket) rank(scheme int) ([]semantic.Version, map[string]int32) {
	type slot struct {
		v     semantic.Version
		ranks []*int32
	}
	byRaw := make(map[string]*slot)
	add := func(raw string, rank *int32) {
		s := byRaw[raw]
		if s == nil {
			s = &slot{}
			byRaw[raw] = s
		}
		s.ranks = append(s.ranks, rank)
	}

	for _, e := range b.entries {
		c := &e.compiled
		for i := range c.ranges {
			r := &c.ranges[i]
			if r.scheme != scheme {
				continue
			}
			for j := range r.events {
				if ev := &r.events[j]; !ev.fromStart {
					add(ev.raw, &ev.rank)
				}
			}
		}
		if scheme != schemeEcosystem {
			continue
		}
		for i := range c.listed {
			if lv := &c.listed[i]; lv.ordered {
				add(lv.raw, &lv.rank)
			}
		}
	}

	type named struct {
		raw string
		*slot
	}
	// Every string here parsed when its entry was compiled, so parsing
	// again cannot fail; the parsed versions live only as long as the
	// bucket's list of distinct versions.
	ecosystem := ""
	if len(b.entries) > 0 {
		ecosystem = b.entries[0].compiled.ecosystem
	}
	slots := make([]named, 0, len(byRaw))
	for raw, s := range byRaw {
		v, err := parseVersion(scheme, ecosystem, raw)
		if err != nil {
			continue
		}
		s.v = v
		slots = append(slots, named{raw, s})
	}
	slices.SortFunc(slots, func(a, b named) int {
		if c := compareOrZero(a.v, b.v); c != 0 {
			return c
		}
		return strings.Compare(a.raw, b.raw) // equal versions: any stable order
	})

	var distinct []semantic.Version
	exact := make(map[string]int32, len(slots))
	for i, s := range slots {
		if i == 0 || compareOrZero(slots[i-1].v, s.v) != 0 {
			distinct = append(distinct, s.v)
		}
		rank := int32(len(distinct) - 1)
		exact[s.raw] = rank
		for _, r := range s.ranks {
			*r = rank
		}
	}
	return distinct, exact
}

func compareOrZero(a, b semantic.Version) int {
	c, _ := a.Compare(b)
	return c
}

// query is one installed version, placed among a bucket's ranked versions
// lazily and at most once per scheme. A position is 2*rank+1 when the version
// equals the version of that rank, and 2*rank when it sits just below it.
type query struct {
	bucket    *bucket
	ecosystem string
	raw       string

	done [schemeCount]bool
	pos  [schemeCount]int32
	err  [schemeCount]error
}

func (q *query) position(scheme int) (int32, error) {
	if q.done[scheme] {
		return q.pos[scheme], q.err[scheme]
	}
	q.done[scheme] = true

	if q.raw == "" {
		q.err[scheme] = &VersionError{Ecosystem: q.ecosystem, Err: errors.New("empty version")}
		return 0, q.err[scheme]
	}

	// A version spelled exactly like one the advisories name needs neither
	// parsing nor searching.
	if rank, ok := q.bucket.exact[scheme][q.raw]; ok {
		q.pos[scheme] = 2*rank + 1
		return q.pos[scheme], nil
	}

	v, err := parseVersion(scheme, q.ecosystem, q.raw)
	if err == nil {
		q.pos[scheme], err = locate(q.bucket.distinct[scheme], v)
	}
	if err != nil {
		q.err[scheme] = &VersionError{Ecosystem: q.ecosystem, Version: q.raw, Err: err}
	}
	return q.pos[scheme], q.err[scheme]
}

// locate binary-searches v among the ranked versions.
func locate(distinct []semantic.Version, v semantic.Version) (int32, error) {
	var cmpErr error
	i, found := slices.BinarySearchFunc(distinct, v, func(e, t semantic.Version) int {
		c, err := e.Compare(t)
		if err != nil {
			cmpErr = err
		}
		return c
	})
	if cmpErr != nil {
		return 0, cmpErr
	}

	pos := int32(2 * i)
	if found {
		pos++
	}
	return pos, nil
}

// compareAt compares a query position with an event's version.
func compareAt(pos int32, e *compiledEvent) int {
	return cmpInt(pos, 2*e.rank+1)
}

func cmpInt(a, b int32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// matchGroup matches q against the entries of one record that name the same
// package and merges the answer: affected if any entry is, fixed at the
// smallest fixed event above q that no entry considers affected.
func matchGroup(group []*indexEntry, q *query) (Verdict, error) {
	hit, next, err := groupAffects(group, q)
	if err != nil || !hit {
		return Verdict{}, err
	}

	// With a single range, the first fixed event above q cannot reopen that
	// range (ties sort introduced first), so the walk already found the fix.
	// Otherwise every fixed event above q is a candidate, checked against
	// the whole group.
	fixed := ""
	switch {
	case rangeCount(group) > 1:
		if fixed, err = firstFix(group, q); err != nil {
			return Verdict{}, err
		}
	case next != nil:
		fixed = next.raw
	}

	switch {
	case fixed != "":
		return Verdict{Affected: true, FixedVersion: fixed, FixStatus: FixStatusFixed}, nil
	case slices.ContainsFunc(group, func(e *indexEntry) bool { return e.compiled.willNotFix }):
		return Verdict{Affected: true, FixStatus: FixStatusWillNotFix}, nil
	}
	return Verdict{Affected: true, FixStatus: FixStatusNoFix}, nil
}

func rangeCount(group []*indexEntry) int {
	n := 0
	for _, e := range group {
		n += len(e.compiled.ranges)
	}
	return n
}

// groupAffects reports whether any entry of the group affects q, and the
// first fixed event above q in the range that did.
func groupAffects(group []*indexEntry, q *query) (bool, *compiledEvent, error) {
	for _, e := range group {
		hit, next, err := e.compiled.affects(q)
		if err != nil || hit {
			return hit, next, err
		}
	}
	return false, nil, nil
}

// affects reports whether q is inside a range of c or listed in its
// versions, and for a range hit the first fixed event above q.
func (c *compiledAffected) affects(q *query) (bool, *compiledEvent, error) {
	for i := range c.ranges {
		r := &c.ranges[i]
		pos, err := q.position(r.scheme)
		if err != nil {
			return false, nil, err
		}
		if hit, next := r.contains(pos); hit {
			return true, next, nil
		}
	}

	hit, err := c.isListed(q)
	return hit, nil, err
}

// isListed reports whether q is in the versions list, as the same string or
// as an equal version.
func (c *compiledAffected) isListed(q *query) (bool, error) {
	if len(c.listed) == 0 {
		return false, nil
	}

	ranked := false
	for i := range c.listed {
		if c.listed[i].raw == q.raw {
			return true, nil
		}
		ranked = ranked || c.listed[i].ordered
	}
	if !ranked {
		return false, nil
	}

	pos, err := q.position(schemeEcosystem)
	if err != nil || pos%2 == 0 {
		return false, err
	}
	return slices.ContainsFunc(c.listed, func(lv listedVersion) bool {
		return lv.ordered && 2*lv.rank+1 == pos
	}), nil
}

// contains walks the sorted events: the state after the last event at or
// below pos decides, except that last_affected only closes the range above
// its version. When pos is inside, it also returns the first fixed event
// above pos, if any.
func (r *compiledRange) contains(pos int32) (bool, *compiledEvent) {
	// Most ranges end in a fixed event below the installed version or start
	// above it; checking both ends first skips the walk for those.
	last := &r.events[len(r.events)-1]
	if !last.fromStart && last.kind != eventIntroduced {
		if c := compareAt(pos, last); c > 0 || (c == 0 && last.kind != eventLastAffected) {
			return false, nil
		}
	}
	if first := &r.events[0]; !first.fromStart && compareAt(pos, first) < 0 {
		return false, nil
	}

	in := false
	for i := range r.events {
		e := &r.events[i]
		if e.fromStart {
			in = true
			continue
		}

		c := compareAt(pos, e)
		if c < 0 || (c == 0 && e.kind == eventLastAffected) {
			if in {
				return true, r.nextFixed(i)
			}
			return false, nil
		}
		in = e.kind == eventIntroduced
	}
	return in, nil
}

// nextFixed returns the first fixed event at or after index i.
func (r *compiledRange) nextFixed(i int) *compiledEvent {
	for ; i < len(r.events); i++ {
		if r.events[i].kind == eventFixed {
			return &r.events[i]
		}
	}
	return nil
}

// firstFix returns the smallest fixed event above q that is itself outside
// every entry of the group, or "" when there is none.
func firstFix(group []*indexEntry, q *query) (string, error) {
	type candidate struct {
		event  *compiledEvent
		scheme int
	}

	var cands []candidate
	for _, e := range group {
		for i := range e.compiled.ranges {
			r := &e.compiled.ranges[i]
			pos, err := q.position(r.scheme)
			if err != nil {
				return "", err
			}
			for j := range r.events {
				if ev := &r.events[j]; ev.kind == eventFixed && compareAt(pos, ev) < 0 {
					cands = append(cands, candidate{ev, r.scheme})
				}
			}
		}
	}

	// Ranks order candidates of one scheme; a record that mixes SEMVER and
	// ECOSYSTEM ranges for one package is rare enough to parse for.
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if a.scheme == b.scheme {
			return cmpInt(a.event.rank, b.event.rank)
		}
		va, errA := parseVersion(schemeEcosystem, q.ecosystem, a.event.raw)
		vb, errB := parseVersion(schemeEcosystem, q.ecosystem, b.event.raw)
		if errA != nil || errB != nil {
			return 0
		}
		return compareOrZero(va, vb)
	})
	for _, cand := range cands {
		// The candidate's position in its own scheme is known; the other
		// scheme, if some range needs it, is located on demand.
		cq := query{bucket: q.bucket, ecosystem: q.ecosystem, raw: cand.event.raw}
		cq.done[cand.scheme], cq.pos[cand.scheme] = true, 2*cand.event.rank+1

		hit, _, err := groupAffects(group, &cq)
		if err == nil && !hit {
			return cand.event.raw, nil
		}
	}
	return "", nil
}
