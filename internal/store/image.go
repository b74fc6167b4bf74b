package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ImageRecord is what a scan learned about one platform image.
type ImageRecord struct {
	RepositoryID int64
	Digest       string
	IndexDigest  string
	Platform     string
	MediaType    string
	ConfigDigest string
	SizeBytes    int64
	OSID         string
	OSVersion    string
	OSName       string
}

// LayerRecord is one layer of a scanned image.
type LayerRecord struct {
	Index     int
	Digest    string
	DiffID    string
	SizeBytes int64
	CreatedBy string
	BaseLayer bool
}

// PackageRecord is one package found in an image.
type PackageRecord struct {
	ID            int64
	Type          string
	Ecosystem     string
	Name          string
	Version       string
	SourceName    string
	SourceVersion string
	PURL          string
	Paths         []string
	LayerIndex    int
	LayerDiffID   string
}

// FindingRecord is one vulnerability affecting one package. PackageIndex
// points into the Packages of the same ScanResult.
type FindingRecord struct {
	PackageIndex   int
	PackageID      int64
	VulnID         string
	AdvisoryIDs    []string
	Aliases        []string
	Summary        string
	SeverityLevel  string
	SeverityScore  *float64
	SeveritySource string
	FixedVersion   string
	FixStatus      string
}

// ScanResult is everything one image scan writes, in one transaction.
type ScanResult struct {
	Image         ImageRecord
	Layers        []LayerRecord
	Packages      []PackageRecord
	Findings      []FindingRecord
	FeedVersionID *int64
}

// UpsertRepositoryTx returns the id of a repository, creating it if new.
func (s *Store) UpsertRepositoryTx(ctx context.Context, tx pgx.Tx, registryID int64, name string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO repositories (registry_id, name) VALUES ($1, $2)
		ON CONFLICT (registry_id, name) DO UPDATE SET name = EXCLUDED.name
		RETURNING id`, registryID, name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record repository %s: %w", name, err)
	}
	return id, nil
}

// RecordTagTx points tag at digest and, when it moved, remembers where it
// pointed before. It returns whether the tag moved (or is new).
func (s *Store) RecordTagTx(ctx context.Context, tx pgx.Tx, repositoryID int64, tag, digest string) (bool, error) {
	var old *string
	err := tx.QueryRow(ctx, `SELECT digest FROM tags WHERE repository_id = $1 AND name = $2 FOR UPDATE`,
		repositoryID, tag).Scan(&old)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("read tag %s: %w", tag, err)
	}
	if old != nil && *old == digest {
		return false, nil
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO tags (repository_id, name, digest) VALUES ($1, $2, $3)
		ON CONFLICT (repository_id, name) DO UPDATE SET digest = EXCLUDED.digest, updated_at = now()`,
		repositoryID, tag, digest)
	if err != nil {
		return false, fmt.Errorf("record tag %s: %w", tag, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tag_history (repository_id, name, digest) VALUES ($1, $2, $3)`,
		repositoryID, tag, digest); err != nil {
		return false, fmt.Errorf("record tag history %s: %w", tag, err)
	}
	return true, nil
}

// ImageScanned reports whether an image with this manifest (or index)
// digest in this repository has finished a scan.
func (s *Store) ImageScanned(ctx context.Context, registryID int64, repository, digest string) (bool, error) {
	var scanned bool
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM images i JOIN repositories r ON r.id = i.repository_id
			WHERE r.registry_id = $1 AND r.name = $2 AND (i.digest = $3 OR i.index_digest = $3)
			  AND i.scanned_at IS NOT NULL)`, registryID, repository, digest).Scan(&scanned)
	return scanned, err
}

// SaveScanResultTx writes one image's layers, packages and findings. A
// rescan of the same digest keeps the ids of packages and findings it
// finds again (so exemptions, links and API clients that name a finding
// keep working, and first-seen times stay), adds new ones, removes
// packages that are gone and closes findings that no longer match as
// fixed.
func (s *Store) SaveScanResultTx(ctx context.Context, tx pgx.Tx, res *ScanResult) (int64, error) {
	imageID, err := upsertImage(ctx, tx, res)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM image_layers WHERE image_id = $1`, imageID); err != nil {
		return 0, err
	}
	if err := insertLayers(ctx, tx, imageID, res.Layers); err != nil {
		return 0, err
	}
	if err := syncPackages(ctx, tx, imageID, res.Packages); err != nil {
		return 0, err
	}
	packageIDs := make([]int64, 0, len(res.Findings))
	vulnIDs := make([]string, 0, len(res.Findings))
	b := &pgx.Batch{}
	for i := range res.Findings {
		f := &res.Findings[i]
		f.PackageID = res.Packages[f.PackageIndex].ID
		packageIDs, vulnIDs = append(packageIDs, f.PackageID), append(vulnIDs, f.VulnID)
		queueFindingUpsert(b, imageID, *f, res.FeedVersionID)
	}
	b.Queue(`
		UPDATE findings SET status = 'fixed', resolved_at = now(), feed_version_id = $4
		WHERE image_id = $1 AND status = 'open'
		  AND (package_id, vuln_id) NOT IN (SELECT * FROM unnest($2::bigint[], $3::text[]))`,
		imageID, packageIDs, vulnIDs, res.FeedVersionID)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, fmt.Errorf("write findings: %w", err)
	}
	return imageID, nil
}

// packageKey identifies a package across scans of one image.
func packageKey(p PackageRecord) string {
	return strings.Join([]string{p.Type, p.Ecosystem, p.Name, p.Version, p.SourceName, p.SourceVersion,
		p.PURL, strings.Join(p.Paths, "\x01")}, "\x00")
}

// syncPackages gives every package of pkgs an id, reusing the id of the
// same package stored by an earlier scan of the image, and deletes stored
// packages the scan no longer found (their findings go with them).
func syncPackages(ctx context.Context, tx pgx.Tx, imageID int64, pkgs []PackageRecord) error {
	rows, err := tx.Query(ctx, `
		SELECT id, type, ecosystem, name, version, source_name, source_version, purl, paths
		FROM image_packages WHERE image_id = $1`, imageID)
	if err != nil {
		return fmt.Errorf("read stored packages: %w", err)
	}
	stored := map[string]int64{}
	var p PackageRecord
	_, err = pgx.ForEachRow(rows, []any{&p.ID, &p.Type, &p.Ecosystem, &p.Name, &p.Version, &p.SourceName,
		&p.SourceVersion, &p.PURL, &p.Paths}, func() error {
		stored[packageKey(p)] = p.ID
		return nil
	})
	if err != nil {
		return err
	}

	var fresh []int
	kept := make([]int64, 0, len(pkgs))
	b := &pgx.Batch{}
	for i := range pkgs {
		id, ok := stored[packageKey(pkgs[i])]
		if !ok {
			fresh = append(fresh, i)
			continue
		}
		delete(stored, packageKey(pkgs[i]))
		pkgs[i].ID = id
		kept = append(kept, id)
		b.Queue(`UPDATE image_packages SET layer_index = $2, layer_diff_id = $3 WHERE id = $1`,
			id, pkgs[i].LayerIndex, pkgs[i].LayerDiffID)
	}
	gone := make([]int64, 0, len(stored))
	for _, id := range stored {
		gone = append(gone, id)
	}
	b.Queue(`DELETE FROM image_packages WHERE id = ANY($1)`, gone)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("update stored packages: %w", err)
	}
	newPkgs := make([]PackageRecord, len(fresh))
	for j, i := range fresh {
		newPkgs[j] = pkgs[i]
	}
	if err := insertPackages(ctx, tx, imageID, newPkgs); err != nil {
		return err
	}
	for j, i := range fresh {
		pkgs[i].ID = newPkgs[j].ID
	}
	return nil
}

func upsertImage(ctx context.Context, tx pgx.Tx, res *ScanResult) (int64, error) {
	im := res.Image
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO images (repository_id, digest, index_digest, platform, media_type, config_digest,
			size_bytes, os_id, os_version, os_name, scanned_at, feed_version_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now(), $11)
		ON CONFLICT (repository_id, digest) DO UPDATE SET
			index_digest = EXCLUDED.index_digest, platform = EXCLUDED.platform,
			media_type = EXCLUDED.media_type, config_digest = EXCLUDED.config_digest,
			size_bytes = EXCLUDED.size_bytes, os_id = EXCLUDED.os_id, os_version = EXCLUDED.os_version,
			os_name = EXCLUDED.os_name, scanned_at = now(), feed_version_id = EXCLUDED.feed_version_id
		RETURNING id`,
		im.RepositoryID, im.Digest, im.IndexDigest, im.Platform, im.MediaType, im.ConfigDigest,
		im.SizeBytes, im.OSID, im.OSVersion, im.OSName, res.FeedVersionID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record image %s: %w", im.Digest, err)
	}
	return id, nil
}

func insertLayers(ctx context.Context, tx pgx.Tx, imageID int64, layers []LayerRecord) error {
	rows := make([][]any, len(layers))
	for i, l := range layers {
		rows[i] = []any{imageID, l.Index, l.Digest, l.DiffID, l.SizeBytes, l.CreatedBy, l.BaseLayer}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"image_layers"},
		[]string{"image_id", "idx", "digest", "diff_id", "size_bytes", "created_by", "base_layer"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("write layers: %w", err)
	}
	return nil
}

func insertPackages(ctx context.Context, tx pgx.Tx, imageID int64, pkgs []PackageRecord) error {
	if len(pkgs) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for i := range pkgs {
		p := &pkgs[i]
		b.Queue(`
			INSERT INTO image_packages (image_id, type, ecosystem, name, version, source_name,
				source_version, purl, paths, layer_index, layer_diff_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			imageID, p.Type, p.Ecosystem, p.Name, p.Version, p.SourceName, p.SourceVersion, p.PURL,
			nonNil(p.Paths), p.LayerIndex, p.LayerDiffID).QueryRow(func(row pgx.Row) error {
			return row.Scan(&p.ID)
		})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write packages: %w", err)
	}
	return nil
}

// queueFindingUpsert writes a finding, keeping the id and first-seen time
// of the same finding (package and vulnerability) from an earlier scan.
func queueFindingUpsert(b *pgx.Batch, imageID int64, f FindingRecord, feedVersionID *int64) {
	b.Queue(`
		INSERT INTO findings (image_id, package_id, vuln_id, advisory_ids, aliases, summary,
			severity_level, severity_score, severity_source, fixed_version, fix_status, status,
			first_seen_at, last_seen_at, feed_version_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', now(), now(), $12)
		ON CONFLICT (package_id, vuln_id) DO UPDATE SET
			advisory_ids = EXCLUDED.advisory_ids, aliases = EXCLUDED.aliases, summary = EXCLUDED.summary,
			severity_level = EXCLUDED.severity_level, severity_score = EXCLUDED.severity_score,
			severity_source = EXCLUDED.severity_source, fixed_version = EXCLUDED.fixed_version,
			fix_status = EXCLUDED.fix_status, status = 'open', resolved_at = NULL,
			last_seen_at = now(), feed_version_id = EXCLUDED.feed_version_id`,
		imageID, f.PackageID, f.VulnID, nonNil(f.AdvisoryIDs), nonNil(f.Aliases), f.Summary,
		f.SeverityLevel, f.SeverityScore, f.SeveritySource, f.FixedVersion, f.FixStatus, feedVersionID)
}

func queueFindingInsert(b *pgx.Batch, imageID int64, f FindingRecord, feedVersionID *int64, firstSeen time.Time) {
	b.Queue(`
		INSERT INTO findings (image_id, package_id, vuln_id, advisory_ids, aliases, summary,
			severity_level, severity_score, severity_source, fixed_version, fix_status, status,
			first_seen_at, last_seen_at, feed_version_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', $12, now(), $13)`,
		imageID, f.PackageID, f.VulnID, nonNil(f.AdvisoryIDs), nonNil(f.Aliases), f.Summary,
		f.SeverityLevel, f.SeverityScore, f.SeveritySource, f.FixedVersion, f.FixStatus, firstSeen, feedVersionID)
}

// ImageSummary is an image's open finding counts and health.
type ImageSummary struct {
	Critical, High, Medium, Low, Unknown int
	Healthy                              bool
}

// Worst returns the highest severity with an open finding, or "none".
func (s ImageSummary) Worst() string {
	switch {
	case s.Critical > 0:
		return "critical"
	case s.High > 0:
		return "high"
	case s.Medium > 0:
		return "medium"
	case s.Low > 0:
		return "low"
	case s.Unknown > 0:
		return "unknown"
	}
	return "none"
}

// RefreshImageSummaryTx recounts an image's open findings by severity and
// sets its health: healthy when no open finding has one of the unhealthy
// levels. Findings covered by an active exemption are left out of both.
func (s *Store) RefreshImageSummaryTx(ctx context.Context, tx pgx.Tx, imageID int64, unhealthyLevels []string) (ImageSummary, error) {
	var sum ImageSummary
	err := tx.QueryRow(ctx, `
		WITH c AS (
			SELECT
				count(*) FILTER (WHERE f.severity_level = 'critical') AS critical,
				count(*) FILTER (WHERE f.severity_level = 'high') AS high,
				count(*) FILTER (WHERE f.severity_level = 'medium') AS medium,
				count(*) FILTER (WHERE f.severity_level = 'low') AS low,
				count(*) FILTER (WHERE f.severity_level IN ('unknown', 'none')) AS unknown,
				count(*) FILTER (WHERE f.severity_level = ANY($2)) AS unhealthy
			FROM findings f
			JOIN image_packages p ON p.id = f.package_id
			JOIN images i ON i.id = f.image_id
			WHERE f.image_id = $1 AND f.status = 'open' AND NOT `+findingExempt("f", "p", "i")+`
		)
		UPDATE images SET critical_count = c.critical, high_count = c.high, medium_count = c.medium,
			low_count = c.low, unknown_count = c.unknown, healthy = (c.unhealthy = 0)
		FROM c WHERE images.id = $1
		RETURNING critical_count, high_count, medium_count, low_count, unknown_count, healthy`,
		imageID, unhealthyLevels).Scan(&sum.Critical, &sum.High, &sum.Medium, &sum.Low, &sum.Unknown, &sum.Healthy)
	if err != nil {
		return sum, fmt.Errorf("summarise image %d: %w", imageID, err)
	}
	return sum, nil
}

// Assessment is the state of one recommendation for one resource.
type Assessment struct {
	RecommendationID string
	ResourceKind     string
	ResourceID       int64
	Status           string
	Severity         string
	Details          []byte
}

// UpsertAssessmentTx records the current state of a recommendation.
func (s *Store) UpsertAssessmentTx(ctx context.Context, tx pgx.Tx, a Assessment) error {
	details := a.Details
	if details == nil {
		details = []byte("{}")
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO assessments (recommendation_id, resource_kind, resource_id, status, severity, details)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (recommendation_id, resource_kind, resource_id) DO UPDATE SET
			status = EXCLUDED.status, severity = EXCLUDED.severity, details = EXCLUDED.details,
			updated_at = now()`,
		a.RecommendationID, a.ResourceKind, a.ResourceID, a.Status, a.Severity, details)
	if err != nil {
		return fmt.Errorf("record assessment %s: %w", a.RecommendationID, err)
	}
	return nil
}

// LayerAnalysis returns the stored analysis of a layer, by diffID.
func (s *Store) LayerAnalysis(ctx context.Context, diffID string) ([]byte, bool, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT analysis FROM layer_analyses WHERE diff_id = $1`, diffID).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read layer analysis: %w", err)
	}
	return b, true, nil
}

// PutLayerAnalysis stores a layer's analysis. Two scans analysing the same
// layer at once store the same content, so the later write simply wins.
func (s *Store) PutLayerAnalysis(ctx context.Context, diffID string, analysis []byte) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO layer_analyses (diff_id, analysis) VALUES ($1, $2)
		ON CONFLICT (diff_id) DO UPDATE SET analysis = EXCLUDED.analysis, analyzed_at = now()`, diffID, analysis)
	if err != nil {
		return fmt.Errorf("store layer analysis: %w", err)
	}
	return nil
}
