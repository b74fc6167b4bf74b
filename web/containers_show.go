package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/containers"
)

// containersShow renders the Containers page: registries, repositories,
// images, and the sections for hosts and clusters. An htmx request for
// the image list (a filter, sort or page change) gets the list alone.
func (h *Handler) containersShow(c echo.Context) error {
	if err := h.needConsoleStore(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	q := parseImagesQuery(c)
	regs, err := h.store.RegistrySummaries(ctx)
	if err != nil {
		return err
	}
	list, err := h.imagesModel(ctx, q, regs)
	if err != nil {
		return err
	}
	if wantsFragment(c.Request(), "images") {
		c.Response().Header().Set("HX-Push-Url", q.url())
		return render(c, http.StatusOK, containers.ImagesTable(list))
	}

	repos, total, err := h.store.Repositories(ctx, store.Paging{Page: q.RepoPage})
	if err != nil {
		return err
	}
	m := containers.PageModel{
		Page: h.page(c, "Containers", "containers"), IsAdmin: hasRole(c, auth.RoleAdmin), Images: list,
		RepoPager: pagerFor(total, q.RepoPage, func(p int) string {
			r := q
			r.RepoPage = p
			return r.url() + "#repositories-heading"
		}, ""),
	}
	for _, r := range regs {
		m.Registries = append(m.Registries, containers.Registry{
			Name: r.Name, URL: r.URL, Repositories: r.Repositories, Images: r.Images, Unhealthy: r.Unhealthy,
			LastScanAt: r.LastScanAt, ScanOnPush: r.ScanOnPush, Polling: pollingLabel(r.PollInterval),
			FilterURL: "/containers?registry=" + strconv.FormatInt(r.ID, 10) + "#images-heading",
		})
	}
	for _, r := range repos {
		m.Repositories = append(m.Repositories, containers.Repository{
			Registry: r.RegistryName, Name: r.Name, Images: r.Images, Unhealthy: r.Unhealthy, Tags: r.Tags,
			LastScannedAt: r.LastScannedAt, Critical: r.Counts.Critical, High: r.Counts.High,
			Medium: r.Counts.Medium, Low: r.Counts.Low, Unknown: r.Counts.Unknown,
			FilterURL: "/containers?repository=" + strconv.FormatInt(r.ID, 10) + "#images-heading",
		})
	}
	if m.Hosts, err = h.hostsSection(c); err != nil {
		return err
	}
	return render(c, http.StatusOK, containers.Page(m))
}

func (h *Handler) imagesModel(ctx context.Context, q imagesQuery, regs []store.RegistrySummary) (containers.ImagesModel, error) {
	rows, total, err := h.store.Images(ctx, q.filter(), store.Paging{Page: q.Page})
	if err != nil {
		return containers.ImagesModel{}, err
	}
	m := containers.ImagesModel{
		Action: "/containers", Filters: q.ImageFilters, Filtered: q.filtered(), ClearURL: "/containers",
		ExportURL: withQuery("/containers/export.csv", imagesQuery{ImageFilters: q.ImageFilters}.values()),
		Pager:     pagerFor(total, q.Page, func(p int) string { r := q; r.Page = p; return r.url() }, "images"),
	}
	for _, r := range regs {
		m.RegistryOptions = append(m.RegistryOptions, containers.Option{Value: strconv.FormatInt(r.ID, 10), Label: r.Name})
	}
	if q.Repository != "" {
		m.RepositoryName = "repository " + q.Repository
	}
	for i, key := range []string{"", store.ImageSortRepository, store.ImageSortScanned} {
		r := q
		r.Sort, r.Page = key, 1
		label := []string{"Worst first", "Repository", "Last scan"}[i]
		m.Sorts = append(m.Sorts, imageSort(label, r.url(), key == q.Sort))
	}
	for _, im := range rows {
		if q.Repository != "" {
			m.RepositoryName = im.RegistryName + "/" + im.Repository
		}
		c := im.Counts
		m.Rows = append(m.Rows, containers.Image{
			URL: imagePath(im.ID), Registry: im.RegistryName, Repository: im.Repository, Tags: im.Tags,
			Digest: im.Digest, Platform: im.Platform, ScannedAt: im.ScannedAt, Healthy: im.Healthy,
			Critical: c.Critical, High: c.High, Medium: c.Medium, Low: c.Low, Unknown: c.Unknown,
		})
	}
	return m, nil
}
