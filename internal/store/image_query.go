package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Image list orders.
const (
	ImageSortWorst      = "worst"
	ImageSortRepository = "repository"
	ImageSortScanned    = "scanned"
)

// Image health filters.
const (
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
	HealthUnscanned = "unscanned"
)

// ImageFilter narrows an image list; zero fields do not filter.
type ImageFilter struct {
	RegistryID   int64
	RepositoryID int64
	// Query matches part of the repository name, case-insensitively.
	Query  string
	Health string
	// Sort is one of the ImageSort constants; empty is worst first.
	Sort string
}

// ImageRow is one image of a list, with its denormalised finding counts
// and the tags that point at it now.
type ImageRow struct {
	ID           int64
	RegistryID   int64
	RegistryName string
	RepositoryID int64
	Repository   string
	Digest       string
	IndexDigest  string
	Platform     string
	OSName       string
	SizeBytes    int64
	// Healthy is nil until the first scan finishes.
	Healthy   *bool
	ScannedAt *time.Time
	Counts    SeverityCounts
	Tags      []string
}

const imageRowColumns = `i.id, reg.id, reg.name, r.id, r.name, i.digest, i.index_digest, i.platform,
	i.os_name, i.size_bytes, i.healthy, i.scanned_at, i.critical_count, i.high_count, i.medium_count,
	i.low_count, i.unknown_count,
	ARRAY(SELECT t.name FROM tags t WHERE t.repository_id = i.repository_id
		AND t.digest IN (i.digest, i.index_digest) ORDER BY t.name)`

const imageFrom = `FROM images i
	JOIN repositories r ON r.id = i.repository_id
	JOIN registries reg ON reg.id = r.registry_id`

func scanImageRow(row pgx.Row, dest ...any) (ImageRow, error) {
	var im ImageRow
	c := &im.Counts
	err := row.Scan(append([]any{&im.ID, &im.RegistryID, &im.RegistryName, &im.RepositoryID, &im.Repository,
		&im.Digest, &im.IndexDigest, &im.Platform, &im.OSName, &im.SizeBytes, &im.Healthy, &im.ScannedAt,
		&c.Critical, &c.High, &c.Medium, &c.Low, &c.Unknown, &im.Tags}, dest...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return im, ErrNotFound
	}
	return im, err
}

func (f ImageFilter) build() (*condList, string) {
	b := &condList{}
	if f.RegistryID != 0 {
		b.add(`r.registry_id = ?`, f.RegistryID)
	}
	if f.RepositoryID != 0 {
		b.add(`i.repository_id = ?`, f.RepositoryID)
	}
	if f.Query != "" {
		b.add(`r.name ILIKE ? ESCAPE '\'`, "%"+likeEscape(f.Query)+"%")
	}
	switch f.Health {
	case HealthHealthy:
		b.add(`i.healthy`)
	case HealthUnhealthy:
		b.add(`NOT i.healthy`)
	case HealthUnscanned:
		b.add(`i.healthy IS NULL`)
	}
	var order string
	switch f.Sort {
	case ImageSortRepository:
		order = `reg.name, r.name, i.platform, i.id`
	case ImageSortScanned:
		order = `i.scanned_at DESC NULLS LAST, i.id DESC`
	default:
		order = `i.critical_count DESC, i.high_count DESC, i.medium_count DESC, i.low_count DESC,
			i.unknown_count DESC, i.id`
	}
	return b, order
}

// Images returns one page of images and how many match in all. Like
// every paged list here, an inner query picks the page's ids and the
// outer one computes the costly columns (tag lists, exemptions) for those
// rows only: computed in one query, they would run for every row an
// OFFSET skips.
func (s *Store) Images(ctx context.Context, f ImageFilter, p Paging) ([]ImageRow, int, error) {
	b, order := f.build()
	where := b.where()
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) `+imageFrom+` `+where, b.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count images: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+imageRowColumns+` `+imageFrom+`
		JOIN (SELECT i.id AS page_id `+imageFrom+` `+where+` ORDER BY `+order+` `+pageClause(b, p)+`) page
		ON page.page_id = i.id ORDER BY `+order, b.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list images: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ImageRow, error) { return scanImageRow(row) })
	return list, total, err
}

// ForEachImage calls fn with every image that matches f, in f's order,
// one row at a time as the database sends them.
func (s *Store) ForEachImage(ctx context.Context, f ImageFilter, fn func(ImageRow) error) error {
	b, order := f.build()
	err := streamRows(ctx, s, `SELECT `+imageRowColumns+` `+imageFrom+` `+b.where()+` ORDER BY `+order, b.args, scanImageRow, fn)
	if err != nil {
		return fmt.Errorf("list images: %w", err)
	}
	return nil
}

// streamRows runs an export's query and hands each row, scanned with
// scan, to fn as the database sends it, stopping at the first error. It
// runs in a read-only transaction without JIT compilation: an export
// reads whole tables, which makes PostgreSQL compile the query first, and
// that takes 200-300 ms on two cores before the first row, longer than
// the query itself.
func streamRows[T any](ctx context.Context, s *Store, sql string, args []any, scan func(pgx.Row, ...any) (T, error), fn func(T) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return err
			}
			if err := fn(v); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// ImageDetail is everything the image page shows above its findings.
type ImageDetail struct {
	ImageRow
	MediaType    string
	ConfigDigest string
	OSID         string
	OSVersion    string
	CreatedAt    time.Time
	// FeedVersion is the advisory data the findings were computed from.
	FeedVersion *FeedVersion
	Layers      []LayerRecord
	// PackageTypes are the kinds of package found, for the type filter.
	PackageTypes []string
}

// ImageByID returns an image with its layers.
func (s *Store) ImageByID(ctx context.Context, id int64) (ImageDetail, error) {
	var d ImageDetail
	var fvID *int64
	var fvSource, fvDigest *string
	var fvAt *time.Time
	row := s.pool.QueryRow(ctx, `
		SELECT `+imageRowColumns+`, i.media_type, i.config_digest, i.os_id, i.os_version, i.created_at,
			fv.id, fv.source, fv.digest, fv.imported_at,
			ARRAY(SELECT DISTINCT p.type FROM image_packages p WHERE p.image_id = i.id ORDER BY p.type)
		`+imageFrom+`
		LEFT JOIN feed_versions fv ON fv.id = i.feed_version_id
		WHERE i.id = $1`, id)
	im, err := scanImageRow(row, &d.MediaType, &d.ConfigDigest, &d.OSID, &d.OSVersion, &d.CreatedAt,
		&fvID, &fvSource, &fvDigest, &fvAt, &d.PackageTypes)
	if err != nil {
		return d, err
	}
	d.ImageRow = im
	if fvID != nil {
		d.FeedVersion = &FeedVersion{ID: *fvID, Source: *fvSource, Digest: *fvDigest, ImportedAt: *fvAt}
	}
	d.Layers, err = s.imageLayers(ctx, id)
	return d, err
}

func (s *Store) imageLayers(ctx context.Context, imageID int64) ([]LayerRecord, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT idx, digest, diff_id, size_bytes, created_by, base_layer
		FROM image_layers WHERE image_id = $1 ORDER BY idx`, imageID)
	if err != nil {
		return nil, fmt.Errorf("read layers: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (LayerRecord, error) {
		var l LayerRecord
		err := row.Scan(&l.Index, &l.Digest, &l.DiffID, &l.SizeBytes, &l.CreatedBy, &l.BaseLayer)
		return l, err
	})
}

// Finding list orders.
const (
	FindingSortSeverity      = "severity"
	FindingSortPackage       = "package"
	FindingSortVulnerability = "vulnerability"
	FindingSortFixed         = "fixed"
)

// Finding state filters. Open is the default.
const (
	FindingsOpen     = "open"
	FindingsResolved = "resolved"
	FindingsAll      = "all"
)

// Exemption filters. Without one, exempt findings are left out, as they
// are left out of the counts.
const (
	ExemptionsInclude = "include"
	ExemptionsOnly    = "only"
)

// Layer filters besides a single layer index.
const (
	LayerBase        = "base"
	LayerApplication = "app"
)

// FindingFilter narrows an image's findings; zero fields do not filter.
type FindingFilter struct {
	ImageID int64
	// Severity is one level; "unknown" includes "none".
	Severity  string
	FixStatus string
	// PackageType is an inventory type such as "deb" or "python".
	PackageType string
	// Layer is LayerBase, LayerApplication, or one layer's index.
	Layer string
	// Status is one of the Findings constants; empty means open.
	Status string
	// Exemptions is one of the Exemptions constants; empty hides exempt
	// findings.
	Exemptions string
	// Sort is one of the FindingSort constants; empty is by severity.
	Sort string
	Desc bool
}

// FindingRow is one finding with its package and layer.
type FindingRow struct {
	ID             int64
	VulnID         string
	AdvisoryIDs    []string
	Aliases        []string
	Summary        string
	SeverityLevel  string
	SeverityScore  *float64
	SeveritySource string
	FixedVersion   string
	FixStatus      string
	Status         string
	FirstSeenAt    time.Time
	ResolvedAt     *time.Time
	Package        PackageRecord
	// BaseLayer is set when the package comes from the base image.
	BaseLayer bool
	// Exemption is "category: justification" of the active exemption
	// that covers the finding, or empty.
	Exemption string
}

var findingRowColumns = `f.id, f.vuln_id, f.advisory_ids, f.aliases, f.summary, f.severity_level,
	f.severity_score, f.severity_source, f.fixed_version, f.fix_status, f.status, f.first_seen_at,
	f.resolved_at, p.id, p.type, p.ecosystem, p.name, p.version, p.source_name, p.source_version,
	p.purl, p.paths, p.layer_index, p.layer_diff_id, coalesce(l.base_layer, false), ` + exemptionOf

// exemptionOf is the newest active exemption covering finding f.
var exemptionOf = `coalesce((SELECT e.category || ': ' || e.justification FROM exemptions e
	WHERE ` + findingExemptionMatch("f", "p", "i") + ` ORDER BY e.id DESC LIMIT 1), '')`

const findingFrom = `FROM findings f
	JOIN image_packages p ON p.id = f.package_id
	JOIN images i ON i.id = f.image_id
	LEFT JOIN image_layers l ON l.image_id = f.image_id AND l.idx = p.layer_index`

func scanFindingRow(row pgx.Row, _ ...any) (FindingRow, error) {
	var f FindingRow
	var score *float32
	p := &f.Package
	err := row.Scan(&f.ID, &f.VulnID, &f.AdvisoryIDs, &f.Aliases, &f.Summary, &f.SeverityLevel, &score,
		&f.SeveritySource, &f.FixedVersion, &f.FixStatus, &f.Status, &f.FirstSeenAt, &f.ResolvedAt,
		&p.ID, &p.Type, &p.Ecosystem, &p.Name, &p.Version, &p.SourceName, &p.SourceVersion, &p.PURL,
		&p.Paths, &p.LayerIndex, &p.LayerDiffID, &f.BaseLayer, &f.Exemption)
	f.SeverityScore = widen(score)
	return f, err
}

func widen(score *float32) *float64 {
	if score == nil {
		return nil
	}
	// Scores are stored as real; round to the one decimal CVSS uses.
	v := float64(int(float64(*score)*10+0.5)) / 10
	return &v
}

// stateConditions filter findings f (package p, image i) by status and
// exemption.
func stateConditions(b *condList, status, exemptions string) {
	switch status {
	case FindingsAll:
	case FindingsResolved:
		b.add(`f.status <> 'open'`)
	default:
		b.add(`f.status = 'open'`)
	}
	switch exemptions {
	case ExemptionsInclude:
	case ExemptionsOnly:
		b.add(findingExempt("f", "p", "i"))
	default:
		b.add(`NOT ` + findingExempt("f", "p", "i"))
	}
}

func (f FindingFilter) build() (*condList, string) {
	b := &condList{}
	b.add(`f.image_id = ?`, f.ImageID)
	stateConditions(b, f.Status, f.Exemptions)
	if f.Severity != "" {
		severityCondition(b, f.Severity)
	}
	if f.FixStatus != "" {
		b.add(`f.fix_status = ?`, f.FixStatus)
	}
	if f.PackageType != "" {
		b.add(`p.type = ?`, f.PackageType)
	}
	switch f.Layer {
	case "":
	case LayerBase:
		b.add(`l.base_layer`)
	case LayerApplication:
		b.add(`NOT coalesce(l.base_layer, false)`)
	default:
		idx, err := strconv.Atoi(f.Layer)
		if err != nil {
			idx = -1 // matches nothing, like an index the image lacks
		}
		b.add(`p.layer_index = ?`, idx)
	}
	return b, findingOrder(f.Sort, f.Desc)
}

// findingOrder is the ORDER BY of a findings list. The last key is always
// the finding's id, so pages never overlap or skip rows.
func findingOrder(sort string, desc bool) string {
	d := direction(desc)
	switch sort {
	case FindingSortPackage:
		return `p.name ` + d + `, p.version ` + d + `, ` + severityRankSQL("f.severity_level") + ` DESC, f.vuln_id, f.id`
	case FindingSortVulnerability:
		return `f.vuln_id ` + d + `, p.name, f.id`
	case FindingSortFixed:
		// Findings without a fix sort after those with one.
		return `f.fixed_version = '' ` + d + `, f.fixed_version ` + d + `, p.name, f.id`
	}
	nulls := "NULLS FIRST"
	if desc {
		nulls = "NULLS LAST"
	}
	return severityRankSQL("f.severity_level") + ` ` + d + `, f.severity_score ` + d + ` ` + nulls + `, f.vuln_id, p.name, f.id`
}

// ImageFindings returns one page of an image's findings and how many
// match in all.
func (s *Store) ImageFindings(ctx context.Context, f FindingFilter, p Paging) ([]FindingRow, int, error) {
	b, order := f.build()
	where := b.where()
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) `+findingFrom+` `+where, b.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count findings: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+findingRowColumns+` `+findingFrom+`
		JOIN (SELECT f.id AS page_id `+findingFrom+` `+where+` ORDER BY `+order+` `+pageClause(b, p)+`) page
		ON page.page_id = f.id ORDER BY `+order, b.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list findings: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (FindingRow, error) { return scanFindingRow(row) })
	return list, total, err
}

// ForEachImageFinding calls fn with every finding that matches f, in f's
// order, one row at a time as the database sends them.
func (s *Store) ForEachImageFinding(ctx context.Context, f FindingFilter, fn func(FindingRow) error) error {
	b, order := f.build()
	err := streamRows(ctx, s, `SELECT `+findingRowColumns+` `+findingFrom+` `+b.where()+` ORDER BY `+order, b.args, scanFindingRow, fn)
	if err != nil {
		return fmt.Errorf("list findings: %w", err)
	}
	return nil
}
