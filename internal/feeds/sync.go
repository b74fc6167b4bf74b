package feeds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/palisadesec/palisade/internal/store"
)

// Syncer downloads each ecosystem's all.zip and imports what changed.
type Syncer struct {
	importer   *Importer
	store      *store.Store
	client     *http.Client
	baseURL    string
	ecosystems []string
	maxBytes   int64
	log        *slog.Logger
}

// SyncOptions configures a Syncer.
type SyncOptions struct {
	BaseURL    string
	Ecosystems []string
	MaxBytes   int64
	// Client defaults to one with connect and header timeouts; the body of
	// a large feed may take minutes, bounded by the job's context.
	Client *http.Client
}

// NewSyncer returns a syncer over im's store.
func NewSyncer(im *Importer, o SyncOptions) *Syncer {
	c := o.Client
	if c == nil {
		c = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			IdleConnTimeout:       90 * time.Second,
		}}
	}
	return &Syncer{
		importer: im, store: im.store, client: c, baseURL: o.BaseURL,
		ecosystems: o.Ecosystems, maxBytes: o.MaxBytes, log: im.log,
	}
}

// SyncResult says what a sync did for one ecosystem.
type SyncResult struct {
	Ecosystem string
	Source    string
	// Unchanged is true when the download matched the last import's digest
	// and nothing was imported.
	Unchanged bool
	Version   store.FeedVersion
	Err       error
}

// Sync fetches every configured ecosystem, or only those given. One
// ecosystem failing does not stop the others; the joined errors come back
// with the results so a job can be retried.
func (s *Syncer) Sync(ctx context.Context, only ...string) ([]SyncResult, error) {
	ecosystems := s.ecosystems
	if len(only) > 0 {
		ecosystems = only
	}
	var results []SyncResult
	var errs []error
	for _, eco := range ecosystems {
		r := s.syncOne(ctx, eco)
		if r.Err != nil {
			s.log.Warn("Advisory feed sync failed", slog.String("ecosystem", eco), slog.Any("error", r.Err))
			errs = append(errs, fmt.Errorf("%s: %w", eco, r.Err))
			results = append(results, r)
			results = append(results, s.fallBack(ctx, eco)...)
			continue
		}
		results = append(results, r)
	}
	return results, errors.Join(errs...)
}

// fallBack imports the shipped snapshot when the feed cannot be fetched
// and nothing is stored for the ecosystem, so matching has some data.
func (s *Syncer) fallBack(ctx context.Context, eco string) []SyncResult {
	versions, err := s.importer.FallBackToSnapshots(ctx, []string{eco})
	if err != nil {
		s.log.Warn("Importing the shipped snapshot failed", slog.String("ecosystem", eco), slog.Any("error", err))
		return nil
	}
	out := make([]SyncResult, 0, len(versions))
	for _, v := range versions {
		out = append(out, SyncResult{Ecosystem: eco, Source: v.Source, Version: v})
	}
	return out
}

func (s *Syncer) syncOne(ctx context.Context, eco string) SyncResult {
	src := s.baseURL + "/" + url.PathEscape(eco) + "/all.zip"
	res := SyncResult{Ecosystem: eco, Source: src}

	f, err := s.download(ctx, src)
	if err != nil {
		res.Err = err
		return res
	}
	defer os.Remove(f.Name())
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		res.Err = err
		return res
	}
	res.Version, res.Err = s.importer.ImportZip(ctx, src, f, info.Size())
	if errors.Is(res.Err, ErrUnchanged) {
		res.Unchanged, res.Err = true, nil
	}
	return res
}

// download saves src to a temporary file, refusing anything larger than
// the configured limit whether or not the server announced its size.
func (s *Syncer) download(ctx context.Context, src string) (*os.File, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, fmt.Errorf("download feed: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download feed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download feed %s: server answered %s", src, resp.Status)
	}
	if resp.ContentLength > s.maxBytes {
		return nil, fmt.Errorf("download feed %s: %d bytes exceeds the limit of %d (PALISADE_FEED_MAX_DOWNLOAD_BYTES)", src, resp.ContentLength, s.maxBytes)
	}

	f, err := os.CreateTemp("", "palisade-feed-*.zip")
	if err != nil {
		return nil, fmt.Errorf("download feed: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, s.maxBytes+1))
	if err == nil && n > s.maxBytes {
		err = fmt.Errorf("more than %d bytes (PALISADE_FEED_MAX_DOWNLOAD_BYTES)", s.maxBytes)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("download feed %s: %w", src, err)
	}
	return f, nil
}
