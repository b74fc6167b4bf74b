package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Exemption scopes: what an exemption covers.
const (
	// ExemptFinding covers one package's finding in one image.
	ExemptFinding = "finding"
	// ExemptImage covers a vulnerability in every package of one image.
	ExemptImage = "image"
	// ExemptRepository covers a vulnerability in every image of one
	// repository, including images pushed later.
	ExemptRepository = "repository"
	// ExemptRecommendation covers one recommendation for one resource.
	ExemptRecommendation = "recommendation"
)

// Exemption categories: why nothing will be fixed.
const (
	CategoryMitigated    = "mitigated"
	CategoryRiskAccepted = "risk_accepted"
)

// ErrAlreadyExempt is returned when an active exemption with the same
// scope and target exists.
var ErrAlreadyExempt = errors.New("already exempt")

// Exemption is one decision that something found needs no fix.
type Exemption struct {
	ID     int64
	Scope  string
	VulnID string
	// ImageID is set for the finding and image scopes, and for
	// recommendation exemptions of an image; RepositoryID for the
	// repository scope.
	ImageID      *int64
	RepositoryID *int64
	// The package, for the finding scope.
	PackageType      string
	PackageEcosystem string
	PackageName      string
	PackageVersion   string
	// The recommendation and resource, for the recommendation scope.
	RecommendationID string
	ResourceKind     string
	ResourceID       *int64

	Category        string
	Justification   string
	ExpiresAt       *time.Time
	LapsedAt        *time.Time
	CreatedByUserID *int64
	CreatedByName   string
	CreatedAt       time.Time

	// Filled by reads: the repository ("registry/name") and the image
	// digest the exemption is about, when it is about one.
	Repository  string
	ImageDigest string
}

// Active reports whether the exemption applies at now.
func (e Exemption) Active(now time.Time) bool {
	return e.ExpiresAt == nil || e.ExpiresAt.After(now)
}

// activeExemption is the condition on exemptions e that are in force:
// every query tests it, so an exemption stops applying the moment it
// expires, whenever the expiry job gets to recount.
const activeExemption = `(e.expires_at IS NULL OR e.expires_at > now())`

// findingExemptionMatch is the condition on exemptions e that cover
// finding f, whose package row is p and image row is i.
func findingExemptionMatch(f, p, i string) string {
	return strings.NewReplacer("{f}", f, "{p}", p, "{i}", i).Replace(`e.vuln_id = {f}.vuln_id
		AND e.scope <> 'recommendation' AND ` + activeExemption + `
		AND ((e.scope = 'image' AND e.image_id = {f}.image_id)
		  OR (e.scope = 'repository' AND e.repository_id = {i}.repository_id)
		  OR (e.scope = 'finding' AND e.image_id = {f}.image_id AND e.package_type = {p}.type
		      AND e.package_ecosystem = {p}.ecosystem AND e.package_name = {p}.name
		      AND e.package_version = {p}.version))`)
}

// findingExempt is true while an active exemption covers finding f
// (package p, image i). Queries that count or list findings use it.
func findingExempt(f, p, i string) string {
	return `EXISTS (SELECT 1 FROM exemptions e WHERE ` + findingExemptionMatch(f, p, i) + `)`
}

// resourceExempt is true while an active exemption covers assessment a.
func resourceExempt(a string) string {
	return `EXISTS (SELECT 1 FROM exemptions e WHERE e.scope = 'recommendation'
		AND e.recommendation_id = ` + a + `.recommendation_id AND e.resource_kind = ` + a + `.resource_kind
		AND e.resource_id = ` + a + `.resource_id AND ` + activeExemption + `)`
}

const exemptionColumns = `e.id, e.scope, e.vuln_id, e.image_id, e.repository_id, e.package_type,
	e.package_ecosystem, e.package_name, e.package_version, e.recommendation_id, e.resource_kind,
	e.resource_id, e.category, e.justification, e.expires_at, e.lapsed_at, e.created_by_user_id,
	e.created_by_name, e.created_at,
	coalesce(rg.name || '/' || r.name, ''), coalesce(im.digest, '')`

const exemptionFrom = `exemptions e
	LEFT JOIN images im ON im.id = e.image_id
	LEFT JOIN repositories r ON r.id = coalesce(e.repository_id, im.repository_id)
	LEFT JOIN registries rg ON rg.id = r.registry_id`

func exemptionFields(e *Exemption) []any {
	return []any{&e.ID, &e.Scope, &e.VulnID, &e.ImageID, &e.RepositoryID, &e.PackageType,
		&e.PackageEcosystem, &e.PackageName, &e.PackageVersion, &e.RecommendationID, &e.ResourceKind,
		&e.ResourceID, &e.Category, &e.Justification, &e.ExpiresAt, &e.LapsedAt, &e.CreatedByUserID,
		&e.CreatedByName, &e.CreatedAt, &e.Repository, &e.ImageDigest}
}

func collectExemptions(rows pgx.Rows) ([]Exemption, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Exemption, error) {
		var e Exemption
		return e, row.Scan(exemptionFields(&e)...)
	})
}

// targetLock is the advisory lock key of what an exemption covers.
func (e Exemption) targetLock() int64 {
	id := func(p *int64) string {
		if p == nil {
			return ""
		}
		return fmt.Sprint(*p)
	}
	h := fnv.New64a()
	for _, part := range []string{"exemption", e.Scope, e.VulnID, id(e.ImageID), id(e.RepositoryID),
		e.PackageType, e.PackageEcosystem, e.PackageName, e.PackageVersion, e.RecommendationID,
		e.ResourceKind, id(e.ResourceID)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
}

// CreateExemptionTx records e. An active exemption of the same target
// makes it fail with ErrAlreadyExempt; an expired one does not.
func (s *Store) CreateExemptionTx(ctx context.Context, tx pgx.Tx, e Exemption) (Exemption, error) {
	// Two operators exempting the same thing at once: the lock makes the
	// second one see the first one's row.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, e.targetLock()); err != nil {
		return e, fmt.Errorf("lock exemption target: %w", err)
	}
	var dup int64
	err := tx.QueryRow(ctx, `
		SELECT e.id FROM exemptions e
		WHERE e.scope = $1 AND e.vuln_id = $2 AND e.image_id IS NOT DISTINCT FROM $3
		  AND e.repository_id IS NOT DISTINCT FROM $4 AND e.package_type = $5
		  AND e.package_ecosystem = $6 AND e.package_name = $7 AND e.package_version = $8
		  AND e.recommendation_id = $9 AND e.resource_kind = $10
		  AND e.resource_id IS NOT DISTINCT FROM $11 AND `+activeExemption+`
		LIMIT 1`,
		e.Scope, e.VulnID, e.ImageID, e.RepositoryID, e.PackageType, e.PackageEcosystem, e.PackageName,
		e.PackageVersion, e.RecommendationID, e.ResourceKind, e.ResourceID).Scan(&dup)
	if err == nil {
		return e, fmt.Errorf("%w (exemption %d)", ErrAlreadyExempt, dup)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("check existing exemptions: %w", err)
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO exemptions (scope, vuln_id, image_id, repository_id, package_type, package_ecosystem,
			package_name, package_version, recommendation_id, resource_kind, resource_id, category,
			justification, expires_at, created_by_user_id, created_by_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		RETURNING id, created_at`,
		e.Scope, e.VulnID, e.ImageID, e.RepositoryID, e.PackageType, e.PackageEcosystem, e.PackageName,
		e.PackageVersion, e.RecommendationID, e.ResourceKind, e.ResourceID, e.Category, e.Justification,
		e.ExpiresAt, e.CreatedByUserID, e.CreatedByName).Scan(&e.ID, &e.CreatedAt)
	if err != nil {
		return e, fmt.Errorf("record exemption: %w", err)
	}
	return e, nil
}

// DeleteExemptionTx removes an exemption and returns what it was.
func (s *Store) DeleteExemptionTx(ctx context.Context, tx pgx.Tx, id int64) (Exemption, error) {
	rows, err := tx.Query(ctx, `
		WITH d AS (DELETE FROM exemptions WHERE id = $1 RETURNING *)
		SELECT `+exemptionColumns+` FROM `+strings.Replace(exemptionFrom, "exemptions e", "d e", 1), id)
	if err != nil {
		return Exemption{}, fmt.Errorf("delete exemption %d: %w", id, err)
	}
	list, err := collectExemptions(rows)
	if err != nil {
		return Exemption{}, fmt.Errorf("delete exemption %d: %w", id, err)
	}
	if len(list) == 0 {
		return Exemption{}, ErrNotFound
	}
	return list[0], nil
}

// ExemptionByID returns one exemption.
func (s *Store) ExemptionByID(ctx context.Context, id int64) (Exemption, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+exemptionColumns+` FROM `+exemptionFrom+` WHERE e.id = $1`, id)
	if err != nil {
		return Exemption{}, fmt.Errorf("read exemption %d: %w", id, err)
	}
	list, err := collectExemptions(rows)
	if err != nil {
		return Exemption{}, fmt.Errorf("read exemption %d: %w", id, err)
	}
	if len(list) == 0 {
		return Exemption{}, ErrNotFound
	}
	return list[0], nil
}

// ExemptionImagesTx returns, in id order, the images whose counts depend
// on e: its image, or for a repository exemption every image of the
// repository with an open finding of the vulnerability. Recommendation
// exemptions change no counts.
func (s *Store) ExemptionImagesTx(ctx context.Context, tx pgx.Tx, e Exemption) ([]int64, error) {
	switch e.Scope {
	case ExemptFinding, ExemptImage:
		return []int64{*e.ImageID}, nil
	case ExemptRepository:
	default:
		return nil, nil
	}
	rows, err := tx.Query(ctx, `
		SELECT DISTINCT f.image_id FROM findings f JOIN images i ON i.id = f.image_id
		WHERE i.repository_id = $1 AND f.vuln_id = $2 AND f.status = 'open'
		ORDER BY f.image_id`, *e.RepositoryID, e.VulnID)
	if err != nil {
		return nil, fmt.Errorf("images of exemption %d: %w", e.ID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// LockLapsedExemptionsTx returns up to limit exemptions that expired and
// whose images were not recounted since, locked until tx ends. Another
// process running the same job skips them.
func (s *Store) LockLapsedExemptionsTx(ctx context.Context, tx pgx.Tx, limit int) ([]Exemption, error) {
	rows, err := tx.Query(ctx, `
		WITH l AS (
			SELECT * FROM exemptions
			WHERE lapsed_at IS NULL AND expires_at <= now()
			ORDER BY expires_at, id
			LIMIT $1
			FOR UPDATE SKIP LOCKED)
		SELECT `+exemptionColumns+` FROM `+strings.Replace(exemptionFrom, "exemptions e", "l e", 1)+`
		ORDER BY e.id`, limit)
	if err != nil {
		return nil, fmt.Errorf("find lapsed exemptions: %w", err)
	}
	return collectExemptions(rows)
}

// MarkExemptionsLapsedTx records that the images of ids were recounted
// after they expired.
func (s *Store) MarkExemptionsLapsedTx(ctx context.Context, tx pgx.Tx, ids []int64) error {
	_, err := tx.Exec(ctx, `UPDATE exemptions SET lapsed_at = now() WHERE id = ANY($1)`, ids)
	if err != nil {
		return fmt.Errorf("mark exemptions lapsed: %w", err)
	}
	return nil
}

// UpdateImageAssessmentTx brings an image's vulnerability assessment in
// line with recounted findings: its status, worst severity and the counts
// in its details. The remediation steps stay: an exemption does not change
// what an upgrade fixes.
func (s *Store) UpdateImageAssessmentTx(ctx context.Context, tx pgx.Tx, recommendationID string, imageID int64, status, severity string, sum ImageSummary) error {
	_, err := tx.Exec(ctx, `
		UPDATE assessments SET status = $3, severity = $4, updated_at = now(),
			details = details || jsonb_build_object('critical', $5::int, 'high', $6::int,
				'medium', $7::int, 'low', $8::int, 'unknown', $9::int)
		WHERE recommendation_id = $1 AND resource_kind = 'image' AND resource_id = $2`,
		recommendationID, imageID, status, severity, sum.Critical, sum.High, sum.Medium, sum.Low, sum.Unknown)
	if err != nil {
		return fmt.Errorf("update assessment of image %d: %w", imageID, err)
	}
	return nil
}

// FindingTarget is what an exemption form needs to know about a finding.
type FindingTarget struct {
	FindingID        int64
	ImageID          int64
	ImageDigest      string
	RepositoryID     int64
	Repository       string
	VulnID           string
	SeverityLevel    string
	PackageType      string
	PackageEcosystem string
	PackageName      string
	PackageVersion   string
}

// FindingTargetByID describes one finding.
func (s *Store) FindingTargetByID(ctx context.Context, findingID int64) (FindingTarget, error) {
	var t FindingTarget
	err := s.pool.QueryRow(ctx, `
		SELECT f.id, f.image_id, i.digest, i.repository_id, rg.name || '/' || r.name, f.vuln_id,
			f.severity_level, p.type, p.ecosystem, p.name, p.version
		FROM findings f
		JOIN image_packages p ON p.id = f.package_id
		JOIN images i ON i.id = f.image_id
		JOIN repositories r ON r.id = i.repository_id
		JOIN registries rg ON rg.id = r.registry_id
		WHERE f.id = $1`, findingID).Scan(&t.FindingID, &t.ImageID, &t.ImageDigest, &t.RepositoryID,
		&t.Repository, &t.VulnID, &t.SeverityLevel, &t.PackageType, &t.PackageEcosystem, &t.PackageName,
		&t.PackageVersion)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("read finding %d: %w", findingID, err)
	}
	return t, nil
}

// ExemptionFilter narrows Exemptions; zero fields do not filter.
type ExemptionFilter struct {
	// Status is "active", "expired" or "" for both.
	Status   string
	Category string
	Scope    string
	// Search matches part of the vulnerability, package, repository,
	// justification or author.
	Search           string
	ImageID          int64
	RecommendationID string
	Limit, Offset    int
}

func (f ExemptionFilter) conds() *condList {
	c := &condList{}
	switch f.Status {
	case "active":
		c.add(activeExemption)
	case "expired":
		c.add(`NOT ` + activeExemption)
	}
	if f.Category != "" {
		c.add(`e.category = ?`, f.Category)
	}
	if f.Scope != "" {
		c.add(`e.scope = ?`, f.Scope)
	}
	if f.Search != "" {
		c.add(`concat_ws(' ', e.vuln_id, e.package_name, rg.name || '/' || r.name, e.justification,
			e.created_by_name, e.recommendation_id) ILIKE '%' || ? || '%'`, likeEscape(f.Search))
	}
	if f.ImageID != 0 {
		n := c.arg(f.ImageID)
		c.add(`(e.image_id = ` + n + ` OR (e.scope = 'repository'
			AND e.repository_id = (SELECT repository_id FROM images WHERE id = ` + n + `)))`)
	}
	if f.RecommendationID != "" {
		c.add(`e.recommendation_id = ?`, f.RecommendationID)
	}
	return c
}

func (f ExemptionFilter) query(paged bool) (string, []any) {
	c := f.conds()
	q := `SELECT ` + exemptionColumns + ` FROM ` + exemptionFrom + ` ` + c.where() + ` ORDER BY e.created_at DESC, e.id DESC`
	if paged {
		q += ` LIMIT ` + c.arg(max(f.Limit, 1)) + ` OFFSET ` + c.arg(max(f.Offset, 0))
	}
	return q, c.args
}

// Exemptions lists exemptions, newest first.
func (s *Store) Exemptions(ctx context.Context, f ExemptionFilter) ([]Exemption, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q, args := f.query(true)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list exemptions: %w", err)
	}
	return collectExemptions(rows)
}

// ForEachExemption streams every exemption matching f, newest first,
// ignoring Limit and Offset.
func (s *Store) ForEachExemption(ctx context.Context, f ExemptionFilter, fn func(Exemption) error) error {
	q, args := f.query(false)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list exemptions: %w", err)
	}
	var e Exemption
	_, err = pgx.ForEachRow(rows, exemptionFields(&e), func() error { return fn(e) })
	return err
}

// ActiveResourceExemptions returns the active exemptions of one
// recommendation for the given resources, by resource id.
func (s *Store) ActiveResourceExemptions(ctx context.Context, recommendationID, kind string, ids []int64) (map[int64]Exemption, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+exemptionColumns+` FROM `+exemptionFrom+`
		WHERE e.scope = 'recommendation' AND e.recommendation_id = $1 AND e.resource_kind = $2
		  AND e.resource_id = ANY($3) AND `+activeExemption+`
		ORDER BY e.id`, recommendationID, kind, ids)
	if err != nil {
		return nil, fmt.Errorf("read resource exemptions: %w", err)
	}
	list, err := collectExemptions(rows)
	if err != nil {
		return nil, fmt.Errorf("read resource exemptions: %w", err)
	}
	out := make(map[int64]Exemption, len(list))
	for _, e := range list {
		out[*e.ResourceID] = e
	}
	return out, nil
}
