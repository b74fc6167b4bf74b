package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Advisory is one stored OSV record with the fields Palisade derives from it.
type Advisory struct {
	ID             string
	Feed           string
	ContentHash    string
	Record         []byte
	GroupKey       string
	Aliases        []string
	Summary        string
	Details        string
	PublishedAt    *time.Time
	ModifiedAt     *time.Time
	WithdrawnAt    *time.Time
	SeverityLevel  string
	SeverityScore  *float64
	SeverityVector string
	SeveritySource string
	Packages       []AdvisoryPackage
}

// AdvisoryPackage is one (ecosystem, name) pair a record affects.
type AdvisoryPackage struct {
	Ecosystem string
	Name      string
}

// FeedVersion describes one import of one advisory source.
type FeedVersion struct {
	ID          int64
	Source      string
	Digest      string
	Ecosystems  []string
	FullFeed    bool
	ImportedAt  time.Time
	RecordsRead int
	Added       int
	Changed     int
	Unchanged   int
	Retired     int
	Rejected    int
	Problems    []FeedProblem
}

// FeedProblem is one record an import refused, with the reason.
type FeedProblem struct {
	Entry  string `json:"entry"`
	Reason string `json:"reason"`
}

// knownAdvisory is what an import needs to know about a stored record to
// decide whether to write it again.
type knownAdvisory struct {
	hash    string
	retired bool
}

// AdvisoryImport writes one source's records in a single transaction, so
// readers keep seeing the previous state until Commit.
type AdvisoryImport struct {
	tx        pgx.Tx
	versionID int64
	known     map[string]knownAdvisory
	seen      map[string]map[string]bool // feed -> ids present in this import
	kept      []string                   // ids of unreadable entries, never retired
	stats     FeedVersion
}

// BeginAdvisoryImport opens the transaction for importing from source. Only
// one import runs at a time; a second waits for the first to commit.
func (s *Store) BeginAdvisoryImport(ctx context.Context, source, digest string, full bool) (*AdvisoryImport, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin advisory import: %w", err)
	}
	imp := &AdvisoryImport{tx: tx, seen: map[string]map[string]bool{}}
	imp.stats.Source, imp.stats.Digest, imp.stats.FullFeed = source, digest, full
	if err := imp.start(ctx); err != nil {
		_ = tx.Rollback(ctx)
		return nil, err
	}
	return imp, nil
}

func (i *AdvisoryImport) start(ctx context.Context) error {
	// The lock serialises imports: two syncs comparing hashes against the
	// same old state would both write, and the later retirement would race.
	if _, err := i.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(727274101)`); err != nil {
		return fmt.Errorf("lock advisory import: %w", err)
	}
	err := i.tx.QueryRow(ctx, `
		INSERT INTO feed_versions (source, digest, ecosystems, full_feed)
		VALUES ($1, $2, '{}', $3) RETURNING id`,
		i.stats.Source, i.stats.Digest, i.stats.FullFeed).Scan(&i.versionID)
	if err != nil {
		return fmt.Errorf("record feed version: %w", err)
	}
	rows, err := i.tx.Query(ctx, `SELECT id, content_hash, retired_at IS NOT NULL FROM advisories`)
	if err != nil {
		return fmt.Errorf("load stored advisories: %w", err)
	}
	i.known = map[string]knownAdvisory{}
	var id string
	var k knownAdvisory
	_, err = pgx.ForEachRow(rows, []any{&id, &k.hash, &k.retired}, func() error {
		i.known[id] = k
		return nil
	})
	return err
}

// Put stores a record unless an identical one (same content hash) is
// already live. It returns whether anything was written.
func (i *AdvisoryImport) Put(ctx context.Context, a *Advisory) (bool, error) {
	if i.seen[a.Feed] == nil {
		i.seen[a.Feed] = map[string]bool{}
	}
	i.seen[a.Feed][a.ID] = true
	i.stats.RecordsRead++

	old, exists := i.known[a.ID]
	if exists && old.hash == a.ContentHash && !old.retired {
		i.stats.Unchanged++
		return false, nil
	}
	if err := i.write(ctx, a); err != nil {
		return false, fmt.Errorf("store advisory %s: %w", a.ID, err)
	}
	i.known[a.ID] = knownAdvisory{hash: a.ContentHash}
	if exists {
		i.stats.Changed++
	} else {
		i.stats.Added++
	}
	return true, nil
}

func (i *AdvisoryImport) write(ctx context.Context, a *Advisory) error {
	b := &pgx.Batch{}
	b.Queue(`
		INSERT INTO advisories (id, feed, content_hash, record, group_key, aliases, summary, details,
			published_at, modified_at, withdrawn_at, severity_level, severity_score, severity_vector,
			severity_source, retired_at, feed_version_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, $16)
		ON CONFLICT (id) DO UPDATE SET
			feed = EXCLUDED.feed, content_hash = EXCLUDED.content_hash, record = EXCLUDED.record,
			group_key = EXCLUDED.group_key, aliases = EXCLUDED.aliases, summary = EXCLUDED.summary,
			details = EXCLUDED.details, published_at = EXCLUDED.published_at,
			modified_at = EXCLUDED.modified_at, withdrawn_at = EXCLUDED.withdrawn_at,
			severity_level = EXCLUDED.severity_level, severity_score = EXCLUDED.severity_score,
			severity_vector = EXCLUDED.severity_vector, severity_source = EXCLUDED.severity_source,
			retired_at = NULL, feed_version_id = EXCLUDED.feed_version_id`,
		a.ID, a.Feed, a.ContentHash, a.Record, a.GroupKey, nonNil(a.Aliases), a.Summary, a.Details,
		a.PublishedAt, a.ModifiedAt, a.WithdrawnAt, a.SeverityLevel, a.SeverityScore, a.SeverityVector,
		a.SeveritySource, i.versionID)
	b.Queue(`DELETE FROM advisory_packages WHERE advisory_id = $1`, a.ID)
	for _, p := range a.Packages {
		b.Queue(`INSERT INTO advisory_packages (advisory_id, ecosystem, name) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, a.ID, p.Ecosystem, p.Name)
	}
	return i.tx.SendBatch(ctx, b).Close()
}

// Keep protects a stored record from retirement although this import could
// not read its entry: a record broken in one download must not silently
// stop matching.
func (i *AdvisoryImport) Keep(id string) {
	i.kept = append(i.kept, id)
}

// CountRejected adds n refused records that were not listed one by one.
func (i *AdvisoryImport) CountRejected(n int) {
	i.stats.Rejected += n
}

// Reject counts a record the reader or parser refused.
func (i *AdvisoryImport) Reject(entry, reason string) {
	i.stats.Rejected++
	// Keep the first hundred reasons: enough to fix a feed, bounded for a
	// feed that is entirely broken.
	if len(i.stats.Problems) < 100 {
		i.stats.Problems = append(i.stats.Problems, FeedProblem{Entry: entry, Reason: reason})
	}
}

// Commit retires, for a full feed, the records of each feed seen in this
// import that the import did not contain, records the feed version's
// figures, and makes everything visible at once.
func (i *AdvisoryImport) Commit(ctx context.Context) (FeedVersion, error) {
	defer i.tx.Rollback(ctx) //nolint:errcheck // no-op after commit

	feeds := make([]string, 0, len(i.seen))
	for feed, ids := range i.seen {
		feeds = append(feeds, feed)
		if !i.stats.FullFeed {
			continue
		}
		present := make([]string, 0, len(ids)+len(i.kept))
		present = append(present, i.kept...)
		for id := range ids {
			present = append(present, id)
		}
		tag, err := i.tx.Exec(ctx, `
			UPDATE advisories SET retired_at = now(), feed_version_id = $3
			WHERE feed = $1 AND retired_at IS NULL AND NOT (id = ANY($2))`, feed, present, i.versionID)
		if err != nil {
			return FeedVersion{}, fmt.Errorf("retire vanished advisories of %s: %w", feed, err)
		}
		i.stats.Retired += int(tag.RowsAffected())
	}
	i.stats.Ecosystems = feeds
	if err := i.finish(ctx); err != nil {
		return FeedVersion{}, err
	}
	if err := i.tx.Commit(ctx); err != nil {
		return FeedVersion{}, fmt.Errorf("commit advisory import: %w", err)
	}
	i.stats.ID = i.versionID
	return i.stats, nil
}

func (i *AdvisoryImport) finish(ctx context.Context) error {
	problems, err := json.Marshal(nonNil(i.stats.Problems))
	if err != nil {
		return err
	}
	err = i.tx.QueryRow(ctx, `
		UPDATE feed_versions SET ecosystems = $2, records_read = $3, added = $4, changed = $5,
			unchanged = $6, retired = $7, rejected = $8, problems = $9
		WHERE id = $1 RETURNING imported_at`,
		i.versionID, sortedCopy(i.stats.Ecosystems), i.stats.RecordsRead, i.stats.Added, i.stats.Changed,
		i.stats.Unchanged, i.stats.Retired, i.stats.Rejected, problems).Scan(&i.stats.ImportedAt)
	if err != nil {
		return fmt.Errorf("record feed version figures: %w", err)
	}
	return nil
}

// Rollback abandons the import; nothing it wrote becomes visible.
func (i *AdvisoryImport) Rollback(ctx context.Context) error {
	err := i.tx.Rollback(ctx)
	if errors.Is(err, pgx.ErrTxClosed) {
		return nil
	}
	return err
}

// FeedStatus is what `palisade feeds status` prints for one feed.
type FeedStatus struct {
	Feed        string
	Advisories  int
	Withdrawn   int
	Retired     int
	LastVersion *FeedVersion
}

// FeedStatuses returns, per feed, the number of live advisories (withdrawn
// included, as the feed still publishes them), how many of those are
// withdrawn, how many were retired, and the latest import that touched it.
func (s *Store) FeedStatuses(ctx context.Context) ([]FeedStatus, error) {
	rows, err := s.pool.Query(ctx, `
		WITH counts AS (
			SELECT feed,
				count(*) FILTER (WHERE retired_at IS NULL) AS live,
				count(*) FILTER (WHERE retired_at IS NULL AND withdrawn_at IS NOT NULL) AS withdrawn,
				count(*) FILTER (WHERE retired_at IS NOT NULL) AS retired
			FROM advisories GROUP BY feed
		)
		SELECT c.feed, c.live, c.withdrawn, c.retired, v.id, v.source, v.digest, v.imported_at
		FROM counts c
		LEFT JOIN LATERAL (
			SELECT id, source, digest, imported_at FROM feed_versions
			WHERE c.feed = ANY(ecosystems) ORDER BY id DESC LIMIT 1
		) v ON true
		ORDER BY c.feed`)
	if err != nil {
		return nil, fmt.Errorf("read feed status: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (FeedStatus, error) {
		var st FeedStatus
		var id *int64
		var v FeedVersion
		var source, digest *string
		var at *time.Time
		if err := row.Scan(&st.Feed, &st.Advisories, &st.Withdrawn, &st.Retired, &id, &source, &digest, &at); err != nil {
			return st, err
		}
		if id != nil {
			v.ID, v.Source, v.Digest, v.ImportedAt = *id, *source, *digest, *at
			st.LastVersion = &v
		}
		return st, nil
	})
}

// LatestFeedVersion returns the newest import, or ErrNotFound before any.
func (s *Store) LatestFeedVersion(ctx context.Context) (FeedVersion, error) {
	var v FeedVersion
	err := s.pool.QueryRow(ctx, `
		SELECT id, source, digest, ecosystems, full_feed, imported_at, records_read, added, changed,
			unchanged, retired, rejected
		FROM feed_versions ORDER BY id DESC LIMIT 1`).Scan(
		&v.ID, &v.Source, &v.Digest, &v.Ecosystems, &v.FullFeed, &v.ImportedAt, &v.RecordsRead,
		&v.Added, &v.Changed, &v.Unchanged, &v.Retired, &v.Rejected)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, ErrNotFound
	}
	return v, err
}

// SourceUnchanged reports whether the newest import from source had this
// digest and no later import touched the same feeds, so importing the same
// bytes again cannot change anything and can be skipped.
func (s *Store) SourceUnchanged(ctx context.Context, source, digest string) (bool, error) {
	var unchanged bool
	err := s.pool.QueryRow(ctx, `
		WITH last AS (
			SELECT id, digest, ecosystems FROM feed_versions
			WHERE source = $1 ORDER BY id DESC LIMIT 1
		)
		SELECT last.digest = $2 AND NOT EXISTS (
			SELECT 1 FROM feed_versions w WHERE w.id > last.id AND w.ecosystems && last.ecosystems)
		FROM last`, source, digest).Scan(&unchanged)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("compare feed digest: %w", err)
	}
	return unchanged, nil
}

// AdvisoryRecordsFor streams the raw records of every live advisory that
// names a package in one of ecosystems, for building a matching index.
func (s *Store) AdvisoryRecordsFor(ctx context.Context, ecosystems []string, fn func(id string, record []byte) error) error {
	rows, err := s.pool.Query(ctx, `
		SELECT a.id, a.record FROM advisories a
		WHERE a.retired_at IS NULL AND a.withdrawn_at IS NULL
		  AND EXISTS (SELECT 1 FROM advisory_packages p WHERE p.advisory_id = a.id AND p.ecosystem = ANY($1))`,
		ecosystems)
	if err != nil {
		return fmt.Errorf("load advisories for matching: %w", err)
	}
	var id string
	var rec []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &rec}, func() error { return fn(id, rec) })
	return err
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
