package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// severityRankSQL orders severity levels in SQL, worst highest.
func severityRankSQL(col string) string {
	return `CASE ` + col + ` WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3
		WHEN 'low' THEN 2 WHEN 'unknown' THEN 1 ELSE 0 END`
}

// RecommendationCounts is how many resources one recommendation assessed,
// by state. A resource covered by an active exemption counts as Exempt
// whatever its assessment says.
type RecommendationCounts struct {
	Unhealthy, Healthy, Exempt, NotApplicable int
	// UnhealthyBySeverity counts unhealthy resources by their worst level.
	UnhealthyBySeverity map[string]int
}

// Total is every resource assessed.
func (c RecommendationCounts) Total() int {
	return c.Unhealthy + c.Healthy + c.Exempt + c.NotApplicable
}

// RecommendationCounts returns the counts of every recommendation that
// assessed at least one resource, by recommendation id.
func (s *Store) RecommendationCounts(ctx context.Context) (map[string]RecommendationCounts, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT a.recommendation_id, a.status, a.severity, `+resourceExempt("a")+` AS exempt, count(*)
		FROM assessments a
		GROUP BY 1, 2, 3, 4`)
	if err != nil {
		return nil, fmt.Errorf("count assessments: %w", err)
	}
	out := map[string]RecommendationCounts{}
	var id, status, severity string
	var exempt bool
	var n int
	_, err = pgx.ForEachRow(rows, []any{&id, &status, &severity, &exempt, &n}, func() error {
		c := out[id]
		if c.UnhealthyBySeverity == nil {
			c.UnhealthyBySeverity = map[string]int{}
		}
		switch {
		case exempt:
			c.Exempt += n
		case status == "unhealthy":
			c.Unhealthy += n
			c.UnhealthyBySeverity[severity] += n
		case status == "healthy":
			c.Healthy += n
		default:
			c.NotApplicable += n
		}
		out[id] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count assessments: %w", err)
	}
	return out, nil
}

// Which resources a ResourceFilter shows.
const (
	ShowUnhealthy = "unhealthy"
	ShowHealthy   = "healthy"
	ShowExempt    = "exempt"
	ShowAll       = "all"
)

// ResourceFilter narrows RecommendationResources.
type ResourceFilter struct {
	RecommendationID string
	// Show is one of the Show constants; "" means ShowUnhealthy.
	Show string
	// Severity keeps resources whose worst level is this one.
	Severity string
	// Search matches part of the repository name or tag.
	Search        string
	Limit, Offset int
}

// ResourceRow is one resource a recommendation assessed. The image fields
// are set when the resource is an image.
type ResourceRow struct {
	RecommendationID string
	ResourceKind     string
	ResourceID       int64
	Status           string
	Severity         string
	Details          []byte
	UpdatedAt        time.Time
	Exempt           bool

	ImageDigest string
	Repository  string
	Tags        string
	Platform    string
	Critical    int
	High        int
	Medium      int
	Low         int
	Unknown     int
	ScannedAt   *time.Time
}

const resourceColumns = `a.recommendation_id, a.resource_kind, a.resource_id, a.status, a.severity,
	a.details, a.updated_at, ` + `{exempt}` + `,
	coalesce(i.digest, ''), coalesce(rg.name || '/' || r.name, ''),
	coalesce((SELECT string_agg(t.name, ', ' ORDER BY t.name) FROM tags t
		WHERE t.repository_id = i.repository_id AND t.digest IN (i.digest, i.index_digest)), ''),
	coalesce(i.platform, ''), coalesce(i.critical_count, 0), coalesce(i.high_count, 0),
	coalesce(i.medium_count, 0), coalesce(i.low_count, 0), coalesce(i.unknown_count, 0), i.scanned_at`

const resourceFrom = `assessments a
	LEFT JOIN images i ON a.resource_kind = 'image' AND i.id = a.resource_id
	LEFT JOIN repositories r ON r.id = i.repository_id
	LEFT JOIN registries rg ON rg.id = r.registry_id`

// resourceSelect selects resource rows from from, which must name the
// assessment a, its image i, repository r and registry rg.
func resourceSelect(from string) string {
	return `SELECT ` + strings.Replace(resourceColumns, "{exempt}", resourceExempt("a"), 1) + ` FROM ` + from
}

func resourceFields(r *ResourceRow) []any {
	return []any{&r.RecommendationID, &r.ResourceKind, &r.ResourceID, &r.Status, &r.Severity,
		&r.Details, &r.UpdatedAt, &r.Exempt, &r.ImageDigest, &r.Repository, &r.Tags, &r.Platform,
		&r.Critical, &r.High, &r.Medium, &r.Low, &r.Unknown, &r.ScannedAt}
}

func (f ResourceFilter) query(paged bool) (string, []any) {
	c := &condList{}
	c.add(`a.recommendation_id = ?`, f.RecommendationID)
	switch f.Show {
	case ShowAll:
	case ShowHealthy:
		c.add(`a.status = 'healthy' AND NOT ` + resourceExempt("a"))
	case ShowExempt:
		c.add(resourceExempt("a"))
	default:
		c.add(`a.status = 'unhealthy' AND NOT ` + resourceExempt("a"))
	}
	if f.Severity != "" {
		c.add(`a.severity = ?`, f.Severity)
	}
	if f.Search != "" {
		c.add(`(r.name ILIKE '%' || ? || '%' OR EXISTS (SELECT 1 FROM tags t
			WHERE t.repository_id = i.repository_id AND t.digest IN (i.digest, i.index_digest)
			  AND t.name ILIKE '%' || ? || '%'))`, likeEscape(f.Search), likeEscape(f.Search))
	}
	limit := ""
	if paged {
		limit = ` LIMIT ` + c.arg(max(f.Limit, 1)) + ` OFFSET ` + c.arg(max(f.Offset, 0))
	}
	// Sort narrow rows first and read tags, exemptions and details only
	// for the rows of the page: with 10,000 images that is most of the
	// cost.
	q := `WITH page AS (
			SELECT a.id, ` + severityRankSQL("a.severity") + ` AS rank, i.critical_count AS c, i.high_count AS h,
				i.unknown_count AS u, i.medium_count AS m, a.resource_id AS rid
			FROM assessments a
			LEFT JOIN images i ON a.resource_kind = 'image' AND i.id = a.resource_id
			LEFT JOIN repositories r ON r.id = i.repository_id
			` + c.where() + `
			ORDER BY rank DESC, c DESC NULLS LAST, h DESC NULLS LAST, u DESC NULLS LAST, m DESC NULLS LAST, rid` + limit + `)
		` + resourceSelect(`page JOIN assessments a ON a.id = page.id
			LEFT JOIN images i ON a.resource_kind = 'image' AND i.id = a.resource_id
			LEFT JOIN repositories r ON r.id = i.repository_id
			LEFT JOIN registries rg ON rg.id = r.registry_id`) + `
		ORDER BY page.rank DESC, page.c DESC NULLS LAST, page.h DESC NULLS LAST, page.u DESC NULLS LAST,
			page.m DESC NULLS LAST, page.rid`
	return q, c.args
}

// RecommendationResources lists the resources a recommendation assessed,
// worst first: by worst severity, then by how many findings of each level.
func (s *Store) RecommendationResources(ctx context.Context, f ResourceFilter) ([]ResourceRow, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q, args := f.query(true)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list resources of %s: %w", f.RecommendationID, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ResourceRow, error) {
		var r ResourceRow
		return r, row.Scan(resourceFields(&r)...)
	})
}

// resourceBatch is how many rows ForEachRecommendationResource reads at
// a time.
const resourceBatch = 200

// ForEachRecommendationResource streams every resource matching f in the
// order RecommendationResources lists them, ignoring Limit and Offset.
// It reads in pages from one snapshot: sorting every row with its tags
// and details before sending the first one would make a long export
// start late.
func (s *Store) ForEachRecommendationResource(ctx context.Context, f ResourceFilter, fn func(ResourceRow) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	return pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		for f.Offset = 0; ; f.Offset += resourceBatch {
			f.Limit = resourceBatch
			q, args := f.query(true)
			rows, err := tx.Query(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("list resources of %s: %w", f.RecommendationID, err)
			}
			var r ResourceRow
			n, err := pgx.ForEachRow(rows, resourceFields(&r), func() error { return fn(r) })
			if err != nil || n.RowsAffected() < resourceBatch {
				return err
			}
		}
	})
}

// RecommendationResource returns one assessed resource.
func (s *Store) RecommendationResource(ctx context.Context, recommendationID string, resourceID int64) (ResourceRow, error) {
	var r ResourceRow
	err := s.pool.QueryRow(ctx, resourceSelect(resourceFrom)+` WHERE a.recommendation_id = $1 AND a.resource_id = $2`,
		recommendationID, resourceID).Scan(resourceFields(&r)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("read resource %d of %s: %w", resourceID, recommendationID, err)
	}
	return r, nil
}

// StepTotal is one remediation step summed over the unhealthy resources
// of a recommendation that carry it.
type StepTotal struct {
	Kind      string
	Package   string
	Type      string
	To        string
	Worst     string
	Resources int
	Findings  int
}

// RecommendationStepTotals sums the remediation steps stored with the
// unhealthy, unexempt assessments of one recommendation, the most
// widespread first, at most limit of them.
func (s *Store) RecommendationStepTotals(ctx context.Context, recommendationID string, limit int) ([]StepTotal, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT st->>'kind', coalesce(st->>'package', ''), coalesce(st->>'type', ''), coalesce(st->>'to', ''),
			max(`+severityRankSQL("st->>'worst_severity'")+`), count(*),
			coalesce(sum((st->>'findings')::int), 0)
		FROM assessments a
		CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(a.details->'steps')
			WHEN 'array' THEN a.details->'steps' ELSE '[]' END) st
		WHERE a.recommendation_id = $1 AND a.status = 'unhealthy' AND NOT `+resourceExempt("a")+`
		GROUP BY 1, 2, 3, 4
		ORDER BY 6 DESC, 5 DESC, 7 DESC, 1, 2
		LIMIT $2`, recommendationID, limit)
	if err != nil {
		return nil, fmt.Errorf("sum remediation steps of %s: %w", recommendationID, err)
	}
	levels := []string{"none", "unknown", "low", "medium", "high", "critical"}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (StepTotal, error) {
		var t StepTotal
		var rank int
		err := row.Scan(&t.Kind, &t.Package, &t.Type, &t.To, &rank, &t.Resources, &t.Findings)
		t.Worst = levels[min(max(rank, 0), len(levels)-1)]
		return t, err
	})
}

// RemediationFinding is an open finding of an image, as the remediation
// pages list it, with the exemption that covers it if any.
type RemediationFinding struct {
	ID               int64
	VulnID           string
	Summary          string
	SeverityLevel    string
	SeverityScore    *float64
	FixedVersion     string
	FixStatus        string
	PackageType      string
	PackageEcosystem string
	PackageName      string
	PackageVersion   string
	SourceName       string
	Paths            []string
	LayerIndex       int
	BaseLayer        bool
	// Exemption is the most specific active exemption covering the
	// finding; nil when none does.
	Exemption *Exemption
}

// RemediationFindingFilter narrows RemediationFindings.
type RemediationFindingFilter struct {
	ImageID int64
	// WithExempt lists exempt findings too.
	WithExempt    bool
	Severity      string
	Limit, Offset int
}

// RemediationFindings lists an image's open findings, worst first.
func (s *Store) RemediationFindings(ctx context.Context, f RemediationFindingFilter) ([]RemediationFinding, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	c := &condList{}
	c.add(`f.image_id = ?`, f.ImageID)
	c.add(`f.status = 'open'`)
	if !f.WithExempt {
		c.add(`ex.id IS NULL`)
	}
	if f.Severity != "" {
		c.add(`f.severity_level = ?`, f.Severity)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT f.id, f.vuln_id, f.summary, f.severity_level, f.severity_score, f.fixed_version, f.fix_status,
			p.type, p.ecosystem, p.name, p.version, p.source_name, p.paths, p.layer_index,
			coalesce(l.base_layer, false),
			ex.id, ex.scope, ex.category, ex.justification, ex.expires_at, ex.created_by_name, ex.created_at
		FROM findings f
		JOIN image_packages p ON p.id = f.package_id
		JOIN images i ON i.id = f.image_id
		LEFT JOIN image_layers l ON l.image_id = f.image_id AND l.idx = p.layer_index
		LEFT JOIN LATERAL (
			SELECT e.* FROM exemptions e WHERE `+findingExemptionMatch("f", "p", "i")+`
			ORDER BY CASE e.scope WHEN 'finding' THEN 0 WHEN 'image' THEN 1 ELSE 2 END, e.id
			LIMIT 1) ex ON true
		`+c.where()+`
		ORDER BY `+severityRankSQL("f.severity_level")+` DESC, f.severity_score DESC NULLS LAST,
			f.vuln_id, p.name, f.id
		LIMIT `+c.arg(f.Limit)+` OFFSET `+c.arg(max(f.Offset, 0)), c.args...)
	if err != nil {
		return nil, fmt.Errorf("list findings of image %d: %w", f.ImageID, err)
	}
	return pgx.CollectRows(rows, scanRemediationFinding)
}

func scanRemediationFinding(row pgx.CollectableRow) (RemediationFinding, error) {
	var rf RemediationFinding
	var score *float32
	var exID *int64
	var e Exemption
	var scope, category, justification, by *string
	var createdAt *time.Time
	err := row.Scan(&rf.ID, &rf.VulnID, &rf.Summary, &rf.SeverityLevel, &score, &rf.FixedVersion,
		&rf.FixStatus, &rf.PackageType, &rf.PackageEcosystem, &rf.PackageName, &rf.PackageVersion,
		&rf.SourceName, &rf.Paths, &rf.LayerIndex, &rf.BaseLayer,
		&exID, &scope, &category, &justification, &e.ExpiresAt, &by, &createdAt)
	if score != nil {
		v := float64(*score)
		rf.SeverityScore = &v
	}
	if exID != nil {
		e.ID, e.Scope, e.Category, e.Justification, e.CreatedByName = *exID, *scope, *category, *justification, *by
		e.CreatedAt = *createdAt
		rf.Exemption = &e
	}
	return rf, err
}

// PackageFacts is what the fixes of a package need to know besides its
// findings: the source package a binary was built from, and the files it
// was found in.
type PackageFacts struct {
	Name, Type, SourceName string
	Paths                  []string
}

// ImagePackageFacts lists an image's packages, by name.
func (s *Store) ImagePackageFacts(ctx context.Context, imageID int64) ([]PackageFacts, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT name, type, CASE source_name WHEN '' THEN name ELSE source_name END, paths
		FROM image_packages WHERE image_id = $1
		ORDER BY name, id`, imageID)
	if err != nil {
		return nil, fmt.Errorf("list packages of image %d: %w", imageID, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (PackageFacts, error) {
		var p PackageFacts
		return p, row.Scan(&p.Name, &p.Type, &p.SourceName, &p.Paths)
	})
}

// ExemptFindingCount counts an image's open findings that an active
// exemption covers.
func (s *Store) ExemptFindingCount(ctx context.Context, imageID int64) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `
		SELECT count(*) FROM findings f
		JOIN image_packages p ON p.id = f.package_id
		JOIN images i ON i.id = f.image_id
		WHERE f.image_id = $1 AND f.status = 'open' AND `+findingExempt("f", "p", "i"), imageID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count exempt findings of image %d: %w", imageID, err)
	}
	return n, nil
}
