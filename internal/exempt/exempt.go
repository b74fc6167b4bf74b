package exempt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/palisadesec/palisade/internal/recommend"
	"github.com/palisadesec/palisade/internal/store"
)

// MaxJustification is the longest justification accepted, in characters.
const MaxJustification = 2000

// DateLayout is how an expiry date is written in forms.
const DateLayout = "2006-01-02"

// Service records and revokes exemptions.
type Service struct {
	store  *store.Store
	levels []string
	log    *slog.Logger
	// now is the clock expiry dates are checked against.
	now func() time.Time
}

// NewService returns a service that recounts image health with the given
// unhealthy severity levels.
func NewService(st *store.Store, unhealthyLevels []string, log *slog.Logger) *Service {
	return &Service{store: st, levels: unhealthyLevels, log: log.With(slog.String("component", "exemptions")), now: time.Now}
}

// Actor is who records an exemption. UserID is 0 in local mode.
type Actor struct {
	UserID int64
	Name   string
}

// Input is an exemption as an operator filled it in.
type Input struct {
	// Scope is a store.Exempt* constant. Findings take finding, image or
	// repository; resources take recommendation.
	Scope         string
	Category      string
	Justification string
	// Expires is a date (DateLayout) from which the exemption no longer
	// applies, at 00:00 UTC; empty never expires.
	Expires string
}

// Invalid is what is wrong with an Input, by form field ("scope",
// "category", "justification", "expires"); "" holds what concerns the
// whole form.
type Invalid map[string]string

func (v Invalid) Error() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(v)) {
		parts = append(parts, strings.TrimPrefix(k+": ", ": ")+v[k])
	}
	return "invalid exemption: " + strings.Join(parts, "; ")
}

// check validates the fields every scope shares and returns the expiry.
func (s *Service) check(in Input, scopes ...string) (*time.Time, Invalid) {
	bad := Invalid{}
	if !slices.Contains(scopes, in.Scope) {
		bad["scope"] = "Choose what to exempt."
	}
	if in.Category != store.CategoryMitigated && in.Category != store.CategoryRiskAccepted {
		bad["category"] = "Choose mitigated or risk accepted."
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(in.Justification)); {
	case n == 0:
		bad["justification"] = "Say why this needs no fix: auditors will read it."
	case n > MaxJustification:
		bad["justification"] = fmt.Sprintf("Keep it to %d characters; this has %d.", MaxJustification, n)
	}
	var expires *time.Time
	if in.Expires != "" {
		d, err := time.Parse(DateLayout, in.Expires)
		switch {
		case err != nil:
			bad["expires"] = "Give a date as YYYY-MM-DD, or leave it empty for no expiry."
		case !d.After(s.now()):
			bad["expires"] = "Give a date in the future."
		default:
			expires = &d
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return expires, nil
}

// ExemptFinding exempts one finding, its vulnerability in the whole
// image, or its vulnerability in every image of the repository, as
// in.Scope says, and recounts the images that changes.
func (s *Service) ExemptFinding(ctx context.Context, findingID int64, in Input, by Actor) (store.Exemption, error) {
	expires, bad := s.check(in, store.ExemptFinding, store.ExemptImage, store.ExemptRepository)
	if bad != nil {
		return store.Exemption{}, bad
	}
	t, err := s.store.FindingTargetByID(ctx, findingID)
	if err != nil {
		return store.Exemption{}, err
	}
	e := newExemption(in, expires, by)
	e.VulnID = t.VulnID
	switch in.Scope {
	case store.ExemptRepository:
		e.RepositoryID = &t.RepositoryID
	case store.ExemptFinding:
		e.PackageType, e.PackageEcosystem, e.PackageName, e.PackageVersion =
			t.PackageType, t.PackageEcosystem, t.PackageName, t.PackageVersion
		fallthrough
	default:
		e.ImageID = &t.ImageID
	}
	return s.create(ctx, e)
}

// ExemptResource exempts one resource from a recommendation.
func (s *Service) ExemptResource(ctx context.Context, recommendationID string, resourceID int64, in Input, by Actor) (store.Exemption, error) {
	in.Scope = store.ExemptRecommendation
	expires, bad := s.check(in, store.ExemptRecommendation)
	if bad != nil {
		return store.Exemption{}, bad
	}
	res, err := s.store.RecommendationResource(ctx, recommendationID, resourceID)
	if err != nil {
		return store.Exemption{}, err
	}
	e := newExemption(in, expires, by)
	e.RecommendationID, e.ResourceKind, e.ResourceID = res.RecommendationID, res.ResourceKind, &resourceID
	if res.ResourceKind == "image" {
		// Ties the exemption to the image, so it goes when the image does.
		e.ImageID = &resourceID
	}
	return s.create(ctx, e)
}

func newExemption(in Input, expires *time.Time, by Actor) store.Exemption {
	e := store.Exemption{
		Scope: in.Scope, Category: in.Category, Justification: strings.TrimSpace(in.Justification),
		ExpiresAt: expires, CreatedByName: by.Name,
	}
	if by.UserID != 0 {
		e.CreatedByUserID = &by.UserID
	}
	return e
}

func (s *Service) create(ctx context.Context, e store.Exemption) (store.Exemption, error) {
	err := s.store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if e, err = s.store.CreateExemptionTx(ctx, tx, e); err != nil {
			return err
		}
		return s.recountFor(ctx, tx, e)
	})
	if errors.Is(err, store.ErrAlreadyExempt) {
		return e, Invalid{"": "This is already exempt: revoke the existing exemption first to change it."}
	}
	if err != nil {
		return e, err
	}
	s.log.Info("Exemption recorded", slog.Int64("exemption_id", e.ID), slog.String("scope", e.Scope),
		slog.String("vuln_id", e.VulnID), slog.String("by", e.CreatedByName))
	return s.store.ExemptionByID(ctx, e.ID)
}

// Revoke deletes an exemption and recounts the images it covered.
func (s *Service) Revoke(ctx context.Context, id int64) (store.Exemption, error) {
	var e store.Exemption
	err := s.store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if e, err = s.store.DeleteExemptionTx(ctx, tx, id); err != nil {
			return err
		}
		return s.recountFor(ctx, tx, e)
	})
	if err != nil {
		return e, err
	}
	s.log.Info("Exemption revoked", slog.Int64("exemption_id", e.ID))
	return e, nil
}

func (s *Service) recountFor(ctx context.Context, tx pgx.Tx, e store.Exemption) error {
	ids, err := s.store.ExemptionImagesTx(ctx, tx, e)
	if err != nil {
		return err
	}
	return s.recountTx(ctx, tx, ids)
}

// recountTx recounts images and their vulnerability assessments, in id
// order so that concurrent recounts lock images in the same order.
func (s *Service) recountTx(ctx context.Context, tx pgx.Tx, ids []int64) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		sum, err := s.store.RefreshImageSummaryTx(ctx, tx, id, s.levels)
		if err != nil {
			return err
		}
		status := "unhealthy"
		if sum.Healthy {
			status = "healthy"
		}
		err = s.store.UpdateImageAssessmentTx(ctx, tx, recommend.ImageVulnerabilities.ID, id, status, sum.Worst(), sum)
		if err != nil {
			return err
		}
	}
	return nil
}

// AuditDetails describes e for the audit log: enough to know what was
// exempted, and why, after the exemption itself is gone.
func AuditDetails(e store.Exemption) map[string]any {
	d := map[string]any{
		"scope": e.Scope, "category": e.Category, "justification": e.Justification,
	}
	set := func(k, v string) {
		if v != "" {
			d[k] = v
		}
	}
	set("vuln_id", e.VulnID)
	set("repository", e.Repository)
	set("image_digest", e.ImageDigest)
	if e.PackageName != "" {
		d["package"] = e.PackageName + " " + e.PackageVersion
	}
	set("recommendation_id", e.RecommendationID)
	if e.ResourceID != nil {
		d["resource"] = fmt.Sprintf("%s %d", e.ResourceKind, *e.ResourceID)
	}
	if e.ExpiresAt != nil {
		d["expires_at"] = e.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return d
}
