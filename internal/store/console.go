package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Overview is the state of everything scanned, for the overview page.
type Overview struct {
	Registries int
	// Open counts open findings of all images by severity.
	Open      SeverityCounts
	Images    int
	Healthy   int
	Unhealthy int
	// Unscanned images were seen (a tag pushed) but not scanned yet.
	Unscanned int
	// Recommendations counts unhealthy assessments by their severity,
	// leaving out exempt resources as the recommendation pages do.
	Recommendations SeverityCounts
}

// Overview sums the images' finding counts and health, and counts the
// unhealthy recommendations by severity.
func (s *Store) Overview(ctx context.Context) (Overview, error) {
	var o Overview
	c := &o.Open
	err := s.pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM registries),
			coalesce(sum(critical_count), 0), coalesce(sum(high_count), 0), coalesce(sum(medium_count), 0),
			coalesce(sum(low_count), 0), coalesce(sum(unknown_count), 0),
			count(*), count(*) FILTER (WHERE healthy), count(*) FILTER (WHERE NOT healthy),
			count(*) FILTER (WHERE healthy IS NULL)
		FROM images`).Scan(&o.Registries, &c.Critical, &c.High, &c.Medium, &c.Low, &c.Unknown,
		&o.Images, &o.Healthy, &o.Unhealthy, &o.Unscanned)
	if err != nil {
		return o, fmt.Errorf("summarise images: %w", err)
	}
	recs, err := s.RecommendationCounts(ctx)
	if err != nil {
		return o, err
	}
	r := &o.Recommendations
	for _, c := range recs {
		for level, n := range c.UnhealthyBySeverity {
			switch level {
			case "critical":
				r.Critical += n
			case "high":
				r.High += n
			case "medium":
				r.Medium += n
			case "low":
				r.Low += n
			default:
				r.Unknown += n
			}
		}
	}
	return o, nil
}

// TrendPoint is the open findings of one day.
type TrendPoint struct {
	Day time.Time
	SeverityCounts
	Images, Unhealthy int
}

// RecordFindingCounts writes today's (UTC) row of finding_counts_daily
// from the images' current counts, replacing an earlier row of the day.
func (s *Store) RecordFindingCounts(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO finding_counts_daily (day, critical, high, medium, low, unknown, images, unhealthy_images)
		SELECT (now() AT TIME ZONE 'UTC')::date,
			coalesce(sum(critical_count), 0), coalesce(sum(high_count), 0), coalesce(sum(medium_count), 0),
			coalesce(sum(low_count), 0), coalesce(sum(unknown_count), 0),
			count(*) FILTER (WHERE scanned_at IS NOT NULL), count(*) FILTER (WHERE NOT healthy)
		FROM images
		ON CONFLICT (day) DO UPDATE SET critical = EXCLUDED.critical, high = EXCLUDED.high,
			medium = EXCLUDED.medium, low = EXCLUDED.low, unknown = EXCLUDED.unknown,
			images = EXCLUDED.images, unhealthy_images = EXCLUDED.unhealthy_images, recorded_at = now()`)
	if err != nil {
		return fmt.Errorf("record finding counts: %w", err)
	}
	return nil
}

// FindingTrend returns the recorded days of the last days days (UTC),
// oldest first, with today's point computed now rather than read from
// the last snapshot.
func (s *Store) FindingTrend(ctx context.Context, days int) ([]TrendPoint, error) {
	rows, err := s.pool.Query(ctx, `
		WITH today AS (SELECT (now() AT TIME ZONE 'UTC')::date AS day)
		SELECT d.day, d.critical, d.high, d.medium, d.low, d.unknown, d.images, d.unhealthy_images
		FROM finding_counts_daily d, today
		WHERE d.day > today.day - $1::int AND d.day < today.day
		UNION ALL
		SELECT today.day, coalesce(sum(critical_count), 0), coalesce(sum(high_count), 0),
			coalesce(sum(medium_count), 0), coalesce(sum(low_count), 0), coalesce(sum(unknown_count), 0),
			count(*) FILTER (WHERE scanned_at IS NOT NULL), count(*) FILTER (WHERE NOT healthy)
		FROM images, today GROUP BY today.day
		ORDER BY 1`, days)
	if err != nil {
		return nil, fmt.Errorf("read finding trend: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (TrendPoint, error) {
		var p TrendPoint
		c := &p.SeverityCounts
		err := row.Scan(&p.Day, &c.Critical, &c.High, &c.Medium, &c.Low, &c.Unknown, &p.Images, &p.Unhealthy)
		return p, err
	})
}

// RegistrySummary is a registry with what Palisade found in it.
type RegistrySummary struct {
	Registry
	Repositories int
	Images       int
	Unhealthy    int
	LastScanAt   *time.Time
}

// registrySummarySQL counts every registry's repositories and images in
// one pass; %s is the condition on the registry (g) and its
// repositories' registry_id.
const registrySummarySQL = `
	SELECT ` + registryColumns + `, coalesce(c.repositories, 0), coalesce(c.images, 0),
		coalesce(c.unhealthy, 0), c.last_scan
	FROM registries g
	LEFT JOIN (
		SELECT r.registry_id, count(DISTINCT r.id) AS repositories, count(i.id) AS images,
			count(i.id) FILTER (WHERE NOT i.healthy) AS unhealthy, max(i.scanned_at) AS last_scan
		FROM repositories r LEFT JOIN images i ON i.repository_id = r.id
		WHERE %[1]s
		GROUP BY r.registry_id
	) c ON c.registry_id = g.id`

func scanRegistrySummary(row pgx.Row) (RegistrySummary, error) {
	var r RegistrySummary
	g := &r.Registry
	err := row.Scan(&g.ID, &g.Name, &g.URL, &g.InsecureHTTP, &g.CABundle, &g.AuthKind, &g.Credentials,
		&g.IncludePatterns, &g.ExcludePatterns, &g.ScanOnPush, &g.PollInterval, &g.LastPolledAt,
		&g.WebhookToken, &g.WebhookSecret, &g.CreatedAt, &g.UpdatedAt,
		&r.Repositories, &r.Images, &r.Unhealthy, &r.LastScanAt)
	return r, notFound(err)
}

// RegistrySummaries lists every registry by name with its counts.
func (s *Store) RegistrySummaries(ctx context.Context) ([]RegistrySummary, error) {
	rows, err := s.pool.Query(ctx, fmt.Sprintf(registrySummarySQL, "true")+` ORDER BY g.name`)
	if err != nil {
		return nil, fmt.Errorf("list registries: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (RegistrySummary, error) { return scanRegistrySummary(row) })
}

// RegistrySummary returns one registry with its counts.
func (s *Store) RegistrySummary(ctx context.Context, id int64) (RegistrySummary, error) {
	return scanRegistrySummary(s.pool.QueryRow(ctx, fmt.Sprintf(registrySummarySQL, "r.registry_id = $1")+` WHERE g.id = $1`, id))
}

// RepositoryRow is one repository with its images' counts.
type RepositoryRow struct {
	ID            int64
	RegistryID    int64
	RegistryName  string
	Name          string
	Images        int
	Unhealthy     int
	Tags          int
	LastScannedAt *time.Time
	Counts        SeverityCounts
}

// Repositories returns one page of repositories by registry and name,
// and how many there are.
func (s *Store) Repositories(ctx context.Context, p Paging) ([]RepositoryRow, int, error) {
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM repositories`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count repositories: %w", err)
	}
	b := &condList{}
	rows, err := s.pool.Query(ctx, `
		SELECT r.id, reg.id, reg.name, r.name, c.images, c.unhealthy,
			(SELECT count(*) FROM tags t WHERE t.repository_id = r.id), c.last_scan,
			c.critical, c.high, c.medium, c.low, c.unknown
		FROM (
			SELECT r.id FROM repositories r JOIN registries reg ON reg.id = r.registry_id
			ORDER BY reg.name, r.name, r.id `+pageClause(b, p)+`
		) page
		JOIN repositories r ON r.id = page.id
		JOIN registries reg ON reg.id = r.registry_id
		CROSS JOIN LATERAL (
			SELECT count(*) AS images, count(*) FILTER (WHERE NOT i.healthy) AS unhealthy,
				max(i.scanned_at) AS last_scan,
				coalesce(sum(i.critical_count), 0) AS critical, coalesce(sum(i.high_count), 0) AS high,
				coalesce(sum(i.medium_count), 0) AS medium, coalesce(sum(i.low_count), 0) AS low,
				coalesce(sum(i.unknown_count), 0) AS unknown
			FROM images i WHERE i.repository_id = r.id
		) c
		ORDER BY reg.name, r.name, r.id`, b.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list repositories: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (RepositoryRow, error) {
		var r RepositoryRow
		c := &r.Counts
		err := row.Scan(&r.ID, &r.RegistryID, &r.RegistryName, &r.Name, &r.Images, &r.Unhealthy, &r.Tags,
			&r.LastScannedAt, &c.Critical, &c.High, &c.Medium, &c.Low, &c.Unknown)
		return r, err
	})
	return list, total, err
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
