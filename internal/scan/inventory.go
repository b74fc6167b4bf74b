package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/palisadesec/palisade/internal/inventory"
	"github.com/palisadesec/palisade/internal/store"
)

// ImageInventorier inventories images with internal/inventory.
type ImageInventorier struct {
	Options inventory.Options
}

// Inventory lists an image's packages with the layer each came from.
func (ii ImageInventorier) Inventory(ctx context.Context, img v1.Image) (*Inventory, error) {
	res, err := inventory.FromImage(ctx, img, ii.Options)
	if err != nil {
		return nil, err
	}
	return FromInventory(res), nil
}

// FromInventory converts an inventory result into what the store keeps:
// layers with base layers marked, and packages with one Go standard
// library per Go version however many binaries were built with it.
func FromInventory(res *inventory.Result) *Inventory {
	out := &Inventory{Layers: storedLayers(res.Layers)}
	if res.OS != nil {
		out.OS = OS{ID: res.OS.ID, Version: res.OS.VersionID, Name: res.OS.PrettyName}
	}
	out.Packages = storedPackages(res.Packages)
	return out
}

func storedPackages(pkgs []inventory.Package) []store.PackageRecord {
	var out []store.PackageRecord
	stdlib := map[string]int{} // Go version -> index in out
	for _, p := range pkgs {
		if p.Ecosystem == "" {
			// No advisory database covers it; keep it for the inventory.
			p.Ecosystem = "unknown"
		}
		if p.Type == inventory.TypeGoStdlib {
			if i, ok := stdlib[p.Version]; ok {
				out[i].Paths = append(out[i].Paths, p.Path)
				out[i].LayerIndex = min(out[i].LayerIndex, p.LayerIndex)
				continue
			}
			stdlib[p.Version] = len(out)
		}
		out = append(out, store.PackageRecord{
			Type: p.Type, Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version,
			SourceName: p.SourceName, SourceVersion: p.SourceVersion, PURL: p.PURL,
			Paths: []string{p.Path}, LayerIndex: p.LayerIndex, LayerDiffID: p.LayerDiffID,
		})
	}
	return out
}

// storedLayers keeps the layers that hold files and marks those of the
// base image. History does not say where the base ends, so this uses the
// usual sign: a base image's history ends with a CMD or ENTRYPOINT step,
// and the application's steps follow it. Layers before the last such step
// that is followed by more file-changing layers belong to the base. Images
// without history (such as one-layer images pushed with crane) have no
// known base.
func storedLayers(layers []inventory.Layer) []store.LayerRecord {
	baseEnd := -1 // position in layers of the last base-closing step
	for i, l := range layers {
		if !l.Empty || !closesBaseImage(l.CreatedBy) {
			continue
		}
		for _, later := range layers[i+1:] {
			if !later.Empty {
				baseEnd = i
				break
			}
		}
	}
	var out []store.LayerRecord
	for i, l := range layers {
		if l.Empty {
			continue
		}
		out = append(out, store.LayerRecord{
			Index: l.Index, Digest: l.Digest, DiffID: l.DiffID, SizeBytes: l.Size,
			CreatedBy: l.CreatedBy, BaseLayer: i < baseEnd,
		})
	}
	return out
}

func closesBaseImage(createdBy string) bool {
	s := strings.ToUpper(createdBy)
	return strings.Contains(s, "CMD [") || strings.Contains(s, "CMD \"") || strings.Contains(s, "#(NOP) CMD") ||
		strings.Contains(s, "ENTRYPOINT")
}

// layerCache keeps layer analyses in PostgreSQL, so a layer shared by
// many images is read once across all workers.
type layerCache struct {
	store *store.Store
}

// NewLayerCache returns the store-backed layer cache.
func NewLayerCache(st *store.Store) inventory.LayerCache {
	return layerCache{store: st}
}

func (c layerCache) Get(ctx context.Context, diffID string) (*inventory.LayerAnalysis, bool, error) {
	b, ok, err := c.store.LayerAnalysis(ctx, diffID)
	if err != nil || !ok {
		return nil, false, err
	}
	var a inventory.LayerAnalysis
	if err := json.Unmarshal(b, &a); err != nil {
		// An analysis stored by an older version that no longer decodes is
		// treated as missing: the layer is read again.
		return nil, false, nil
	}
	return &a, true, nil
}

func (c layerCache) Put(ctx context.Context, diffID string, a *inventory.LayerAnalysis) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode layer analysis: %w", err)
	}
	return c.store.PutLayerAnalysis(ctx, diffID, b)
}
