package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/palisadesec/palisade/internal/hosts"
	"github.com/palisadesec/palisade/internal/hostsnapshot"
	"github.com/palisadesec/palisade/internal/store"
)

type agentSnapshotAccepted struct {
	HostID          string `json:"host_id"`
	SnapshotID      int64  `json:"snapshot_id"`
	Results         int    `json:"results"`
	FailingControls int    `json:"failing_controls"`
}

// agentSnapshotCreate takes a host's snapshot. The host is the one the
// credential belongs to; nothing in the body can name another. The
// credential is checked before the body is read, the size and schema
// before anything is stored, and the evaluation runs before the answer
// (see internal/hosts), so 202 means the results are stored.
func (h *Handler) agentSnapshotCreate(c echo.Context) error {
	if h.hosts == nil {
		return agentRefuse(http.StatusServiceUnavailable, "Unavailable", "host monitoring is not configured on this server")
	}
	ctx := c.Request().Context()
	hostID, err := h.hosts.Authenticate(ctx, agentBearerToken(c.Request()))
	if errors.Is(err, hosts.ErrBadCredential) {
		return agentRefuseCredential(c)
	}
	if err != nil {
		return err
	}

	snap, err := readAgentSnapshot(c.Request().Body)
	if err != nil {
		return err
	}
	ev, err := h.hosts.Ingest(ctx, hostID, snap)
	switch {
	case errors.Is(err, hostsnapshot.ErrInvalid):
		return agentRefuse(http.StatusBadRequest, "Invalid snapshot", err.Error())
	case errors.Is(err, hosts.ErrBadCredential), errors.Is(err, store.ErrNotFound):
		// Revoked, or the host deleted, since the credential was checked.
		return agentRefuseCredential(c)
	case err != nil:
		return err
	}
	return c.JSON(http.StatusAccepted, agentSnapshotAccepted{
		HostID: strconv.FormatInt(hostID, 10), SnapshotID: ev.SnapshotID,
		Results: ev.Results, FailingControls: ev.FailingControls,
	})
}

func agentRefuseCredential(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="palisade-agent"`)
	return agentRefuse(http.StatusUnauthorized, "Credential refused",
		"the agent credential is unknown or revoked; enrol again with a new token")
}

// agentBearerToken returns the token of an Authorization: Bearer header.
func agentBearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

var agentGzipMagic = []byte{0x1f, 0x8b}

// readAgentSnapshot decodes a snapshot body, gzipped or not, through
// hostsnapshot.Decode (size limit, trailing data, Validate). A body over
// the limit, on the wire or once gunzipped, is refused with 413; anything
// malformed with 400.
func readAgentSnapshot(body io.Reader) (*hostsnapshot.Snapshot, error) {
	wire := &agentReadRecorder{r: body}
	br := bufio.NewReader(wire)
	var src io.Reader = br
	if head, _ := br.Peek(len(agentGzipMagic)); bytes.Equal(head, agentGzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, agentRefuse(http.StatusBadRequest, "Invalid snapshot", "gzip: "+err.Error())
		}
		defer zr.Close()
		src = zr
	}
	plain := &agentReadRecorder{r: src}
	snap, err := hostsnapshot.Decode(plain)
	switch {
	case err == nil:
		return snap, nil
	case errors.Is(wire.err, echo.ErrStatusRequestEntityTooLarge), plain.n > hostsnapshot.MaxBytes:
		return nil, agentRefuse(http.StatusRequestEntityTooLarge, "Snapshot too large",
			fmt.Sprintf("a snapshot may be at most %d bytes, compressed or not", hostsnapshot.MaxBytes))
	case errors.Is(err, hostsnapshot.ErrInvalid):
		return nil, agentRefuse(http.StatusBadRequest, "Invalid snapshot", err.Error())
	}
	return nil, err
}

// agentReadRecorder counts the bytes read through it and keeps the first error
// other than EOF, which hostsnapshot.Decode reports only as text.
type agentReadRecorder struct {
	r   io.Reader
	n   int64
	err error
}

func (rr *agentReadRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.n += int64(n)
	if err != nil && err != io.EOF && rr.err == nil {
		rr.err = err
	}
	return n, err
}
