package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/components"
	"github.com/palisadesec/palisade/views/images"
)

// imageShow renders an image: what it is, its layers, its latest scan and
// its findings. An htmx request for the findings table (a filter, sort or
// page change) gets the table alone, with the page's URL to push.
func (h *Handler) imageShow(c echo.Context) error {
	im, err := h.imageFromPath(c)
	if err != nil {
		return err
	}
	ctx, id := c.Request().Context(), im.ID
	q := parseFindingsQuery(c)
	findings, err := h.findingsModel(ctx, im, q)
	if err != nil {
		return err
	}
	scan, err := h.imageScanStatus(ctx, id)
	if err != nil {
		return err
	}

	if wantsFragment(c.Request(), "findings") {
		// The canonical URL, without the form's empty fields.
		c.Response().Header().Set("HX-Push-Url", q.url(imagePath(id)))
	}
	m := images.PageModel{
		Page:   h.page(c, im.Repository+" · image", "containers"),
		Header: imageHeader(im), Layers: imageLayers(im, q), Scan: scan,
		CanRescan: hasRole(c, auth.RoleOperator), Findings: findings,
	}
	return renderPartial(c, http.StatusOK, images.Page(m), "findings", images.FindingsTable(findings))
}

// imageFromPath loads the image named by the :id path parameter, for
// every console handler of one image.
func (h *Handler) imageFromPath(c echo.Context) (store.ImageDetail, error) {
	if err := h.needConsoleStore(); err != nil {
		return store.ImageDetail{}, err
	}
	id, err := idParam(c)
	if err != nil {
		return store.ImageDetail{}, err
	}
	return h.store.ImageByID(c.Request().Context(), id)
}

func imagePath(id int64) string {
	return "/images/" + strconv.FormatInt(id, 10)
}

func (h *Handler) findingsModel(ctx context.Context, im store.ImageDetail, q findingsQuery) (images.FindingsModel, error) {
	path := imagePath(im.ID)
	rows, total, err := h.store.ImageFindings(ctx, q.filter(im.ID), store.Paging{Page: q.Page})
	if err != nil {
		return images.FindingsModel{}, err
	}
	// A page past the end (an old link, a hand-edited URL) shows the last
	// page rather than claiming the image has no findings.
	if last := (total + store.DefaultPageSize - 1) / store.DefaultPageSize; len(rows) == 0 && total > 0 && q.Page > last {
		q = q.withPage(last)
		if rows, total, err = h.store.ImageFindings(ctx, q.filter(im.ID), store.Paging{Page: q.Page}); err != nil {
			return images.FindingsModel{}, err
		}
	}
	m := images.FindingsModel{
		Action: path, Filters: q.Filters, Filtered: q.filtered(), ClearURL: path,
		ExportURL: withQuery(path+"/export.csv", q.withPage(1).values()),
		Pager:     pagerFor(total, q.Page, func(p int) string { return q.withPage(p).url(path) }, "findings"),
	}
	for _, t := range im.PackageTypes {
		m.TypeOptions = append(m.TypeOptions, images.Option{Value: t, Label: t})
	}
	m.LayerOptions = []images.Option{{Value: store.LayerBase, Label: "Base image layers"}, {Value: store.LayerApplication, Label: "Application layers"}}
	for _, l := range im.Layers {
		m.LayerOptions = append(m.LayerOptions, images.Option{Value: strconv.Itoa(l.Index), Label: layerLabel(l)})
	}
	sortURL := func(key, dir string) string { return q.sortedBy(key, dir).url(path) }
	sort := q.Sort
	if sort == "" {
		sort = store.FindingSortSeverity
	}
	for _, s := range [][2]string{{"Severity", store.FindingSortSeverity}, {"Vulnerability", store.FindingSortVulnerability},
		{"Package", store.FindingSortPackage}, {"Fixed in", store.FindingSortFixed}} {
		m.Sorts = append(m.Sorts, sortLink(s[0], s[1], sort, q.desc(), sortURL, "findings"))
	}
	for _, f := range rows {
		m.Rows = append(m.Rows, findingRow(f))
	}
	return m, nil
}

func layerLabel(l store.LayerRecord) string {
	origin := "application"
	if l.BaseLayer {
		origin = "base"
	}
	created := l.CreatedBy
	if len(created) > 40 {
		created = created[:40] + "…"
	}
	return fmt.Sprintf("Layer %d (%s): %s", l.Index, origin, created)
}

func findingRow(f store.FindingRow) images.FindingRow {
	return images.FindingRow{
		ID: f.ID, VulnID: f.VulnID, VulnURL: vulnerabilityPath(f.VulnID), Aliases: f.Aliases, Summary: f.Summary,
		Severity: f.SeverityLevel, Score: components.FormatScore(f.SeverityScore), Source: f.SeveritySource,
		Package: f.Package.Name, Version: f.Package.Version, Type: f.Package.Type,
		Fixed: f.FixedVersion, FixStatus: f.FixStatus, Layer: f.Package.LayerIndex, Base: f.BaseLayer,
		Status: f.Status, Exemption: f.Exemption,
	}
}

func vulnerabilityPath(id string) string {
	return "/vulnerabilities/" + url.PathEscape(id)
}

func imageHeader(im store.ImageDetail) images.Header {
	feed := "none: no advisory data was stored when it was scanned"
	if v := im.FeedVersion; v != nil {
		feed = fmt.Sprintf("feed version %d, %s, imported %s", v.ID, feedSourceLabel(v.Source), components.FormatTime(&v.ImportedAt))
	}
	c := im.Counts
	return images.Header{
		ID: im.ID, Registry: im.RegistryName, Repository: im.Repository,
		ContainerURL: "/containers?repository=" + strconv.FormatInt(im.RepositoryID, 10),
		Tags:         im.Tags, Digest: im.Digest, IndexDigest: im.IndexDigest, Platform: im.Platform,
		OS: im.OSName, Size: components.FormatBytes(im.SizeBytes), ScannedAt: im.ScannedAt, FeedVersion: feed,
		Healthy: im.Healthy, Critical: c.Critical, High: c.High, Medium: c.Medium, Low: c.Low, Unknown: c.Unknown,
	}
}

func imageLayers(im store.ImageDetail, q findingsQuery) []images.Layer {
	var out []images.Layer
	for _, l := range im.Layers {
		f := findingsQuery{Filters: images.Filters{Layer: strconv.Itoa(l.Index)}}
		out = append(out, images.Layer{
			Index: l.Index, Digest: l.Digest, Size: components.FormatBytes(l.SizeBytes), CreatedBy: l.CreatedBy,
			Base: l.BaseLayer, FilterURL: f.url(imagePath(im.ID)) + "#findings",
		})
	}
	return out
}

// imageScanStatus is the image's latest scan; while it is queued or
// running, the panel polls for the next state.
func (h *Handler) imageScanStatus(ctx context.Context, imageID int64) (images.ScanStatus, error) {
	s, err := h.store.LatestImageScan(ctx, imageID)
	if errors.Is(err, store.ErrNotFound) {
		return images.ScanStatus{ImageID: imageID, None: true}, nil
	}
	if err != nil {
		return images.ScanStatus{}, err
	}
	st := images.ScanStatus{
		ImageID: imageID, State: s.State, Trigger: s.Trigger, QueuedAt: s.QueuedAt,
		StartedAt: s.StartedAt, FinishedAt: s.FinishedAt, Reason: s.Reason,
	}
	if s.State == store.ScanQueued || s.State == store.ScanRunning {
		st.PollURL = imagePath(imageID) + "/scan-status?polling=1"
	}
	return st, nil
}
