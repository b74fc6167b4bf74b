package web

import (
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/components"
	"github.com/palisadesec/palisade/views/containers"
)

// imagesQuery is the image list's query string: filters, sort, page.
type imagesQuery struct {
	containers.ImageFilters
	Page int
	// RepoPage is the page of the repositories table.
	RepoPage int
}

func parseImagesQuery(c echo.Context) imagesQuery {
	q := imagesQuery{Page: pageParam(c), RepoPage: 1}
	if n, err := strconv.Atoi(c.QueryParam("rpage")); err == nil && n > 1 {
		q.RepoPage = n
	}
	f := &q.ImageFilters
	if s := c.QueryParam("q"); len(s) <= 200 {
		f.Query = s
	}
	f.Health = oneOf(c.QueryParam("health"), store.HealthHealthy, store.HealthUnhealthy, store.HealthUnscanned)
	f.Registry = positiveID(c.QueryParam("registry"))
	f.Repository = positiveID(c.QueryParam("repository"))
	f.Sort = oneOf(c.QueryParam("sort"), store.ImageSortRepository, store.ImageSortScanned)
	return q
}

// positiveID returns s when it is a positive number, else "".
func positiveID(s string) string {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return s
	}
	return ""
}

func (q imagesQuery) filter() store.ImageFilter {
	reg, _ := strconv.ParseInt(q.Registry, 10, 64)
	repo, _ := strconv.ParseInt(q.Repository, 10, 64)
	return store.ImageFilter{RegistryID: reg, RepositoryID: repo, Query: q.Query, Health: q.Health, Sort: q.Sort}
}

func (q imagesQuery) filtered() bool {
	return q.Query != "" || q.Health != "" || q.Registry != "" || q.Repository != ""
}

func (q imagesQuery) values() url.Values {
	v := url.Values{}
	setIf(v, "q", q.Query)
	setIf(v, "health", q.Health)
	setIf(v, "registry", q.Registry)
	setIf(v, "repository", q.Repository)
	setIf(v, "sort", q.Sort)
	setPage(v, q.Page)
	if q.RepoPage > 1 {
		v.Set("rpage", strconv.Itoa(q.RepoPage))
	}
	return v
}

func (q imagesQuery) url() string {
	return withQuery("/containers", q.values())
}

// imageSort is one order of the image list; each has one direction.
func imageSort(label, url string, active bool) components.Sort {
	return components.Sort{Label: label, URL: url, Target: "images", Active: active, Desc: label != "Repository"}
}
