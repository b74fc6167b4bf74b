package collect

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Docker is a minimal Engine API client over a unix socket.
type Docker struct {
	// Socket is the socket path as the agent sees it.
	Socket string
	hc     *http.Client
	stream *http.Client
}

// NewDocker returns a client for the engine at socket, a path or a
// unix:// address.
func NewDocker(socket string) *Docker {
	socket = strings.TrimPrefix(socket, "unix://")
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socket)
	}
	tr := &http.Transport{DialContext: dial, MaxIdleConns: 4, IdleConnTimeout: 30 * time.Second}
	return &Docker{
		Socket: socket,
		hc:     &http.Client{Transport: tr, Timeout: 60 * time.Second},
		stream: &http.Client{Transport: &http.Transport{DialContext: dial}},
	}
}

// APIError is a non-2xx answer from the engine.
type APIError struct {
	Path    string
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("engine GET %s: %d %s", e.Path, e.Status, e.Message)
}

// IsNotFound reports whether err is the engine's 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// maxResponse bounds one Engine API answer.
const maxResponse = 64 << 20

// Get decodes the JSON answer to GET path into v.
func (d *Docker) Get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+path, nil)
	if err != nil {
		return fmt.Errorf("engine GET %s: %w", path, err)
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return fmt.Errorf("engine GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxResponse)
	if resp.StatusCode/100 != 2 {
		var m struct{ Message string }
		b, _ := io.ReadAll(io.LimitReader(body, 4096))
		if json.Unmarshal(b, &m) != nil || m.Message == "" {
			m.Message = strings.TrimSpace(string(b))
		}
		return &APIError{Path: path, Status: resp.StatusCode, Message: m.Message}
	}
	if err := json.NewDecoder(body).Decode(v); err != nil {
		return fmt.Errorf("engine GET %s: decode: %w", path, err)
	}
	return nil
}

// Event is one message of the engine's event stream.
type Event struct {
	Type   string `json:"Type"`
	Action string `json:"Action"`
	Actor  struct {
		ID         string            `json:"ID"`
		Attributes map[string]string `json:"Attributes"`
	} `json:"Actor"`
	TimeNano int64 `json:"timeNano"`
}

// Events streams events until ctx ends or the connection breaks, calling fn
// for each. filters is the Engine API's filter map.
func (d *Docker) Events(ctx context.Context, filters map[string][]string, fn func(Event)) error {
	q := url.Values{}
	if len(filters) > 0 {
		b, err := json.Marshal(filters)
		if err != nil {
			return fmt.Errorf("encode event filters: %w", err)
		}
		q.Set("filters", string(b))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/events?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("engine events: %w", err)
	}
	resp, err := d.stream.Do(req)
	if err != nil {
		return fmt.Errorf("engine events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &APIError{Path: "/events", Status: resp.StatusCode}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			continue
		}
		fn(ev)
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("engine events: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.New("engine events: stream ended")
}
