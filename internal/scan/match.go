package scan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/osv-scalibr/semantic"

	"github.com/palisadesec/palisade/internal/advisory"
	"github.com/palisadesec/palisade/internal/inventory"
	"github.com/palisadesec/palisade/internal/store"
)

// AdvisorySource is where a Matcher loads advisory records from.
type AdvisorySource interface {
	LatestFeedVersion(ctx context.Context) (store.FeedVersion, error)
	AdvisoryRecordsFor(ctx context.Context, ecosystems []string, fn func(id string, record []byte) error) error
}

// Matcher matches packages against the stored advisories. It keeps an
// in-memory index of the ecosystems asked for so far and rebuilds it when
// a newer feed version appears.
type Matcher struct {
	src AdvisorySource

	mu          sync.Mutex
	index       *advisory.Index
	loaded      map[string]bool
	feedVersion int64
}

// NewMatcher returns a matcher over src.
func NewMatcher(src AdvisorySource) *Matcher {
	return &Matcher{src: src}
}

// NewStaticMatcher matches against a fixed index, for `palisade scan --db`
// which reads advisories from files instead of a database.
func NewStaticMatcher(ix *advisory.Index) *Matcher {
	return &Matcher{index: ix, loaded: map[string]bool{"*": true}}
}

// Prepared is an index ready for the ecosystems of one image, with the
// feed version it reflects (nil when no feed was ever imported).
type Prepared struct {
	Index         *advisory.Index
	FeedVersionID *int64
}

// Prepare makes sure every ecosystem in ecosystems is loaded.
func (m *Matcher) Prepare(ctx context.Context, ecosystems []string) (Prepared, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.src == nil {
		return Prepared{Index: m.index}, nil
	}

	latest, err := m.src.LatestFeedVersion(ctx)
	var version *int64
	switch {
	case err == nil:
		version = &latest.ID
	case !errors.Is(err, store.ErrNotFound):
		return Prepared{}, err
	}
	if m.index == nil || (version != nil && *version != m.feedVersion) {
		m.index = advisory.NewIndex()
		m.loaded = map[string]bool{}
		if version != nil {
			m.feedVersion = *version
		}
	}

	var missing []string
	for _, e := range ecosystems {
		if !m.loaded[e] {
			missing = append(missing, e)
		}
	}
	if len(missing) > 0 {
		if err := m.load(ctx, missing); err != nil {
			return Prepared{}, err
		}
	}
	return Prepared{Index: m.index, FeedVersionID: version}, nil
}

func (m *Matcher) load(ctx context.Context, ecosystems []string) error {
	err := m.src.AdvisoryRecordsFor(ctx, ecosystems, func(id string, raw []byte) error {
		rec, err := advisory.ParseRecord(raw)
		if err != nil {
			// Stored records were parsed at import; one that no longer
			// parses is skipped rather than failing every scan.
			return nil
		}
		m.index.Add(rec)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load advisories: %w", err)
	}
	for _, e := range ecosystems {
		m.loaded[e] = true
	}
	return nil
}

// Covers reports whether the loaded advisories name any package of the
// ecosystem, so callers can say which packages went unchecked.
func (m *Matcher) Covers(ecosystem string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.index != nil && m.index.HasEcosystem(ecosystem)
}

// MatchKey is what a stored package is looked up by, with the same rules
// as the inventory (source packages for Debian and Ubuntu, origins for
// Alpine).
func MatchKey(p store.PackageRecord) (name, version string) {
	ip := inventory.Package{Type: p.Type, Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version,
		SourceName: p.SourceName, SourceVersion: p.SourceVersion}
	_, name, version = ip.MatchKey()
	return name, version
}

// Match returns the findings for pkgs, one per package and vulnerability:
// records from several databases about one problem (a GHSA and a PYSEC of
// the same CVE) are merged. Versions the ecosystem cannot parse are skipped
// and counted.
func Match(ix *advisory.Index, pkgs []store.PackageRecord) (findings []store.FindingRecord, unparsable int) {
	return MatchMemo(ix, pkgs, nil)
}

// Memo remembers lookups within one pass over many images: images built on
// the same base share most packages, so a rematch of a thousand images
// asks the index only once per distinct package version.
type Memo struct {
	index   *advisory.Index
	mu      sync.Mutex
	results map[memoKey]memoResult
}

type memoKey struct{ ecosystem, name, version string }

type memoResult struct {
	findings []store.FindingRecord // merged, PackageIndex unset
	err      error
}

// NewMemo returns an empty memo for lookups in ix; lookups in another
// index (a feed version that arrived during the pass) are not remembered.
// It is safe for concurrent use.
func NewMemo(ix *advisory.Index) *Memo {
	return &Memo{index: ix, results: map[memoKey]memoResult{}}
}

// MatchMemo is Match with lookups remembered in memo (nil remembers
// nothing).
func MatchMemo(ix *advisory.Index, pkgs []store.PackageRecord, memo *Memo) (findings []store.FindingRecord, unparsable int) {
	if ix == nil {
		return nil, 0
	}
	for i, p := range pkgs {
		name, version := MatchKey(p)
		merged, err := memo.lookup(ix, p.Ecosystem, name, version)
		if err != nil {
			unparsable++
			continue
		}
		for _, f := range merged {
			f.PackageIndex = i
			findings = append(findings, f)
		}
	}
	return findings, unparsable
}

// lookup returns the merged findings of one package version. The slices
// inside are shared between images and must not be changed.
func (m *Memo) lookup(ix *advisory.Index, ecosystem, name, version string) ([]store.FindingRecord, error) {
	if m != nil && m.index == ix {
		m.mu.Lock()
		r, ok := m.results[memoKey{ecosystem, name, version}]
		m.mu.Unlock()
		if ok {
			return r.findings, r.err
		}
	}
	matches, err := ix.Lookup(ecosystem, name, version)
	var merged []store.FindingRecord
	if err == nil {
		merged = mergeByVulnerability(0, ecosystem, matches)
	}
	if m != nil && m.index == ix {
		m.mu.Lock()
		m.results[memoKey{ecosystem, name, version}] = memoResult{merged, err}
		m.mu.Unlock()
	}
	return merged, err
}

func mergeByVulnerability(pkgIndex int, ecosystem string, matches []advisory.Match) []store.FindingRecord {
	byVuln := map[string]*store.FindingRecord{}
	var order []string
	for _, m := range matches {
		key := advisory.GroupKey(m.AdvisoryID, m.Aliases)
		f, ok := byVuln[key]
		if !ok {
			f = &store.FindingRecord{PackageIndex: pkgIndex, VulnID: key, SeverityLevel: string(advisory.LevelUnknown), SeveritySource: advisory.SourceUnknown}
			byVuln[key] = f
			order = append(order, key)
		}
		mergeMatch(f, ecosystem, m)
	}
	out := make([]store.FindingRecord, 0, len(order))
	for _, k := range order {
		f := byVuln[k]
		slices.Sort(f.AdvisoryIDs)
		slices.Sort(f.Aliases)
		f.Aliases = slices.Compact(f.Aliases)
		out = append(out, *f)
	}
	return out
}

// mergeMatch folds one advisory into a finding: the worst known severity
// wins (a scored one over an unknown), the highest fixed version wins (the
// upgrade that satisfies every record), and a fix anywhere beats none.
func mergeMatch(f *store.FindingRecord, ecosystem string, m advisory.Match) {
	f.AdvisoryIDs = append(f.AdvisoryIDs, m.AdvisoryID)
	for _, a := range append([]string{m.AdvisoryID}, m.Aliases...) {
		if a != f.VulnID {
			f.Aliases = append(f.Aliases, a)
		}
	}
	if severityRank(string(m.Severity.Level)) > severityRank(f.SeverityLevel) {
		f.SeverityLevel = string(m.Severity.Level)
		f.SeveritySource = m.Severity.Source
		f.SeverityScore = nil
		if m.Severity.Vector != "" {
			score := m.Severity.Score
			f.SeverityScore = &score
		}
	}
	switch {
	case m.FixStatus == advisory.FixStatusFixed:
		if f.FixedVersion == "" || versionLess(ecosystem, f.FixedVersion, m.FixedVersion) {
			f.FixedVersion = m.FixedVersion
		}
		f.FixStatus = string(advisory.FixStatusFixed)
	case f.FixStatus == "":
		f.FixStatus = string(m.FixStatus)
	case f.FixStatus == string(advisory.FixStatusNoFix) && m.FixStatus == advisory.FixStatusWillNotFix:
		f.FixStatus = string(m.FixStatus)
	}
}

// versionLess orders two versions of an ecosystem. Parsing is costly (big
// integers for every component) and the same fixed versions recur across
// thousands of images, so parsed versions are kept in a bounded cache.
func versionLess(ecosystem, a, b string) bool {
	va, errA := parsedVersion(ecosystem, a)
	vb, errB := parsedVersion(ecosystem, b)
	if errA != nil || errB != nil {
		return a < b
	}
	c, err := va.Compare(vb)
	if err != nil {
		return a < b
	}
	return c < 0
}

type versionKey struct{ ecosystem, version string }

type parsed struct {
	v   semantic.Version
	err error
}

var (
	versionCacheMu sync.Mutex
	versionCache   = map[versionKey]parsed{}
)

// maxCachedVersions bounds the cache; past it the cache starts over.
const maxCachedVersions = 100_000

func parsedVersion(ecosystem, version string) (semantic.Version, error) {
	base := advisory.EcosystemBase(ecosystem)
	k := versionKey{base, version}
	versionCacheMu.Lock()
	p, ok := versionCache[k]
	versionCacheMu.Unlock()
	if ok {
		return p.v, p.err
	}
	v, err := semantic.Parse(version, base)
	versionCacheMu.Lock()
	if len(versionCache) >= maxCachedVersions {
		versionCache = map[versionKey]parsed{}
	}
	versionCache[k] = parsed{v, err}
	versionCacheMu.Unlock()
	return v, err
}

// severityRank orders levels: higher is worse; unknown is lowest so any
// scored level replaces it.
func severityRank(level string) int {
	switch level {
	case "critical":
		return 5
	case "high":
		return 4
	case "medium":
		return 3
	case "low":
		return 2
	case "none":
		return 1
	}
	return 0
}
