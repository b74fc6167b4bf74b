package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/store"
	"github.com/palisadesec/palisade/views/components"
)

// The console's list pages keep every filter, the sort and the page in
// the query string, so a URL shows the same list to whoever opens it.
// Values outside a filter's choices are ignored rather than refused: a
// stale bookmark still opens the list.

// idParam reads the :id path parameter; an id that is not a positive
// number names no row.
func idParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.ErrNotFound
	}
	return id, nil
}

// oneOf returns v when it is one of allowed, else "".
func oneOf(v string, allowed ...string) string {
	if slices.Contains(allowed, v) {
		return v
	}
	return ""
}

// pageParam reads ?page=N, 1 when absent or not a positive number.
func pageParam(c echo.Context) int {
	n, err := strconv.Atoi(c.QueryParam("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// setIf sets key in v unless value is empty.
func setIf(v url.Values, key, value string) {
	if value != "" {
		v.Set(key, value)
	}
}

// setPage sets page in v unless it is the first.
func setPage(v url.Values, page int) {
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
}

// withQuery returns path with v as its query string.
func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// pagerFor describes the rows of page out of total, with links to the
// pages around made by urlFor.
func pagerFor(total, page int, urlFor func(page int) string, target string) components.Pager {
	size := store.DefaultPageSize
	pages := max((total+size-1)/size, 1)
	p := components.Pager{Total: total, Page: page, Pages: pages, Target: target}
	if total > 0 {
		p.First = min((page-1)*size+1, total+1)
		p.Last = min(page*size, total)
	}
	if page > 1 {
		p.PrevURL = urlFor(min(page-1, pages))
	}
	if page < pages {
		p.NextURL = urlFor(page + 1)
	}
	return p
}

// sortLink describes the header of column key in a list sorted by sort
// (descending when desc): clicking the current column turns its order
// round; another column starts in its own default order.
func sortLink(label, key, sort string, desc bool, urlFor func(key, dir string) string, target string) components.Sort {
	s := components.Sort{Label: label, Target: target, Active: key == sort, Desc: desc}
	dir := ""
	if s.Active {
		dir = "asc"
		if !desc {
			dir = "desc"
		}
	}
	s.URL = urlFor(key, dir)
	return s
}

// hasRole reports whether the caller has at least role min.
func hasRole(c echo.Context, min auth.Role) bool {
	return principalOf(c).Role.AtLeast(min)
}

// needConsoleStore refuses console requests when the server runs without a
// database (only tests do).
func (h *Handler) needConsoleStore() error {
	if h.store == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "the console has no database")
	}
	return nil
}
