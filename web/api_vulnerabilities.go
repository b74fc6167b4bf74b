package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
)

// apiVulnerability is a vulnerability with open findings, over all
// images.
type apiVulnerability struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases"`
	Summary   string   `json:"summary"`
	Severity  string   `json:"severity"`
	CVSSScore *float64 `json:"cvss_score"`
	Images    int      `json:"images"`
	Findings  int      `json:"findings"`
}

func (h *Handler) apiVulnerabilityList(c echo.Context) error {
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	list, next, err := h.store.APIVulnerabilities(c.Request().Context(), c.QueryParam("severity"), p)
	if err != nil {
		return err
	}
	out := make([]apiVulnerability, len(list))
	for i, v := range list {
		out[i] = apiVulnerability{ID: v.ID, Aliases: nonNilStrings(v.Aliases), Summary: v.Summary,
			Severity: v.SeverityLevel, CVSSScore: v.SeverityScore, Images: v.Images, Findings: v.Findings}
	}
	return apiJSON(c, http.StatusOK, newAPIList(out, next))
}

// apiAdvisory is one stored record about a vulnerability.
type apiAdvisory struct {
	ID             string            `json:"id"`
	Feed           string            `json:"feed"`
	Aliases        []string          `json:"aliases"`
	Summary        string            `json:"summary"`
	Details        string            `json:"details"`
	Severity       string            `json:"severity"`
	CVSSScore      *float64          `json:"cvss_score"`
	SeverityVector string            `json:"severity_vector"`
	PublishedAt    *time.Time        `json:"published_at"`
	ModifiedAt     *time.Time        `json:"modified_at"`
	WithdrawnAt    *time.Time        `json:"withdrawn_at"`
	References     []store.Reference `json:"references"`
}

// apiVulnerabilityShow describes a vulnerability by any of its ids or
// aliases, with every advisory about it.
func (h *Handler) apiVulnerabilityShow(c echo.Context) error {
	ctx := c.Request().Context()
	keys, err := h.store.VulnerabilityKeys(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	advs, err := h.store.VulnerabilityAdvisories(ctx, keys)
	if err != nil {
		return err
	}
	out := struct {
		ID         string        `json:"id"`
		Keys       []string      `json:"keys"`
		Advisories []apiAdvisory `json:"advisories"`
	}{ID: c.Param("id"), Keys: keys, Advisories: make([]apiAdvisory, len(advs))}
	for i, a := range advs {
		refs := a.References
		if refs == nil {
			refs = []store.Reference{}
		}
		out.Advisories[i] = apiAdvisory{ID: a.ID, Feed: a.Feed, Aliases: nonNilStrings(a.Aliases), Summary: a.Summary,
			Details: a.Details, Severity: a.SeverityLevel, CVSSScore: a.SeverityScore, SeverityVector: a.SeverityVector,
			PublishedAt: apiTime(a.PublishedAt), ModifiedAt: apiTime(a.ModifiedAt), WithdrawnAt: apiTime(a.WithdrawnAt),
			References: refs}
	}
	return apiJSON(c, http.StatusOK, out)
}

// apiAffected is one package in one image affected by a vulnerability.
type apiAffected struct {
	FindingID    int64            `json:"finding_id"`
	VulnID       string           `json:"vuln_id"`
	Image        apiAffectedImage `json:"image"`
	Package      apiPackage       `json:"package"`
	Severity     string           `json:"severity"`
	CVSSScore    *float64         `json:"cvss_score"`
	FixedVersion string           `json:"fixed_version"`
	FixStatus    string           `json:"fix_status"`
	Status       string           `json:"status"`
	BaseLayer    bool             `json:"base_layer"`
}

type apiAffectedImage struct {
	ID         int64    `json:"id"`
	Registry   string   `json:"registry"`
	Repository string   `json:"repository"`
	Digest     string   `json:"digest"`
	Platform   string   `json:"platform"`
	Tags       []string `json:"tags"`
}

// apiVulnerabilityImages lists the images a vulnerability affects.
func (h *Handler) apiVulnerabilityImages(c echo.Context) error {
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	keys, err := h.store.VulnerabilityKeys(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	list, next, err := h.store.APIAffectedImages(ctx, keys, c.QueryParam("status"), p)
	if err != nil {
		return err
	}
	out := make([]apiAffected, len(list))
	for i, a := range list {
		im := a.Image
		out[i] = apiAffected{FindingID: a.FindingID, VulnID: a.VulnID,
			Image: apiAffectedImage{ID: im.ID, Registry: im.RegistryName, Repository: im.Repository, Digest: im.Digest,
				Platform: im.Platform, Tags: nonNilStrings(im.Tags)},
			Package: apiPackageOf(a.Package), Severity: a.SeverityLevel, CVSSScore: a.SeverityScore,
			FixedVersion: a.FixedVersion, FixStatus: a.FixStatus, Status: a.Status, BaseLayer: a.BaseLayer}
	}
	return apiJSON(c, http.StatusOK, newAPIList(out, next))
}
