package web

import (
	"io"
	"log/slog"
	"mime"
	"regexp"

	"github.com/labstack/echo/v4"
)

// streamCSV answers with a CSV attachment named filename that write
// fills as rows arrive from the database, so an export of any size holds
// one row in memory at a time. Until the first bytes go out, an error is
// returned and becomes an error page; after that the status is sent and
// the error can only cut the file short, so it is logged here, the one
// place that sees it.
func (h *Handler) streamCSV(c echo.Context, filename string, write func(w io.Writer) error) error {
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	resp.Header().Set(echo.HeaderContentDisposition,
		mime.FormatMediaType("attachment", map[string]string{"filename": safeFilename.ReplaceAllString(filename, "_")}))
	err := write(resp)
	if err == nil {
		return nil
	}
	if !resp.Committed {
		resp.Header().Del(echo.HeaderContentDisposition)
		resp.Header().Del(echo.HeaderContentType)
		return err
	}
	h.log.Error("CSV export cut short", slog.String("path", c.Request().URL.Path), slog.Any("error", err))
	return nil
}

var safeFilename = regexp.MustCompile(`[^A-Za-z0-9._-]`)
