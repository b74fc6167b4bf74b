package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/palisadesec/palisade/internal/hostsnapshot"
)

// credential is what enrolment returns and the agent keeps.
type credential struct {
	Server     string `json:"server"`
	HostID     string `json:"host_id"`
	Credential string `json:"credential"`
}

// errRejected means the server refused the credential or the token; trying
// again with the same one will not help.
var errRejected = errors.New("rejected by the server")

// client talks to the Palisade server.
type client struct {
	server string
	hc     *http.Client
}

func newClient(server, caBundle string) (*client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caBundle != "" {
		pem, err := os.ReadFile(caBundle)
		if err != nil {
			return nil, fmt.Errorf("read CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificates", caBundle)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &client{server: strings.TrimRight(server, "/"), hc: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}, nil
}

// problem is an RFC 9457 problem+json body.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

func responseError(what string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
	var p problem
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &p) == nil && (p.Title != "" || p.Detail != "") {
		msg = strings.TrimSpace(p.Title + ": " + p.Detail)
	}
	err := fmt.Errorf("%s: server answered %s: %s", what, resp.Status, msg)
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("%w: %w", errRejected, err)
	}
	return err
}

// enroll trades the one-time token for the agent's own credential.
func (c *client) enroll(ctx context.Context, token, hostname string) (*credential, error) {
	body, _ := json.Marshal(map[string]string{"token": token, "hostname": hostname})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/api/agent/v1/enroll", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return nil, responseError("enroll", resp)
	}
	var cr credential
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&cr); err != nil {
		return nil, fmt.Errorf("enroll: decode answer: %w", err)
	}
	if cr.HostID == "" || cr.Credential == "" {
		return nil, errors.New("enroll: answer lacks host_id or credential")
	}
	cr.Server = c.server
	return &cr, nil
}

// send posts a gzipped snapshot.
func (c *client) send(ctx context.Context, cred *credential, s *hostsnapshot.Snapshot) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := hostsnapshot.Encode(zw, s); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress snapshot: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/api/agent/v1/snapshots", &buf)
	if err != nil {
		return fmt.Errorf("send snapshot: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+cred.Credential)
	req.Header.Set("User-Agent", "palisade-agent/"+version)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("send snapshot: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return responseError("send snapshot", resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}

// loadCredential reads the stored credential; os.ErrNotExist when none.
func loadCredential(path string) (*credential, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c credential
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("credential file %s: %w", path, err)
	}
	if c.Credential == "" {
		return nil, fmt.Errorf("credential file %s holds no credential", path)
	}
	return &c, nil
}

// saveCredential writes the credential with mode 0600, atomically.
func saveCredential(path string, c *credential) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save credential: %w", err)
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credential-*")
	if err != nil {
		return fmt.Errorf("save credential: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save credential: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save credential: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save credential: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save credential: %w", err)
	}
	return nil
}
