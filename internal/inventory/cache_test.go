package inventory

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// sharedBaseImages returns two images that share their first two layers.
func sharedBaseImages(t *testing.T) (a, b v1.Image) {
	t.Helper()

	base := []step{
		{"ADD rootfs.tar.xz /", debianBase(statusGnutls + statusSSL)},
		{"RUN apt-get install -y libcurl4", []entry{file("var/lib/dpkg/status", statusCurl+statusGnutls+statusSSL)}},
	}
	a = buildImage(t, append(base, step{"COPY a.json /", []entry{file("srv/a/package.json", `{"name": "a", "version": "1.0.0"}`)}})...)
	b = buildImage(t, append(base, step{"COPY b.json /", []entry{file("srv/b/package.json", `{"name": "b", "version": "2.0.0"}`)}})...)
	return a, b
}

func diffIDs(t *testing.T, img v1.Image) []string {
	t.Helper()

	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range cfg.RootFS.DiffIDs {
		out = append(out, h.String())
	}
	return out
}

func TestFromImageCacheSkipsSharedLayers(t *testing.T) {
	a, b := sharedBaseImages(t)
	idsA, idsB := diffIDs(t, a), diffIDs(t, b)
	cache := NewMemoryCache()

	tests := []struct {
		name       string
		img        v1.Image
		wantOpened map[string]int
		wantCached int
	}{
		{
			name:       "first image reads every layer",
			img:        a,
			wantOpened: map[string]int{idsA[0]: 1, idsA[1]: 1, idsA[2]: 1},
			wantCached: 3,
		},
		{
			name:       "second image on the same base reads only its own layer",
			img:        b,
			wantOpened: map[string]int{idsB[2]: 1},
			wantCached: 4,
		},
		{
			name:       "first image again reads nothing",
			img:        a,
			wantOpened: map[string]int{},
			wantCached: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(t)
			opts.Cache = cache
			img := newCountingImage(tt.img)

			res := inventoryOf(t, img, opts)
			if diff := cmp.Diff(tt.wantOpened, img.opened); diff != "" {
				t.Errorf("layers opened (-want +got):\n%s", diff)
			}
			if cache.Len() != tt.wantCached {
				t.Errorf("cache holds %d analyses, want %d", cache.Len(), tt.wantCached)
			}

			// A cached scan sees what a fresh one does.
			fresh := inventoryOf(t, tt.img, testOptions(t))
			if diff := cmp.Diff(fresh.Packages, res.Packages); diff != "" {
				t.Errorf("cached packages differ from a fresh scan (-fresh +cached):\n%s", diff)
			}
		})
	}
}

// staleCache returns analyses of an older format.
type staleCache struct{ *MemoryCache }

func (c staleCache) Get(ctx context.Context, diffID string) (*LayerAnalysis, bool, error) {
	a, ok, err := c.MemoryCache.Get(ctx, diffID)
	if ok {
		a.Format = AnalysisFormat - 1
	}
	return a, ok, err
}

// brokenCache fails every call, like a database that went away.
type brokenCache struct{}

func (brokenCache) Get(context.Context, string) (*LayerAnalysis, bool, error) {
	return nil, false, errors.New("connection refused")
}

func (brokenCache) Put(context.Context, string, *LayerAnalysis) error {
	return errors.New("connection refused")
}

func TestFromImageCacheMisses(t *testing.T) {
	a, _ := sharedBaseImages(t)
	warm := NewMemoryCache()
	inventoryOf(t, a, Options{Cache: warm, ScratchDir: t.TempDir()})

	tests := []struct {
		name  string
		cache LayerCache
	}{
		{"analyses of an older format are read again", staleCache{warm}},
		{"a failing cache only costs its help", brokenCache{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(t)
			opts.Cache = tt.cache
			img := newCountingImage(a)

			inventoryOf(t, img, opts)
			if len(img.opened) != 3 {
				t.Errorf("opened %d layers, want all 3", len(img.opened))
			}
		})
	}
}

// registryServer serves an in-memory registry on loopback and counts blob
// downloads by digest.
type registryServer struct {
	host  string
	blobs *blobStore
	mu    sync.Mutex
	gets  map[string]int
}

func newRegistry(t *testing.T) *registryServer {
	t.Helper()

	rs := &registryServer{blobs: &blobStore{m: map[string][]byte{}}, gets: map[string]int{}}
	reg := registry.New(
		registry.WithBlobHandler(rs.blobs),
		registry.Logger(log.New(io.Discard, "", 0)),
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			rs.mu.Lock()
			rs.gets[r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]]++
			rs.mu.Unlock()
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rs.host = strings.TrimPrefix(srv.URL, "http://")
	return rs
}

func (rs *registryServer) push(t *testing.T, repo string, img v1.Image) v1.Image {
	t.Helper()

	ref, err := name.ParseReference(rs.host+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	pulled, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	return pulled
}

func (rs *registryServer) takeGets() map[string]int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	g := rs.gets
	rs.gets = map[string]int{}
	return g
}

func layerDigests(t *testing.T, img v1.Image) []string {
	t.Helper()

	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range m.Layers {
		out = append(out, l.Digest.String())
	}
	return out
}

func TestFromRegistryDownloadsOnlyNewLayers(t *testing.T) {
	rs := newRegistry(t)
	a, b := sharedBaseImages(t)
	ra, rb := rs.push(t, "palisade/a:1", a), rs.push(t, "palisade/b:1", b)
	da, db := layerDigests(t, a), layerDigests(t, b)
	cache := NewMemoryCache()

	tests := []struct {
		name     string
		img      v1.Image
		wantGets map[string]int
	}{
		{"first image downloads all its layers", ra, map[string]int{da[0]: 1, da[1]: 1, da[2]: 1}},
		{"second image downloads only its own layer", rb, map[string]int{db[2]: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs.takeGets()
			opts := testOptions(t)
			opts.Cache = cache

			inventoryOf(t, tt.img, opts)
			gets := rs.takeGets()
			for d := range gets {
				if !strings.HasPrefix(d, "sha256:") || !containsLayer(da, db, d) {
					delete(gets, d) // the config blob
				}
			}
			if diff := cmp.Diff(tt.wantGets, gets); diff != "" {
				t.Errorf("layer downloads (-want +got):\n%s", diff)
			}
		})
	}
}

func containsLayer(a, b []string, d string) bool {
	for _, x := range append(append([]string{}, a...), b...) {
		if x == d {
			return true
		}
	}
	return false
}

func TestFromRegistryTamperedBlob(t *testing.T) {
	rs := newRegistry(t)
	img := buildImage(t, step{"ADD rootfs.tar.xz /", debianBase(statusSSL)})
	pulled := rs.push(t, "palisade/tampered:1", img)

	// Swap the stored blob for another valid gzip layer, as a compromised
	// registry or a broken mirror might.
	// The registry client checks the size too, so the swap keeps it.
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	desc := m.Layers[0]
	evil := gzipPadded(t, layerTar(t, file("var/lib/dpkg/status", statusCurl)), desc.Size)
	rs.blobs.set(desc.Digest.String(), evil)

	_, err = FromImage(context.Background(), pulled, testOptions(t))
	if err == nil || !strings.Contains(err.Error(), "error verifying sha256 checksum") {
		t.Fatalf("FromImage() error = %v, want the registry's digest check to fail", err)
	}
	t.Logf("error: %v", err)
}

// blobStore keeps registry blobs in memory and serves whatever it holds,
// without checking digests, so tests can play a dishonest registry.
type blobStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (b *blobStore) set(digest string, content []byte) {
	b.mu.Lock()
	b.m[digest] = content
	b.mu.Unlock()
}

func (b *blobStore) get(h v1.Hash) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.m[h.String()]
	if !ok {
		return nil, registry.ErrNotFound
	}
	return c, nil
}

func (b *blobStore) Get(_ context.Context, _ string, h v1.Hash) (io.ReadCloser, error) {
	c, err := b.get(h)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(c)), nil
}

func (b *blobStore) Stat(_ context.Context, _ string, h v1.Hash) (int64, error) {
	c, err := b.get(h)
	return int64(len(c)), err
}

func (b *blobStore) Put(_ context.Context, _ string, h v1.Hash, rc io.ReadCloser) error {
	c, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	b.set(h.String(), c)
	return nil
}

// gzipPadded compresses b into exactly size bytes, padding with the gzip
// header's extra field, so the result is a valid gzip stream.
func gzipPadded(t *testing.T, b []byte, size int64) []byte {
	t.Helper()

	pad := size - int64(len(gzipBytes(t, b))) - 2
	if pad < 0 {
		t.Fatalf("cannot fit %d bytes of gzip into %d", len(gzipBytes(t, b)), size)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Extra = make([]byte, pad)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != size {
		t.Fatalf("padded gzip is %d bytes, want %d", buf.Len(), size)
	}
	return buf.Bytes()
}

func TestFromImageConcurrentScansShareCache(t *testing.T) {
	a, b := sharedBaseImages(t)
	cache := NewMemoryCache()
	want := map[string]int{}
	for _, img := range []v1.Image{a, b} {
		want[diffIDs(t, img)[2]] = len(inventoryOf(t, img, testOptions(t)).Packages)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		img := []v1.Image{a, b}[i%2]
		wantPkgs := want[diffIDs(t, img)[2]]
		scratch := t.TempDir()
		wg.Go(func() {
			res, err := FromImage(context.Background(), img, Options{ScratchDir: scratch, Cache: cache})
			if err == nil && len(res.Packages) != wantPkgs {
				err = errors.New("package count differs from a lone scan")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if cache.Len() != 4 {
		t.Errorf("cache holds %d analyses, want 4", cache.Len())
	}
}
