package feeds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/palisadesec/palisade/internal/advisory"
	"github.com/palisadesec/palisade/internal/store"
)

// ErrUnchanged is returned when a source's bytes are those of its last
// import and nothing else touched its feeds since: there is nothing to do.
var ErrUnchanged = errors.New("unchanged since the last import")

// Importer writes advisory sources into the store.
type Importer struct {
	store  *store.Store
	log    *slog.Logger
	limits advisory.Limits
}

// NewImporter returns an importer with the default per-record and total
// size limits.
func NewImporter(st *store.Store, log *slog.Logger) *Importer {
	return &Importer{store: st, log: log.With(slog.String("component", "feeds"))}
}

// ImportPath imports a local zip (as a full feed: records of its
// ecosystems that it no longer holds are retired) or a directory of .json
// records (partial: nothing is retired).
func (im *Importer) ImportPath(ctx context.Context, p string) (store.FeedVersion, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return store.FeedVersion{}, fmt.Errorf("import %s: %w", p, err)
	}
	info, err := os.Stat(p)
	if err != nil {
		return store.FeedVersion{}, fmt.Errorf("import %s: %w", p, err)
	}
	if info.IsDir() {
		digest, err := dirDigest(p, im.limits)
		if err != nil {
			return store.FeedVersion{}, err
		}
		return im.importFrom(ctx, "dir:"+p, digest, false, func(fn func(advisory.Entry) error) (advisory.Stats, error) {
			return advisory.ReadDir(p, im.limits, fn)
		})
	}
	if strings.HasSuffix(p, ".json") {
		return store.FeedVersion{}, fmt.Errorf("import %s: give an OSV all.zip or a directory of .json records, not a single record file (put it in a directory)", p)
	}
	f, err := os.Open(p)
	if err != nil {
		return store.FeedVersion{}, fmt.Errorf("import %s: %w", p, err)
	}
	defer f.Close()
	return im.ImportZip(ctx, "file:"+p, f, info.Size())
}

// ImportZip imports a zip shaped like the OSV bucket's all.zip as a full
// feed. source names it in the feed version (a URL or file path).
func (im *Importer) ImportZip(ctx context.Context, source string, f io.ReadSeeker, size int64) (store.FeedVersion, error) {
	digest, err := readerDigest(f)
	if err != nil {
		return store.FeedVersion{}, fmt.Errorf("hash %s: %w", source, err)
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return store.FeedVersion{}, errors.New("import zip: reader must support ReadAt")
	}
	return im.importFrom(ctx, source, digest, true, func(fn func(advisory.Entry) error) (advisory.Stats, error) {
		return advisory.ReadZipFrom(ra, size, im.limits, fn)
	})
}

type readFunc func(fn func(advisory.Entry) error) (advisory.Stats, error)

// importFrom runs one import in one transaction: every record is written
// or skipped as unchanged, problems are counted, and nothing is visible to
// readers until the whole source has been read. A source that cannot be
// read to the end (a broken archive, the total size limit) changes nothing.
func (im *Importer) importFrom(ctx context.Context, source, digest string, full bool, read readFunc) (store.FeedVersion, error) {
	unchanged, err := im.store.SourceUnchanged(ctx, source, digest)
	if err != nil {
		return store.FeedVersion{}, err
	}
	if unchanged {
		im.log.Info("Advisory source unchanged since its last import", slog.String("source", source))
		return store.FeedVersion{}, ErrUnchanged
	}
	imp, err := im.store.BeginAdvisoryImport(ctx, source, digest, full)
	if err != nil {
		return store.FeedVersion{}, err
	}
	defer imp.Rollback(ctx) //nolint:errcheck // no-op after commit

	stats, err := read(func(e advisory.Entry) error {
		_, err := imp.Put(ctx, toStored(e))
		return err
	})
	if err != nil {
		return store.FeedVersion{}, fmt.Errorf("import %s: %w", source, err)
	}
	for _, p := range stats.Problems {
		if p.Kind == advisory.ProblemWarning {
			continue
		}
		imp.Reject(p.Entry, string(p.Kind)+": "+p.Reason)
		if id := idFromEntryName(p.Entry); id != "" {
			imp.Keep(id)
		}
	}
	// Problems past the reader's cap were counted but not listed.
	imp.CountRejected(stats.ProblemsDropped)
	if stats.Read == 0 && stats.Rejected+stats.Skipped > 0 {
		// Nothing usable: most likely not an advisory source at all. A full
		// feed would otherwise retire everything it no longer "holds".
		return store.FeedVersion{}, fmt.Errorf("import %s: no valid OSV record among %d entries (first problem: %s)",
			source, stats.Rejected+stats.Skipped, firstProblem(stats))
	}
	v, err := imp.Commit(ctx)
	if err != nil {
		return store.FeedVersion{}, err
	}
	im.log.Info("Advisory import finished", slog.String("source", source), slog.Int64("feed_version", v.ID),
		slog.Int("read", v.RecordsRead), slog.Int("added", v.Added), slog.Int("changed", v.Changed),
		slog.Int("unchanged", v.Unchanged), slog.Int("retired", v.Retired), slog.Int("rejected", v.Rejected),
		slog.Int("warned", stats.Warned))
	return v, nil
}

func firstProblem(stats advisory.Stats) string {
	if len(stats.Problems) == 0 {
		return "none listed"
	}
	p := stats.Problems[0]
	return p.Entry + ": " + p.Reason
}

// toStored derives the stored form of a record.
func toStored(e advisory.Entry) *store.Advisory {
	r := e.Record
	sev := advisory.Assess(r)
	a := &store.Advisory{
		ID:             r.ID,
		Feed:           feedOf(r),
		ContentHash:    e.SHA256,
		Record:         e.Raw,
		GroupKey:       advisory.GroupKey(r.ID, append(slices.Clone(r.Aliases), r.Upstream...)),
		Aliases:        r.Aliases,
		Summary:        r.Summary,
		Details:        r.Details,
		PublishedAt:    timePtr(r.Published),
		ModifiedAt:     timePtr(r.Modified),
		WithdrawnAt:    timePtr(r.Withdrawn),
		SeverityLevel:  string(sev.Level),
		SeverityVector: sev.Vector,
		SeveritySource: sev.Source,
	}
	if sev.Vector != "" {
		score := sev.Score
		a.SeverityScore = &score
	}
	seen := map[store.AdvisoryPackage]bool{}
	for _, af := range r.Affected {
		if af.Package.Name == "" || af.Package.Ecosystem == "" {
			continue
		}
		p := store.AdvisoryPackage{
			Ecosystem: af.Package.Ecosystem,
			Name:      advisory.NormalizeName(af.Package.Ecosystem, af.Package.Name),
		}
		if !seen[p] {
			seen[p] = true
			a.Packages = append(a.Packages, p)
		}
	}
	return a
}

// feedOf is the base ecosystem of the record's first package ("Debian" for
// "Debian:12"); records without packages are filed under their id prefix.
func feedOf(r *advisory.Record) string {
	for _, af := range r.Affected {
		if af.Package.Ecosystem != "" {
			return advisory.EcosystemBase(af.Package.Ecosystem)
		}
	}
	if prefix, _, ok := strings.Cut(r.ID, "-"); ok {
		return prefix
	}
	return "unknown"
}

// idFromEntryName reads the record id from an OSV bucket entry name
// ("GO-2024-0001.json"), for protecting unreadable records from retirement.
func idFromEntryName(name string) string {
	base := path.Base(name)
	if !strings.HasSuffix(base, ".json") || strings.ContainsAny(base, "/\\") {
		return ""
	}
	return strings.TrimSuffix(base, ".json")
}

func readerDigest(f io.ReadSeeker) (string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// dirDigest hashes the names and content hashes of a directory's records,
// so the same set of files always gets the same digest.
func dirDigest(root string, lim advisory.Limits) (string, error) {
	var lines []string
	_, err := advisory.ReadDir(root, lim, func(e advisory.Entry) error {
		lines = append(lines, e.Name+" "+e.SHA256)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", root, err)
	}
	slices.Sort(lines)
	h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(h[:]), nil
}
