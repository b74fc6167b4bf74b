package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/exempt"
	"github.com/palisadesec/palisade/internal/store"
)

// apiExemption is one exemption.
type apiExemption struct {
	ID               int64           `json:"id"`
	Scope            string          `json:"scope"`
	VulnID           string          `json:"vuln_id"`
	ImageID          *int64          `json:"image_id"`
	ImageDigest      string          `json:"image_digest"`
	RepositoryID     *int64          `json:"repository_id"`
	Repository       string          `json:"repository"`
	Package          *apiExemptedPkg `json:"package"`
	RecommendationID string          `json:"recommendation_id"`
	ResourceKind     string          `json:"resource_kind"`
	ResourceID       *int64          `json:"resource_id"`
	Category         string          `json:"category"`
	Justification    string          `json:"justification"`
	ExpiresAt        *time.Time      `json:"expires_at"`
	Active           bool            `json:"active"`
	CreatedBy        string          `json:"created_by"`
	CreatedAt        time.Time       `json:"created_at"`
}

type apiExemptedPkg struct {
	Type      string `json:"type"`
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"`
}

func apiExemptionOf(e store.Exemption) apiExemption {
	out := apiExemption{ID: e.ID, Scope: e.Scope, VulnID: e.VulnID, ImageID: e.ImageID, ImageDigest: e.ImageDigest,
		RepositoryID: e.RepositoryID, Repository: e.Repository, RecommendationID: e.RecommendationID,
		ResourceKind: e.ResourceKind, ResourceID: e.ResourceID, Category: e.Category, Justification: e.Justification,
		ExpiresAt: apiTime(e.ExpiresAt), Active: e.Active(time.Now()), CreatedBy: e.CreatedByName,
		CreatedAt: e.CreatedAt.UTC()}
	if e.Scope == store.ExemptFinding {
		out.Package = &apiExemptedPkg{e.PackageType, e.PackageEcosystem, e.PackageName, e.PackageVersion}
	}
	return out
}

func (h *Handler) apiExemptionList(c echo.Context) error {
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	imageID, err := apiQueryID(c, "image")
	if err != nil {
		return err
	}
	f := store.ExemptionFilter{Status: c.QueryParam("status"), Category: c.QueryParam("category"),
		Scope: c.QueryParam("scope"), Search: c.QueryParam("q"), ImageID: imageID,
		RecommendationID: c.QueryParam("recommendation")}
	list, next, err := h.store.APIExemptions(c.Request().Context(), f, p)
	if err != nil {
		return err
	}
	out := mapAll(list, apiExemptionOf)
	return apiJSON(c, http.StatusOK, newAPIList(out, next))
}

func (h *Handler) apiExemptionShow(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	e, err := h.store.ExemptionByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, apiExemptionOf(e))
}

// apiExemptionInput exempts a finding (finding_id with scope finding,
// image or repository) or a resource of a recommendation
// (recommendation_id and resource_id).
type apiExemptionInput struct {
	FindingID        int64  `json:"finding_id"`
	Scope            string `json:"scope"`
	RecommendationID string `json:"recommendation_id"`
	ResourceID       int64  `json:"resource_id"`
	Category         string `json:"category"`
	Justification    string `json:"justification"`
	// Expires is a date, YYYY-MM-DD; empty never expires.
	Expires string `json:"expires"`
}

// apiActor is who records an exemption: a token by its name and id.
func apiActor(c echo.Context) exempt.Actor {
	p := principalOf(c)
	if p.TokenID != 0 {
		return exempt.Actor{Name: auth.TokenActorName(p.Name, p.TokenID)}
	}
	return exempt.Actor{UserID: p.UserID, Name: p.Name}
}

func (h *Handler) apiExemptionCreate(c echo.Context) error {
	var in apiExemptionInput
	if err := apiBind(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	input := exempt.Input{Scope: in.Scope, Category: in.Category, Justification: in.Justification, Expires: in.Expires}
	var e store.Exemption
	var err error
	switch {
	case in.FindingID > 0 && in.RecommendationID == "":
		e, err = h.exemptions().ExemptFinding(ctx, in.FindingID, input, apiActor(c))
	case in.FindingID == 0 && in.RecommendationID != "" && in.ResourceID > 0:
		e, err = h.exemptions().ExemptResource(ctx, in.RecommendationID, in.ResourceID, input, apiActor(c))
	default:
		return echo.NewHTTPError(http.StatusUnprocessableEntity,
			"give finding_id (with scope finding, image or repository), or recommendation_id and resource_id")
	}
	var bad exempt.Invalid
	if errors.As(err, &bad) {
		return apiInvalid(bad)
	}
	if err != nil {
		return err
	}
	if err := h.recordAudit(c, store.AuditEntry{Action: "exemption.create", ResourceKind: "exemption",
		ResourceID: fmt.Sprint(e.ID), Details: map[string]any{"scope": e.Scope, "vuln_id": e.VulnID,
			"category": e.Category, "recommendation_id": e.RecommendationID}}); err != nil {
		return err
	}
	return apiJSON(c, http.StatusCreated, apiExemptionOf(e))
}

func (h *Handler) apiExemptionDelete(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	e, err := h.exemptions().Revoke(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if err := h.recordAudit(c, store.AuditEntry{Action: "exemption.revoke", ResourceKind: "exemption",
		ResourceID: fmt.Sprint(e.ID), Details: map[string]any{"scope": e.Scope, "vuln_id": e.VulnID}}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
