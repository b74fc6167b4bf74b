package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// StoredImage is an image's inventory as stored, for matching it again.
type StoredImage struct {
	ID       int64
	Layers   []LayerRecord
	Packages []PackageRecord
	findings map[findingKey]storedFinding
}

// ForEachStoredImage streams every scanned image with its layers and
// packages, one image at a time, in id order.
func (s *Store) ForEachStoredImage(ctx context.Context, fn func(StoredImage) error) error {
	layers, err := s.allLayers(ctx)
	if err != nil {
		return err
	}
	findings, err := s.allFindings(ctx)
	if err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT image_id, id, type, ecosystem, name, version, source_name, source_version, purl, paths,
			layer_index, layer_diff_id
		FROM image_packages ORDER BY image_id, id`)
	if err != nil {
		return fmt.Errorf("read stored packages: %w", err)
	}
	cur := StoredImage{ID: -1}
	var imageID int64
	var p PackageRecord
	_, err = pgx.ForEachRow(rows, []any{&imageID, &p.ID, &p.Type, &p.Ecosystem, &p.Name, &p.Version,
		&p.SourceName, &p.SourceVersion, &p.PURL, &p.Paths, &p.LayerIndex, &p.LayerDiffID}, func() error {
		if imageID != cur.ID {
			if cur.ID != -1 {
				if err := fn(cur); err != nil {
					return err
				}
			}
			cur = StoredImage{ID: imageID, Layers: layers[imageID], findings: findings[imageID]}
		}
		cur.Packages = append(cur.Packages, p)
		return nil
	})
	if err != nil {
		return err
	}
	if cur.ID != -1 {
		return fn(cur)
	}
	return nil
}

func (s *Store) allLayers(ctx context.Context) (map[int64][]LayerRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT image_id, idx, digest, diff_id, size_bytes, created_by, base_layer FROM image_layers`)
	if err != nil {
		return nil, fmt.Errorf("read stored layers: %w", err)
	}
	out := map[int64][]LayerRecord{}
	var id int64
	var l LayerRecord
	_, err = pgx.ForEachRow(rows, []any{&id, &l.Index, &l.Digest, &l.DiffID, &l.SizeBytes, &l.CreatedBy, &l.BaseLayer}, func() error {
		out[id] = append(out[id], l)
		return nil
	})
	return out, err
}

// RematchCounts says how one rematch changed an image's findings.
type RematchCounts struct {
	New, Reopened, Changed, Fixed, Withdrawn int
}

type storedFinding struct {
	id             int64
	status         string
	advisoryIDs    []string
	severityLevel  string
	severityScore  *float64
	severitySource string
	fixedVersion   string
	fixStatus      string
}

// RematchPlan is what a rematch changes in one image's findings.
type RematchPlan struct {
	ImageID int64
	Counts  RematchCounts
	inserts []FindingRecord
	updates map[int64]FindingRecord // finding id -> new content
	closes  map[string][]int64      // new status -> finding ids
}

// Empty reports whether the plan changes nothing.
func (p *RematchPlan) Empty() bool {
	return p.Counts == (RematchCounts{})
}

// PlanRematch compares an image's stored findings with matches: new
// findings are added, changed ones updated, and findings that no longer
// match are closed as withdrawn (none of their records is live any more)
// or fixed (a live record now says this version is not affected).
func PlanRematch(im StoredImage, matches []FindingRecord, live map[string]bool) *RematchPlan {
	p := &RematchPlan{ImageID: im.ID, updates: map[int64]FindingRecord{}, closes: map[string][]int64{}}
	seen := make(map[findingKey]bool, len(matches))
	for _, f := range matches {
		k := findingKey{f.PackageID, f.VulnID}
		seen[k] = true
		old, ok := im.findings[k]
		switch {
		case !ok:
			p.Counts.New++
			p.inserts = append(p.inserts, f)
		case old.status != "open":
			p.Counts.Reopened++
			p.updates[old.id] = f
		case old.differs(f):
			p.Counts.Changed++
			p.updates[old.id] = f
		}
	}
	for k, old := range im.findings {
		if seen[k] || old.status != "open" {
			continue
		}
		status := "withdrawn"
		if slices.ContainsFunc(old.advisoryIDs, func(id string) bool { return live[id] }) {
			status = "fixed"
			p.Counts.Fixed++
		} else {
			p.Counts.Withdrawn++
		}
		p.closes[status] = append(p.closes[status], old.id)
	}
	return p
}

// ApplyRematchTx writes a plan in one round trip.
func (s *Store) ApplyRematchTx(ctx context.Context, tx pgx.Tx, p *RematchPlan, feedVersionID *int64) error {
	b := &pgx.Batch{}
	for _, f := range p.inserts {
		queueFindingInsert(b, p.ImageID, f, feedVersionID, timeNow())
	}
	for id, f := range p.updates {
		queueFindingUpdate(b, id, f, feedVersionID)
	}
	for status, ids := range p.closes {
		b.Queue(`UPDATE findings SET status = $2, resolved_at = now(), feed_version_id = $3 WHERE id = ANY($1)`,
			ids, status, feedVersionID)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("apply rematch to image %d: %w", p.ImageID, err)
	}
	return nil
}

type findingKey struct {
	packageID int64
	vulnID    string
}

func (o storedFinding) differs(f FindingRecord) bool {
	return o.severityLevel != f.SeverityLevel || o.severitySource != f.SeveritySource ||
		o.fixedVersion != f.FixedVersion || o.fixStatus != f.FixStatus ||
		!slices.Equal(o.advisoryIDs, f.AdvisoryIDs) || !equalScore(o.severityScore, f.SeverityScore)
}

func equalScore(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	// Scores are stored as real; compare at the precision CVSS uses.
	return int(*a*10+0.5) == int(*b*10+0.5)
}

// allFindings loads every image's findings, grouped by image, in one
// query instead of one per image.
func (s *Store) allFindings(ctx context.Context) (map[int64]map[findingKey]storedFinding, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT image_id, id, package_id, vuln_id, status, advisory_ids, severity_level, severity_score,
			severity_source, fixed_version, fix_status
		FROM findings`)
	if err != nil {
		return nil, fmt.Errorf("read stored findings: %w", err)
	}
	out := map[int64]map[findingKey]storedFinding{}
	var imageID int64
	var k findingKey
	var f storedFinding
	var score *float32
	_, err = pgx.ForEachRow(rows, []any{&imageID, &f.id, &k.packageID, &k.vulnID, &f.status, &f.advisoryIDs,
		&f.severityLevel, &score, &f.severitySource, &f.fixedVersion, &f.fixStatus}, func() error {
		f.severityScore = nil
		if score != nil {
			v := float64(*score)
			f.severityScore = &v
		}
		m := out[imageID]
		if m == nil {
			m = map[findingKey]storedFinding{}
			out[imageID] = m
		}
		m[k] = f
		return nil
	})
	return out, err
}

func queueFindingUpdate(b *pgx.Batch, id int64, f FindingRecord, feedVersionID *int64) {
	b.Queue(`
		UPDATE findings SET advisory_ids = $2, aliases = $3, severity_level = $4, severity_score = $5,
			severity_source = $6, fixed_version = $7, fix_status = $8, status = 'open', resolved_at = NULL,
			last_seen_at = now(), feed_version_id = $9
		WHERE id = $1`,
		id, nonNil(f.AdvisoryIDs), nonNil(f.Aliases), f.SeverityLevel, f.SeverityScore, f.SeveritySource,
		f.FixedVersion, f.FixStatus, feedVersionID)
}

// LiveAdvisoryIDs returns the ids of every advisory that is neither
// withdrawn nor retired.
func (s *Store) LiveAdvisoryIDs(ctx context.Context) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM advisories WHERE withdrawn_at IS NULL AND retired_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("read live advisories: %w", err)
	}
	live := map[string]bool{}
	var id string
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
		live[id] = true
		return nil
	})
	return live, err
}

// SetFeedVersionOfScannedImages records, after a rematch pass, which
// advisory data every scanned image's findings now reflect.
func (s *Store) SetFeedVersionOfScannedImages(ctx context.Context, feedVersionID int64) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE images SET feed_version_id = $1
		WHERE scanned_at IS NOT NULL AND feed_version_id IS DISTINCT FROM $1`, feedVersionID)
	return err
}

// timeNow is the clock for first-seen times.
var timeNow = time.Now
