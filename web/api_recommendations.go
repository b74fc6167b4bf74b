package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/recommend"
	"github.com/palisadesec/palisade/internal/store"
)

type apiRecommendation struct {
	ID           string                  `json:"id"`
	Title        string                  `json:"title"`
	Severity     string                  `json:"severity"`
	Description  string                  `json:"description"`
	ResourceKind string                  `json:"resource_kind"`
	Counts       apiRecommendationCounts `json:"counts"`
}

type apiRecommendationCounts struct {
	Unhealthy     int `json:"unhealthy"`
	Healthy       int `json:"healthy"`
	Exempt        int `json:"exempt"`
	NotApplicable int `json:"not_applicable"`
}

// apiRecommendationList lists the catalogue with how many resources each
// recommendation found unhealthy, healthy or exempt.
func (h *Handler) apiRecommendationList(c echo.Context) error {
	counts, err := h.store.RecommendationCounts(c.Request().Context())
	if err != nil {
		return err
	}
	var out []apiRecommendation
	for _, r := range recommend.Catalogue() {
		n := counts[r.ID]
		out = append(out, apiRecommendation{ID: r.ID, Title: r.Title, Severity: r.Severity,
			Description: strings.Join(strings.Fields(r.Description), " "), ResourceKind: r.ResourceKind,
			Counts: apiRecommendationCounts{n.Unhealthy, n.Healthy, n.Exempt, n.NotApplicable}})
	}
	return apiJSON(c, http.StatusOK, newAPIList(out, nil))
}

// apiAssessment is one resource a recommendation assessed.
type apiAssessment struct {
	RecommendationID string            `json:"recommendation_id"`
	ResourceKind     string            `json:"resource_kind"`
	ResourceID       int64             `json:"resource_id"`
	Status           string            `json:"status"`
	Severity         string            `json:"severity"`
	Exempt           bool              `json:"exempt"`
	UpdatedAt        time.Time         `json:"updated_at"`
	Details          json.RawMessage   `json:"details"`
	Image            *apiAssessedImage `json:"image"`
}

type apiAssessedImage struct {
	Digest     string    `json:"digest"`
	Repository string    `json:"repository"`
	Tags       string    `json:"tags"`
	Platform   string    `json:"platform"`
	Counts     apiCounts `json:"counts"`
}

// apiRecommendationResources lists a recommendation's assessments, worst
// first; show is unhealthy (default), healthy, exempt or all.
func (h *Handler) apiRecommendationResources(c echo.Context) error {
	if _, ok := recommend.ByID(c.Param("id")); !ok {
		return store.ErrNotFound
	}
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	f := store.ResourceFilter{RecommendationID: c.Param("id"), Show: c.QueryParam("show"),
		Severity: c.QueryParam("severity")}
	list, next, err := h.store.APIRecommendationResources(c.Request().Context(), f, p)
	if err != nil {
		return err
	}
	out := make([]apiAssessment, len(list))
	for i, r := range list {
		details := json.RawMessage(r.Details)
		if !json.Valid(details) {
			details = json.RawMessage("{}")
		}
		out[i] = apiAssessment{RecommendationID: r.RecommendationID, ResourceKind: r.ResourceKind,
			ResourceID: r.ResourceID, Status: r.Status, Severity: r.Severity, Exempt: r.Exempt,
			UpdatedAt: r.UpdatedAt.UTC(), Details: details}
		if r.ResourceKind == "image" {
			out[i].Image = &apiAssessedImage{Digest: r.ImageDigest, Repository: r.Repository, Tags: r.Tags,
				Platform: r.Platform, Counts: apiCounts{r.Critical, r.High, r.Medium, r.Low, r.Unknown}}
		}
	}
	return apiJSON(c, http.StatusOK, newAPIList(out, next))
}
