package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// AnalysisFormat is the version of LayerAnalysis: of its shape and of what
// the extractors put in it. It changes whenever either does, and an
// analysis of another format is treated as missing, so caches heal
// themselves after an upgrade.
const AnalysisFormat = 1

// LayerAnalysis is what one layer contributes to an image's inventory, worked
// out from that layer alone. It depends only on the layer's bytes, so it is
// keyed by the layer's diffID and shared by every image built on that layer.
// It round-trips through encoding/json.
type LayerAnalysis struct {
	Format int    `json:"format"`
	DiffID string `json:"diff_id"`
	// Files maps paths (relative to the image root, "var/lib/dpkg/status")
	// to what was found there. A file an extractor read but found nothing
	// in is kept with no packages: it still hides a lower layer's file at
	// the same path.
	Files map[string]FileAnalysis `json:"files,omitempty"`
	// Hidden lists symlinks and other non-regular entries at paths where a
	// lower layer may have a file of interest (an executable replaced by a
	// symlink, a status file replaced by a link): they hide it.
	Hidden []string `json:"hidden,omitempty"`
	// OSRelease holds os-release files found in the layer, path to
	// content.
	OSRelease map[string]string `json:"os_release,omitempty"`
	// Symlinks holds symlinks at os-release paths, path to target, so the
	// merged view can resolve /etc/os-release -> ../usr/lib/os-release.
	Symlinks map[string]string `json:"symlinks,omitempty"`
	// Whiteouts are paths the layer deletes from the layers below it;
	// OpaqueDirs are directories whose lower contents it hides.
	Whiteouts  []string `json:"whiteouts,omitempty"`
	OpaqueDirs []string `json:"opaque_dirs,omitempty"`

	Warnings     []Warning `json:"warnings,omitempty"`
	WarningCount int       `json:"warning_count,omitempty"`
	Entries      int       `json:"entries"`
	Bytes        int64     `json:"bytes"` // uncompressed
}

// FileAnalysis lists the packages found in one file.
type FileAnalysis struct {
	Packages []LayerPackage `json:"packages,omitempty"`
}

// LayerPackage is a package as found in one layer, before the image's OS is
// known: OS packages have no ecosystem or purl yet.
type LayerPackage struct {
	Name          string `json:"name"`
	Version       string `json:"version"`
	Type          string `json:"type"`
	Ecosystem     string `json:"ecosystem,omitempty"` // language packages only
	PURL          string `json:"purl,omitempty"`      // language packages only
	SourceName    string `json:"source_name,omitempty"`
	SourceVersion string `json:"source_version,omitempty"`
	Arch          string `json:"arch,omitempty"`
	Epoch         int    `json:"epoch,omitempty"`      // rpm
	SourceRPM     string `json:"source_rpm,omitempty"` // rpm
}

// maxStoredWarnings bounds the warnings kept in one analysis or result; a
// hostile layer could otherwise make thousands.
const maxStoredWarnings = 200

// maxWarningBytes bounds one warning's message; nested-archive errors can
// repeat themselves for kilobytes.
const maxWarningBytes = 512

func (a *LayerAnalysis) warn(path, msg string) {
	if len(msg) > maxWarningBytes {
		msg = strings.ToValidUTF8(msg[:maxWarningBytes], "") + "..."
	}
	a.WarningCount++
	if len(a.Warnings) < maxStoredWarnings {
		a.Warnings = append(a.Warnings, Warning{Path: path, Message: msg})
	}
}

// LayerCache keeps layer analyses by layer diffID ("sha256:..."). Get
// returns false when it has none. Implementations must be safe for
// concurrent use.
type LayerCache interface {
	Get(ctx context.Context, diffID string) (*LayerAnalysis, bool, error)
	Put(ctx context.Context, diffID string, a *LayerAnalysis) error
}

// MemoryCache is a LayerCache in memory, for tests and one-shot scans. It
// stores analyses as JSON, as a database would, so callers never share one.
type MemoryCache struct {
	mu      sync.Mutex
	entries map[string][]byte
}

// NewMemoryCache returns an empty MemoryCache.
func NewMemoryCache() *MemoryCache {
	return &MemoryCache{entries: map[string][]byte{}}
}

// Get returns a copy of the analysis stored for diffID.
func (c *MemoryCache) Get(_ context.Context, diffID string) (*LayerAnalysis, bool, error) {
	c.mu.Lock()
	b, ok := c.entries[diffID]
	c.mu.Unlock()
	if !ok {
		return nil, false, nil
	}

	var a LayerAnalysis
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, false, fmt.Errorf("decode cached analysis of %s: %w", diffID, err)
	}
	return &a, true, nil
}

// Put stores a copy of a under diffID.
func (c *MemoryCache) Put(_ context.Context, diffID string, a *LayerAnalysis) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode analysis of %s: %w", diffID, err)
	}

	c.mu.Lock()
	c.entries[diffID] = b
	c.mu.Unlock()
	return nil
}

// Len returns the number of stored analyses.
func (c *MemoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
