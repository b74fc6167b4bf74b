package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/auth"
	"github.com/palisadesec/palisade/internal/store"
)

// The REST API's shared machinery: who calls (bearer tokens), errors as
// RFC 9457 problem documents, cursors, ETags and request parsing.

// callerPrincipal is who is calling: under /api/ the API token in an
// "Authorization: Bearer" header when there is one, else the session.
// A bearer token that is not a live API token is refused outright, never
// taken for anonymous, so a script with a revoked token hears 401.
func (h *Handler) callerPrincipal(c echo.Context) (auth.Principal, error) {
	r := c.Request()
	if strings.HasPrefix(r.URL.Path, "/api/") && !strings.HasPrefix(r.URL.Path, "/api/agent/") {
		if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
			p, err := h.auth.AuthenticateAPIToken(r.Context(), strings.TrimSpace(token))
			if errors.Is(err, auth.ErrBadAPIToken) {
				return p, echo.NewHTTPError(http.StatusUnauthorized, "the bearer token is not a valid API token: unknown, revoked or expired")
			}
			return p, err
		}
	}
	return h.sessionPrincipal(c)
}

// apiProblem is an RFC 9457 problem document, what every 4xx and 5xx
// under /api/ answers.
type apiProblem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance"`
}

// writeProblem answers an /api/ request with a problem document.
func writeProblem(c echo.Context, status int, detail string) {
	if status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="palisade"`)
	}
	p := apiProblem{Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: detail, Instance: c.Request().URL.Path}
	body, _ := json.Marshal(p)
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(status)
	if c.Request().Method != http.MethodHead {
		_, _ = c.Response().Write(body)
	}
}

// apiStatus maps the store's and the API's own errors to a status and a
// message safe to show; ok is false for errors it does not know.
func apiStatus(err error) (int, string, bool) {
	switch {
	case errors.Is(err, store.ErrBadCursor):
		return http.StatusBadRequest, "cursor: not one this list gave out; start again without it", true
	case errors.Is(err, store.ErrBadFilter):
		return http.StatusBadRequest, err.Error(), true
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, err.Error(), true
	}
	return 0, "", false
}

// apiJSON writes v as JSON; see apiWrite.
func apiJSON(c echo.Context, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return apiWrite(c, status, "application/json", body)
}

// apiWrite writes a response body. A successful GET carries a weak ETag
// of the body's hash and answers 304 to an If-None-Match that names it;
// clients may cache, but must revalidate.
func apiWrite(c echo.Context, status int, contentType string, body []byte) error {
	if c.Request().Method == http.MethodGet && status == http.StatusOK {
		sum := sha256.Sum256(body)
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		hdr := c.Response().Header()
		hdr.Set("ETag", etag)
		hdr.Set("Cache-Control", "private, no-cache")
		if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
			return c.NoContent(http.StatusNotModified)
		}
	}
	return c.Blob(status, contentType, body)
}

// etagMatches applies If-None-Match's weak comparison.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	if strings.TrimSpace(header) == "*" {
		return true
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(t), "W/") == want {
			return true
		}
	}
	return false
}

// apiList is the envelope of every list: the items of one page, and the
// cursor of the next page, null on the last.
type apiList[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func newAPIList[T any](items []T, next []any) apiList[T] {
	if items == nil {
		items = []T{}
	}
	l := apiList[T]{Items: items}
	if next != nil {
		cur := encodeCursor(next)
		l.NextCursor = &cur
	}
	return l
}

// encodeCursor makes the opaque cursor of a sort key: base64url of its
// JSON. Clients pass it back as it is; its content is no contract.
func encodeCursor(key []any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) ([]any, error) {
	if s == "" {
		return nil, nil
	}
	bad := echo.NewHTTPError(http.StatusBadRequest, "cursor: not one this list gave out; start again without it")
	if len(s) > 2048 {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var key []any
	if err := d.Decode(&key); err != nil || len(key) == 0 {
		return nil, bad
	}
	return key, nil
}

// apiPage reads the cursor and limit query parameters.
func apiPage(c echo.Context) (store.KeyPage, error) {
	after, err := decodeCursor(c.QueryParam("cursor"))
	if err != nil {
		return store.KeyPage{}, err
	}
	p := store.KeyPage{After: after}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxKeyPageLimit {
			return p, echo.NewHTTPError(http.StatusBadRequest,
				"limit: give a whole number from 1 to "+strconv.Itoa(store.MaxKeyPageLimit))
		}
		p.Limit = n
	}
	return p, nil
}

// apiID reads a path parameter that must be a positive id.
func apiID(c echo.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, name+": must be a positive whole number")
	}
	return n, nil
}

// apiQueryID reads an optional query parameter that must be a positive
// id; 0 when absent.
func apiQueryID(c echo.Context, name string) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, name+": must be a positive whole number")
	}
	return n, nil
}

// apiBind decodes a JSON request body into v, refusing unknown fields so
// that a misspelt field is an error, not a silent default.
func apiBind(c echo.Context, v any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the body as application/json")
	}
	d := json.NewDecoder(c.Request().Body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "body: "+describeJSONError(err))
	}
	return nil
}

// describeJSONError words a decoding error for API clients without Go's
// type names ("cannot unmarshal array into Go value of type web.x").
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("field %q must be %s, not %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("must be a JSON object, not %s", typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("not valid JSON (at byte %d)", syntaxErr.Offset)
	case errors.Is(err, io.EOF):
		return "empty; send a JSON object"
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a number"
}

// apiInvalid is a 422 for a body that decoded but does not make sense.
func apiInvalid(err error) error {
	return echo.NewHTTPError(http.StatusUnprocessableEntity, strings.ReplaceAll(err.Error(), "\n", "; "))
}

// apiTime formats an optional time for JSON.
func apiTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// needStore answers 503 on API routes when no database is configured
// (tests of the web layer alone).
func (h *Handler) needStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h.store == nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "no database configured")
		}
		return next(c)
	}
}

// mapAll converts every element of list with f, for turning store rows
// into API objects.
func mapAll[T, U any](list []T, f func(T) U) []U {
	out := make([]U, len(list))
	for i, x := range list {
		out[i] = f(x)
	}
	return out
}
