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
	if ix == nil {
		return nil, 0
	}
	for i, p := range pkgs {
		name, version := MatchKey(p)
		matches, err := ix.Lookup(p.Ecosystem, name, version)
		if err != nil {
			unparsable++
			continue
		}
		findings = append(findings, mergeByVulnerability(i, p.Ecosystem, matches)...)
	}
	return findings, unparsable
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

func versionLess(ecosystem, a, b string) bool {
	va, err := semantic.Parse(a, advisory.EcosystemBase(ecosystem))
	if err != nil {
		return a < b
	}
	c, err := va.CompareStr(b)
	if err != nil {
		return a < b
	}
	return c < 0
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
