package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The API's lists page by key (KeyPage) where the console pages by
// offset; the filters are the console's.

// APIRegistries returns one page of registries by name.
func (s *Store) APIRegistries(ctx context.Context, p KeyPage) ([]Registry, []any, error) {
	k := keyset{exprs: []string{"name", "id"}, kinds: "si"}
	list, next, err := keyPage(ctx, s, `SELECT `+registryColumns+` FROM registries`, &condList{}, k, p,
		scanRegistry, func(r Registry) []any { return []any{r.Name, r.ID} })
	if err != nil {
		return nil, nil, fmt.Errorf("list registries: %w", err)
	}
	return list, next, nil
}

// APIImageFilter narrows the API's image list: the console's image
// filters and a severity that the image must have open findings of.
type APIImageFilter struct {
	ImageFilter
	Severity string
}

// APIImages returns one page of images, worst first as the console's
// default order.
func (s *Store) APIImages(ctx context.Context, f APIImageFilter, p KeyPage) ([]ImageRow, []any, error) {
	switch f.Health {
	case "", HealthHealthy, HealthUnhealthy, HealthUnscanned:
	default:
		return nil, nil, fmt.Errorf("%w: health %q (healthy, unhealthy, unscanned)", ErrBadFilter, f.Health)
	}
	b, _ := f.ImageFilter.build()
	if f.Severity != "" {
		if err := checkLevel(f.Severity); err != nil {
			return nil, nil, err
		}
		b.add(`i.` + f.Severity + `_count > 0`)
	}
	k := keyset{exprs: []string{"-i.critical_count", "-i.high_count", "-i.medium_count", "-i.low_count",
		"-i.unknown_count", "i.id"}, kinds: "iiiiii"}
	list, next, err := keyPage(ctx, s, `SELECT `+imageRowColumns+` `+imageFrom, b, k, p,
		func(row pgx.Row) (ImageRow, error) { return scanImageRow(row) },
		func(im ImageRow) []any {
			c := im.Counts
			return []any{-int64(c.Critical), -int64(c.High), -int64(c.Medium), -int64(c.Low), -int64(c.Unknown), im.ID}
		})
	if err != nil && !errors.Is(err, ErrBadCursor) {
		err = fmt.Errorf("list images: %w", err)
	}
	return list, next, err
}

// APIFinding is one finding of an image as the API shows it: the
// console's finding row and whether an active exemption covers it.
type APIFinding struct {
	FindingRow
	Exempt bool
}

// APIImageFindings returns one page of an image's findings, worst first.
// The filter's Sort and Desc are ignored: the API has one order. Its
// Exemptions is "include" (the default here: exempt findings are listed
// and marked), "only" or "hide".
func (s *Store) APIImageFindings(ctx context.Context, f FindingFilter, p KeyPage) ([]APIFinding, []any, error) {
	switch f.Status {
	case "", FindingsOpen, FindingsResolved, FindingsAll:
	default:
		return nil, nil, fmt.Errorf("%w: status %q (open, resolved, all)", ErrBadFilter, f.Status)
	}
	if f.Severity != "" {
		if err := checkLevel(f.Severity); err != nil {
			return nil, nil, err
		}
	}
	switch f.Exemptions {
	case "", "include":
		f.Exemptions = ExemptionsInclude
	case "only":
		f.Exemptions = ExemptionsOnly
	case "hide":
		f.Exemptions = ""
	default:
		return nil, nil, fmt.Errorf("%w: exemptions %q (include, only, hide)", ErrBadFilter, f.Exemptions)
	}
	b, _ := f.build()
	k := keyset{exprs: []string{"-(" + severityRankSQL("f.severity_level") + ")", "f.vuln_id", "p.name", "f.id"}, kinds: "issi"}
	list, next, err := keyPage(ctx, s, `SELECT `+apiFindingColumns+`, `+findingExempt("f", "p", "i")+` `+apiFindingFrom, b, k, p,
		scanAPIFinding,
		func(f APIFinding) []any {
			return []any{-severityRankOf(f.SeverityLevel), f.VulnID, f.Package.Name, f.ID}
		})
	if err != nil && !errors.Is(err, ErrBadCursor) {
		err = fmt.Errorf("list findings: %w", err)
	}
	return list, next, err
}

// apiFindingColumns and apiFindingFrom are the API's own finding query,
// kept apart from the console's so either can change alone; the filters
// (FindingFilter.build) need f, p, i and l.
const apiFindingColumns = `f.id, f.vuln_id, f.advisory_ids, f.aliases, f.summary, f.severity_level,
	f.severity_score, f.severity_source, f.fixed_version, f.fix_status, f.status, f.first_seen_at,
	f.resolved_at, p.id, p.type, p.ecosystem, p.name, p.version, p.source_name, p.source_version,
	p.purl, p.paths, p.layer_index, p.layer_diff_id, coalesce(l.base_layer, false)`

const apiFindingFrom = `FROM findings f
	JOIN image_packages p ON p.id = f.package_id
	JOIN images i ON i.id = f.image_id
	LEFT JOIN image_layers l ON l.image_id = f.image_id AND l.idx = p.layer_index`

func scanAPIFinding(row pgx.Row) (APIFinding, error) {
	var f APIFinding
	var score *float32
	p := &f.Package
	err := row.Scan(&f.ID, &f.VulnID, &f.AdvisoryIDs, &f.Aliases, &f.Summary, &f.SeverityLevel, &score,
		&f.SeveritySource, &f.FixedVersion, &f.FixStatus, &f.Status, &f.FirstSeenAt, &f.ResolvedAt,
		&p.ID, &p.Type, &p.Ecosystem, &p.Name, &p.Version, &p.SourceName, &p.SourceVersion, &p.PURL,
		&p.Paths, &p.LayerIndex, &p.LayerDiffID, &f.BaseLayer, &f.Exempt)
	f.SeverityScore = widen(score)
	return f, err
}

// APIVulnerability is one vulnerability with open findings, summed over
// every image.
type APIVulnerability struct {
	ID            string
	Aliases       []string
	Summary       string
	SeverityLevel string
	SeverityScore *float64
	Images        int
	Findings      int
}

// APIVulnerabilities returns one page of the vulnerabilities that have
// open findings, worst first, optionally of one severity.
func (s *Store) APIVulnerabilities(ctx context.Context, severity string, p KeyPage) ([]APIVulnerability, []any, error) {
	b := &condList{}
	if severity != "" {
		if err := checkLevel(severity); err != nil {
			return nil, nil, err
		}
		if severity == "unknown" {
			b.add(`v.severity_level IN ('unknown', 'none')`)
		} else {
			b.add(`v.severity_level = ?`, severity)
		}
	}
	sel := `SELECT v.vuln_id,
			(SELECT f2.aliases FROM findings f2 WHERE f2.vuln_id = v.vuln_id ORDER BY f2.id DESC LIMIT 1),
			(SELECT f2.summary FROM findings f2 WHERE f2.vuln_id = v.vuln_id ORDER BY f2.id DESC LIMIT 1),
			v.severity_level, v.severity_score, v.images, v.findings
		FROM (
			SELECT f.vuln_id, max(` + severityRankSQL("f.severity_level") + `) AS rank,
				(array_agg(f.severity_level ORDER BY ` + severityRankSQL("f.severity_level") + ` DESC))[1] AS severity_level,
				max(f.severity_score) AS severity_score,
				count(DISTINCT f.image_id) AS images, count(*) AS findings
			FROM findings f WHERE f.status = 'open'
			GROUP BY f.vuln_id
		) v`
	k := keyset{exprs: []string{"-v.rank", "v.vuln_id"}, kinds: "is"}
	list, next, err := keyPage(ctx, s, sel, b, k, p,
		func(row pgx.Row) (APIVulnerability, error) {
			var v APIVulnerability
			var score *float32
			err := row.Scan(&v.ID, &v.Aliases, &v.Summary, &v.SeverityLevel, &score, &v.Images, &v.Findings)
			v.SeverityScore = widen(score)
			return v, err
		},
		func(v APIVulnerability) []any { return []any{-severityRankOf(v.SeverityLevel), v.ID} })
	if err != nil && !errors.Is(err, ErrBadCursor) {
		err = fmt.Errorf("list vulnerabilities: %w", err)
	}
	return list, next, err
}

// APIAffectedImages returns one page of the findings of the
// vulnerabilities keys name (see VulnerabilityKeys), by registry,
// repository and finding.
func (s *Store) APIAffectedImages(ctx context.Context, keys []string, status string, p KeyPage) ([]AffectedRow, []any, error) {
	switch status {
	case "", FindingsOpen, FindingsResolved, FindingsAll:
	default:
		return nil, nil, fmt.Errorf("%w: status %q (open, resolved, all)", ErrBadFilter, status)
	}
	b, _ := AffectedFilter{Keys: keys, Status: status}.build()
	k := keyset{exprs: []string{"reg.name", "r.name", "f.id"}, kinds: "ssi"}
	list, next, err := keyPage(ctx, s, `SELECT `+affectedColumns+` `+affectedFrom, b, k, p,
		func(row pgx.Row) (AffectedRow, error) { return scanAffectedRow(row) },
		func(a AffectedRow) []any { return []any{a.Image.RegistryName, a.Image.Repository, a.FindingID} })
	if err != nil && !errors.Is(err, ErrBadCursor) {
		err = fmt.Errorf("list affected images: %w", err)
	}
	return list, next, err
}

// APIRecommendationResources returns one page of the resources a
// recommendation assessed, worst first. f's Limit and Offset are ignored.
func (s *Store) APIRecommendationResources(ctx context.Context, f ResourceFilter, p KeyPage) ([]ResourceRow, []any, error) {
	switch f.Show {
	case "", ShowUnhealthy, ShowHealthy, ShowExempt, ShowAll:
	default:
		return nil, nil, fmt.Errorf("%w: show %q (unhealthy, healthy, exempt, all)", ErrBadFilter, f.Show)
	}
	q, args := f.query(false)
	// The console's query, its order cut off, as a subquery: its
	// conditions and their arguments carry over.
	q = q[:strings.LastIndex(q, "ORDER BY")]
	k := keyset{exprs: []string{"-(" + severityRankSQL("x.severity") + ")", "x.resource_kind", "x.resource_id"}, kinds: "isi"}
	list, next, err := keyPage(ctx, s, `SELECT x.* FROM (`+q+`) x`, &condList{args: args}, k, p,
		func(r pgx.Row) (ResourceRow, error) {
			var out ResourceRow
			return out, r.Scan(resourceFields(&out)...)
		},
		func(r ResourceRow) []any { return []any{-severityRankOf(r.Severity), r.ResourceKind, r.ResourceID} })
	if err != nil && !errors.Is(err, ErrBadCursor) {
		err = fmt.Errorf("list resources of %s: %w", f.RecommendationID, err)
	}
	return list, next, err
}

// APIExemptions returns one page of exemptions, newest first. f's Limit
// and Offset are ignored.
func (s *Store) APIExemptions(ctx context.Context, f ExemptionFilter, p KeyPage) ([]Exemption, []any, error) {
	switch f.Status {
	case "", "active", "expired":
	default:
		return nil, nil, fmt.Errorf("%w: status %q (active, expired)", ErrBadFilter, f.Status)
	}
	k := keyset{exprs: []string{"-e.id"}, kinds: "i"}
	list, next, err := keyPage(ctx, s, `SELECT `+exemptionColumns+` FROM `+exemptionFrom, f.conds(), k, p,
		func(row pgx.Row) (Exemption, error) {
			var e Exemption
			return e, row.Scan(exemptionFields(&e)...)
		},
		func(e Exemption) []any { return []any{-e.ID} })
	if err != nil && !errors.Is(err, ErrBadCursor) {
		err = fmt.Errorf("list exemptions: %w", err)
	}
	return list, next, err
}

// APIScans returns one page of scans, newest first.
func (s *Store) APIScans(ctx context.Context, f ScanFilter, p KeyPage) ([]ScanRow, []any, error) {
	switch f.State {
	case "", ScanActive, ScanQueued, ScanRunning, ScanDone, ScanFailed:
	default:
		return nil, nil, fmt.Errorf("%w: state %q (queued, running, done, failed, active)", ErrBadFilter, f.State)
	}
	k := keyset{exprs: []string{"-s.id"}, kinds: "i"}
	list, next, err := keyPage(ctx, s, `SELECT `+scanRowColumns+` `+scanFrom, f.build(), k, p,
		func(row pgx.Row) (ScanRow, error) { return scanScanRow(row) },
		func(r ScanRow) []any { return []any{-r.ID} })
	if err != nil && !errors.Is(err, ErrBadCursor) {
		err = fmt.Errorf("list scans: %w", err)
	}
	return list, next, err
}

// APIScan returns one scan with its registry's name and image.
func (s *Store) APIScan(ctx context.Context, id int64) (ScanRow, error) {
	r, err := scanScanRow(s.pool.QueryRow(ctx, `SELECT `+scanRowColumns+` `+scanFrom+` WHERE s.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// APIAuditEntries returns one page of the audit log, newest first. q's
// paging fields are ignored.
func (s *Store) APIAuditEntries(ctx context.Context, q AuditQuery, p KeyPage) ([]AuditEntry, []any, error) {
	k := keyset{exprs: []string{"-id"}, kinds: "i"}
	list, next, err := keyPage(ctx, s, `SELECT `+auditColumns+` FROM audit_log`, q.conds(), k, p,
		func(row pgx.Row) (AuditEntry, error) {
			var e AuditEntry
			return e, row.Scan(auditFields(&e)...)
		},
		func(e AuditEntry) []any { return []any{-e.ID} })
	if err != nil && !errors.Is(err, ErrBadCursor) {
		err = fmt.Errorf("list audit entries: %w", err)
	}
	return list, next, err
}

// ImageExport is what the export endpoints write about one image: every
// package, and the open findings with their exemption state.
type ImageExport struct {
	Image    ImageDetail
	Packages []PackageRecord
	Findings []APIFinding
}

// ImageExportByID loads an image with its packages and open findings.
func (s *Store) ImageExportByID(ctx context.Context, id int64) (ImageExport, error) {
	var x ImageExport
	var err error
	if x.Image, err = s.ImageByID(ctx, id); err != nil {
		return x, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, type, ecosystem, name, version, source_name, source_version, purl, paths, layer_index,
			layer_diff_id
		FROM image_packages WHERE image_id = $1 ORDER BY id`, id)
	if err != nil {
		return x, fmt.Errorf("read packages of image %d: %w", id, err)
	}
	x.Packages, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (PackageRecord, error) {
		var p PackageRecord
		err := row.Scan(&p.ID, &p.Type, &p.Ecosystem, &p.Name, &p.Version, &p.SourceName, &p.SourceVersion,
			&p.PURL, &p.Paths, &p.LayerIndex, &p.LayerDiffID)
		return p, err
	})
	if err != nil {
		return x, fmt.Errorf("read packages of image %d: %w", id, err)
	}
	rows, err = s.pool.Query(ctx, `SELECT `+apiFindingColumns+`, `+findingExempt("f", "p", "i")+` `+apiFindingFrom+`
		WHERE f.image_id = $1 AND f.status = 'open' ORDER BY f.id`, id)
	if err != nil {
		return x, fmt.Errorf("read findings of image %d: %w", id, err)
	}
	x.Findings, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (APIFinding, error) { return scanAPIFinding(row) })
	if err != nil {
		return x, fmt.Errorf("read findings of image %d: %w", id, err)
	}
	return x, nil
}
