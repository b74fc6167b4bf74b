package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
)

// apiCounts are open, not exempt findings by severity.
type apiCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Unknown  int `json:"unknown"`
}

// apiImage is an image in a list.
type apiImage struct {
	ID           int64      `json:"id"`
	RegistryID   int64      `json:"registry_id"`
	Registry     string     `json:"registry"`
	RepositoryID int64      `json:"repository_id"`
	Repository   string     `json:"repository"`
	Digest       string     `json:"digest"`
	IndexDigest  string     `json:"index_digest"`
	Platform     string     `json:"platform"`
	OS           string     `json:"os"`
	SizeBytes    int64      `json:"size_bytes"`
	Health       string     `json:"health"`
	ScannedAt    *time.Time `json:"scanned_at"`
	Counts       apiCounts  `json:"counts"`
	Tags         []string   `json:"tags"`
}

func apiImageOf(im store.ImageRow) apiImage {
	health := store.HealthUnscanned
	if im.Healthy != nil {
		health = store.HealthUnhealthy
		if *im.Healthy {
			health = store.HealthHealthy
		}
	}
	c := im.Counts
	return apiImage{ID: im.ID, RegistryID: im.RegistryID, Registry: im.RegistryName, RepositoryID: im.RepositoryID,
		Repository: im.Repository, Digest: im.Digest, IndexDigest: im.IndexDigest, Platform: im.Platform,
		OS: im.OSName, SizeBytes: im.SizeBytes, Health: health, ScannedAt: apiTime(im.ScannedAt),
		Counts: apiCounts{c.Critical, c.High, c.Medium, c.Low, c.Unknown}, Tags: nonNilStrings(im.Tags)}
}

// apiImageDetail is one image with its layers and advisory data.
type apiImageDetail struct {
	apiImage
	MediaType    string          `json:"media_type"`
	ConfigDigest string          `json:"config_digest"`
	OSID         string          `json:"os_id"`
	OSVersion    string          `json:"os_version"`
	CreatedAt    time.Time       `json:"created_at"`
	FeedVersion  *apiFeedVersion `json:"feed_version"`
	Layers       []apiLayer      `json:"layers"`
}

type apiFeedVersion struct {
	ID         int64     `json:"id"`
	Source     string    `json:"source"`
	Digest     string    `json:"digest"`
	ImportedAt time.Time `json:"imported_at"`
}

func apiFeedVersionOf(v *store.FeedVersion) *apiFeedVersion {
	if v == nil {
		return nil
	}
	return &apiFeedVersion{ID: v.ID, Source: v.Source, Digest: v.Digest, ImportedAt: v.ImportedAt.UTC()}
}

type apiLayer struct {
	Index     int    `json:"index"`
	Digest    string `json:"digest"`
	DiffID    string `json:"diff_id"`
	SizeBytes int64  `json:"size_bytes"`
	CreatedBy string `json:"created_by"`
	BaseLayer bool   `json:"base_layer"`
}

func (h *Handler) apiImageList(c echo.Context) error {
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	regID, err := apiQueryID(c, "registry")
	if err != nil {
		return err
	}
	f := store.APIImageFilter{ImageFilter: store.ImageFilter{RegistryID: regID, Query: c.QueryParam("repository"),
		Health: c.QueryParam("health")}, Severity: c.QueryParam("severity")}
	list, next, err := h.store.APIImages(c.Request().Context(), f, p)
	if err != nil {
		return err
	}
	out := mapAll(list, apiImageOf)
	return apiJSON(c, http.StatusOK, newAPIList(out, next))
}

func (h *Handler) apiImageShow(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	d, err := h.store.ImageByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	out := apiImageDetail{apiImage: apiImageOf(d.ImageRow), MediaType: d.MediaType, ConfigDigest: d.ConfigDigest,
		OSID: d.OSID, OSVersion: d.OSVersion, CreatedAt: d.CreatedAt.UTC(), FeedVersion: apiFeedVersionOf(d.FeedVersion),
		Layers: make([]apiLayer, len(d.Layers))}
	for i, l := range d.Layers {
		out.Layers[i] = apiLayer{l.Index, l.Digest, l.DiffID, l.SizeBytes, l.CreatedBy, l.BaseLayer}
	}
	return apiJSON(c, http.StatusOK, out)
}

// apiFinding is one finding of an image.
type apiFinding struct {
	ID               int64       `json:"id"`
	VulnID           string      `json:"vuln_id"`
	Aliases          []string    `json:"aliases"`
	AdvisoryIDs      []string    `json:"advisory_ids"`
	Summary          string      `json:"summary"`
	Severity         string      `json:"severity"`
	CVSSScore        *float64    `json:"cvss_score"`
	SeveritySource   string      `json:"severity_source"`
	Package          apiPackage  `json:"package"`
	InstalledVersion string      `json:"installed_version"`
	FixedVersion     string      `json:"fixed_version"`
	FixStatus        string      `json:"fix_status"`
	Status           string      `json:"status"`
	Layer            apiLayerRef `json:"layer"`
	Exempt           bool        `json:"exempt"`
	FirstSeenAt      time.Time   `json:"first_seen_at"`
	ResolvedAt       *time.Time  `json:"resolved_at"`
}

type apiPackage struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	Type      string   `json:"type"`
	Ecosystem string   `json:"ecosystem"`
	PURL      string   `json:"purl"`
	Paths     []string `json:"paths"`
}

type apiLayerRef struct {
	Index  int    `json:"index"`
	DiffID string `json:"diff_id"`
	Base   bool   `json:"base"`
}

func apiPackageOf(p store.PackageRecord) apiPackage {
	return apiPackage{Name: p.Name, Version: p.Version, Type: p.Type, Ecosystem: p.Ecosystem, PURL: p.PURL,
		Paths: nonNilStrings(p.Paths)}
}

func apiFindingOf(f store.APIFinding) apiFinding {
	return apiFinding{ID: f.ID, VulnID: f.VulnID, Aliases: nonNilStrings(f.Aliases),
		AdvisoryIDs: nonNilStrings(f.AdvisoryIDs), Summary: f.Summary, Severity: f.SeverityLevel,
		CVSSScore: f.SeverityScore, SeveritySource: f.SeveritySource, Package: apiPackageOf(f.Package),
		InstalledVersion: f.Package.Version, FixedVersion: f.FixedVersion, FixStatus: f.FixStatus, Status: f.Status,
		Layer:  apiLayerRef{Index: f.Package.LayerIndex, DiffID: f.Package.LayerDiffID, Base: f.BaseLayer},
		Exempt: f.Exempt, FirstSeenAt: f.FirstSeenAt.UTC(), ResolvedAt: apiTime(f.ResolvedAt)}
}

// apiImageFindings lists an image's findings, worst first, with the
// console's filters.
func (h *Handler) apiImageFindings(c echo.Context) error {
	id, err := apiID(c, "id")
	if err != nil {
		return err
	}
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.store.ImageByID(ctx, id); err != nil {
		return err
	}
	f := store.FindingFilter{ImageID: id, Severity: c.QueryParam("severity"), FixStatus: c.QueryParam("fix_status"),
		PackageType: c.QueryParam("package_type"), Layer: c.QueryParam("layer"), Status: c.QueryParam("status"),
		Exemptions: c.QueryParam("exemptions")}
	list, next, err := h.store.APIImageFindings(ctx, f, p)
	if err != nil {
		return err
	}
	out := mapAll(list, apiFindingOf)
	return apiJSON(c, http.StatusOK, newAPIList(out, next))
}
