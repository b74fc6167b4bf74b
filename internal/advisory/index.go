package advisory

import (
	"slices"
	"strings"
	"sync"
)

// Match is one advisory that affects a looked-up package version.
type Match struct {
	AdvisoryID string
	// Aliases lists the record's aliases, then its upstream ids (DEBIAN-CVE,
	// UBUNTU-CVE and ALPINE-CVE records name their CVE only there).
	Aliases      []string
	Ecosystem    string
	Package      string // the package name as the record spells it
	FixedVersion string
	FixStatus    FixStatus
	Severity     Severity
}

// Index answers which advisories affect a package version. It is safe for
// concurrent use: lookups share a read lock, Add and Remove take the write
// lock.
//
// Ecosystems match exactly: a query for "Debian:12" sees only entries whose
// ecosystem is "Debian:12", never bare "Debian" ones. The Debian feed
// (DEBIAN-CVE records, like the DSA/DLA ones) always names the release, so
// a bare "Debian" entry would not say which release it means. Package names
// match exactly, except PyPI names, which are normalized as PEP 503 says.
type Index struct {
	mu    sync.RWMutex
	byPkg map[pkgKey]*bucket
	byID  map[string][]pkgKey
}

type pkgKey struct {
	ecosystem string
	name      string // normalized
}

// indexEntry is one affected entry of one record, compiled for matching.
type indexEntry struct {
	adv      *advisoryInfo
	name     string
	compiled compiledAffected
	severity Severity
}

func (e *indexEntry) key() pkgKey {
	return pkgKey{e.compiled.ecosystem, NormalizeName(e.compiled.ecosystem, e.name)}
}

// advisoryInfo is shared by all entries of a record.
type advisoryInfo struct {
	id      string
	aliases []string
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		byPkg: make(map[pkgKey]*bucket),
		byID:  make(map[string][]pkgKey),
	}
}

// Len returns the number of records in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// HasEcosystem reports whether any record in the index names a package of
// ecosystem, so callers can tell "no vulnerabilities" from "no data".
func (ix *Index) HasEcosystem(ecosystem string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	for k, b := range ix.byPkg {
		if k.ecosystem == ecosystem && len(b.entries) > 0 {
			return true
		}
	}
	return false
}

// Add puts rec into the index, replacing any record with the same id. A
// withdrawn record is never indexed, so adding the withdrawn version of a
// record removes the old one. Parts of the record that ParseRecord warned
// about are left out. The versions of a changed package are re-ranked by its
// next lookup, so a bulk load pays that once per package.
func (ix *Index) Add(rec *Record) {
	if rec == nil || rec.ID == "" {
		return
	}

	entries := compileRecord(rec)

	ix.mu.Lock()
	defer ix.mu.Unlock()

	ix.remove(rec.ID)
	if rec.IsWithdrawn() || len(entries) == 0 {
		return
	}

	var keys []pkgKey
	byKey := make(map[pkgKey][]*indexEntry)
	for _, e := range entries {
		k := e.key()
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], e)
	}

	for _, k := range keys {
		ix.insert(k, byKey[k])
	}
	ix.byID[rec.ID] = keys
}

// insert adds one record's entries for a package as a block, keeping the
// bucket sorted by advisory id so lookups return sorted matches for free.
func (ix *Index) insert(k pkgKey, entries []*indexEntry) {
	b := ix.byPkg[k]
	if b == nil {
		b = &bucket{}
		ix.byPkg[k] = b
	}

	id := entries[0].adv.id
	at, _ := slices.BinarySearchFunc(b.entries, id, func(e *indexEntry, id string) int {
		return strings.Compare(e.adv.id, id)
	})
	b.entries = slices.Insert(b.entries, at, entries...)
	b.invalidate()
}

// Remove drops the record with the given id, if present.
func (ix *Index) Remove(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(id)
}

func (ix *Index) remove(id string) {
	for _, k := range ix.byID[id] {
		b := ix.byPkg[k]
		b.entries = slices.DeleteFunc(b.entries, func(e *indexEntry) bool { return e.adv.id == id })
		if len(b.entries) == 0 {
			delete(ix.byPkg, k)
			continue
		}
		b.invalidate()
	}
	delete(ix.byID, id)
}

// Lookup returns the advisories affecting version of the named package, one
// Match per advisory, sorted by advisory id. When several affected entries
// of one record name the package, they are matched together (see
// MatchAffected) and the worst severity among them is kept. A version the
// ecosystem's ordering cannot read returns an error matching
// ErrInvalidVersion; a package without advisories returns nil, nil without
// parsing the version at all.
func (ix *Index) Lookup(ecosystem, name, version string) ([]Match, error) {
	k := pkgKey{ecosystem, NormalizeName(ecosystem, name)}

	ix.mu.RLock()
	defer ix.mu.RUnlock()

	b := ix.byPkg[k]
	if b == nil {
		return nil, nil
	}
	b.ensureRanked()

	// Verdicts are gathered on the stack first, so that the result and the
	// copies of the aliases cost two allocations however many advisories
	// match.
	type hit struct {
		group   []*indexEntry
		verdict Verdict
	}
	var buf [32]hit
	hits := buf[:0]

	q := query{bucket: b, ecosystem: ecosystem, raw: version}
	nAliases := 0
	for i := 0; i < len(b.entries); {
		group := recordRun(b.entries, i)
		i += len(group)

		v, err := matchGroup(group, &q)
		if err != nil {
			return nil, err
		}
		if v.Affected {
			hits = append(hits, hit{group, v})
			nAliases += len(group[0].adv.aliases)
		}
	}
	if len(hits) == 0 {
		return nil, nil
	}

	matches := make([]Match, len(hits))
	aliases := make([]string, 0, nAliases)
	for i, h := range hits {
		first := h.group[0]
		n := len(aliases)
		aliases = append(aliases, first.adv.aliases...)

		matches[i] = Match{
			AdvisoryID:   first.adv.id,
			Aliases:      aliases[n:len(aliases):len(aliases)],
			Ecosystem:    ecosystem,
			Package:      first.name,
			FixedVersion: h.verdict.FixedVersion,
			FixStatus:    h.verdict.FixStatus,
			Severity:     worstSeverity(h.group),
		}
		if len(first.adv.aliases) == 0 {
			matches[i].Aliases = nil
		}
	}
	return matches, nil
}

// recordRun returns the run of entries starting at i that belong to the
// same record; they are adjacent because Add inserts them as a block.
func recordRun(entries []*indexEntry, i int) []*indexEntry {
	n := 1
	for i+n < len(entries) && entries[i+n].adv == entries[i].adv {
		n++
	}
	return entries[i : i+n]
}

func worstSeverity(group []*indexEntry) Severity {
	sev := group[0].severity
	for _, e := range group[1:] {
		if e.severity.Level.rank() > sev.Level.rank() {
			sev = e.severity
		}
	}
	return sev
}

// compileRecord turns each usable affected entry of rec into an index entry.
func compileRecord(rec *Record) []*indexEntry {
	adv := &advisoryInfo{id: rec.ID, aliases: recordAliases(rec)}
	ubuntuNegligible := recordSaysNegligible(rec)

	var entries []*indexEntry
	for i := range rec.Affected {
		a := &rec.Affected[i]
		if a.Package.Name == "" || a.Package.Ecosystem == "" {
			continue
		}

		c, _ := compileAffected(a)
		if ubuntuNegligible && EcosystemBase(c.ecosystem) == "Ubuntu" {
			c.willNotFix = true
		}
		if len(c.ranges) == 0 && len(c.listed) == 0 {
			continue
		}

		entries = append(entries, &indexEntry{
			adv:      adv,
			name:     a.Package.Name,
			compiled: c,
			severity: assessFor(rec, a),
		})
	}
	return entries
}

// recordSaysNegligible reports a record-level Ubuntu priority of
// "negligible", the newer place for what feedWillNotFix reads per entry.
func recordSaysNegligible(rec *Record) bool {
	for _, s := range rec.Severity {
		if s.Type == severityUbuntu && strings.EqualFold(strings.TrimSpace(s.Score), "negligible") {
			return true
		}
	}
	return false
}

func recordAliases(rec *Record) []string {
	var out []string
	for _, list := range [][]string{rec.Aliases, rec.Upstream} {
		for _, a := range list {
			if a != "" && a != rec.ID && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// NormalizeName returns the form of a package name used for matching. PyPI
// names follow PEP 503: lowercase, with every run of "-", "_" and "."
// replaced by one "-". Other ecosystems compare names exactly.
func NormalizeName(ecosystem, name string) string {
	if EcosystemBase(ecosystem) != "PyPI" || pep503Normal(name) {
		return name
	}

	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}

// pep503Normal reports whether name is already normalized, which saves an
// allocation on the lookup path for most names.
func pep503Normal(name string) bool {
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'A' <= c && c <= 'Z', c == '_', c == '.':
			return false
		case c == '-' && i > 0 && name[i-1] == '-':
			return false
		}
	}
	return true
}
