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
}

// ForEachStoredImage streams every scanned image with its layers and
// packages, one image at a time, in id order.
func (s *Store) ForEachStoredImage(ctx context.Context, fn func(StoredImage) error) error {
	layers, err := s.allLayers(ctx)
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
			cur = StoredImage{ID: imageID, Layers: layers[imageID]}
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

// ApplyRematchTx makes an image's findings equal to matches: new findings
// are added, changed ones updated, findings that no longer match are
// closed as withdrawn (when none of their records is live any more) or
// fixed (the records now say this version is not affected).
func (s *Store) ApplyRematchTx(ctx context.Context, tx pgx.Tx, imageID int64, matches []FindingRecord, feedVersionID *int64) (RematchCounts, error) {
	var c RematchCounts
	existing, err := loadFindings(ctx, tx, imageID)
	if err != nil {
		return c, err
	}
	b := &pgx.Batch{}
	seen := map[findingKey]bool{}
	for _, f := range matches {
		k := findingKey{f.PackageID, f.VulnID}
		seen[k] = true
		old, ok := existing[k]
		switch {
		case !ok:
			c.New++
			queueFindingInsert(b, imageID, f, feedVersionID, timeNow())
		case old.status != "open":
			c.Reopened++
			queueFindingUpdate(b, old.id, f, feedVersionID)
		case old.differs(f):
			c.Changed++
			queueFindingUpdate(b, old.id, f, feedVersionID)
		}
	}
	var gone []storedFinding
	for k, old := range existing {
		if !seen[k] && old.status == "open" {
			gone = append(gone, old)
		}
	}
	if len(gone) > 0 {
		live, err := liveAdvisories(ctx, tx, gone)
		if err != nil {
			return c, err
		}
		for _, old := range gone {
			status := "withdrawn"
			if slices.ContainsFunc(old.advisoryIDs, func(id string) bool { return live[id] }) {
				status = "fixed"
				c.Fixed++
			} else {
				c.Withdrawn++
			}
			b.Queue(`UPDATE findings SET status = $2, resolved_at = now(), feed_version_id = $3 WHERE id = $1`,
				old.id, status, feedVersionID)
		}
	}
	if b.Len() == 0 {
		return c, nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return c, fmt.Errorf("apply rematch to image %d: %w", imageID, err)
	}
	return c, nil
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

func loadFindings(ctx context.Context, tx pgx.Tx, imageID int64) (map[findingKey]storedFinding, error) {
	rows, err := tx.Query(ctx, `
		SELECT id, package_id, vuln_id, status, advisory_ids, severity_level, severity_score,
			severity_source, fixed_version, fix_status
		FROM findings WHERE image_id = $1`, imageID)
	if err != nil {
		return nil, fmt.Errorf("read findings of image %d: %w", imageID, err)
	}
	out := map[findingKey]storedFinding{}
	var k findingKey
	var f storedFinding
	var score *float32
	_, err = pgx.ForEachRow(rows, []any{&f.id, &k.packageID, &k.vulnID, &f.status, &f.advisoryIDs,
		&f.severityLevel, &score, &f.severitySource, &f.fixedVersion, &f.fixStatus}, func() error {
		f.severityScore = nil
		if score != nil {
			v := float64(*score)
			f.severityScore = &v
		}
		out[k] = f
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

// liveAdvisories reports which of the findings' records are still live
// (neither withdrawn nor retired).
func liveAdvisories(ctx context.Context, tx pgx.Tx, findings []storedFinding) (map[string]bool, error) {
	var ids []string
	for _, f := range findings {
		ids = append(ids, f.advisoryIDs...)
	}
	rows, err := tx.Query(ctx, `
		SELECT id FROM advisories WHERE id = ANY($1) AND withdrawn_at IS NULL AND retired_at IS NULL`, ids)
	if err != nil {
		return nil, fmt.Errorf("read advisory states: %w", err)
	}
	live := map[string]bool{}
	var id string
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
		live[id] = true
		return nil
	})
	return live, err
}

// SetImageFeedVersionTx records which advisory data an image's findings
// now reflect.
func (s *Store) SetImageFeedVersionTx(ctx context.Context, tx pgx.Tx, imageID int64, feedVersionID *int64) error {
	_, err := tx.Exec(ctx, `UPDATE images SET feed_version_id = $2 WHERE id = $1`, imageID, feedVersionID)
	return err
}

// timeNow is the clock for first-seen times.
var timeNow = time.Now
