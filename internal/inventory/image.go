package inventory

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// FromImage inventories an image. Each layer is analysed on its own, or
// taken from opts.Cache by the diffID the config lists for it, in which case
// the layer is not even opened: a second image on a shared base costs only
// its own layers. The layer stream is checked against that diffID (and,
// for registry images, go-containerregistry checks the compressed digest as
// the stream ends), and the analyses are merged in layer order.
func FromImage(ctx context.Context, img v1.Image, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	start := time.Now()

	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read image config: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("read image manifest: %w", err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("list image layers: %w", err)
	}
	diffIDs := cfg.RootFS.DiffIDs
	if len(diffIDs) != len(m.Layers) || len(layers) != len(m.Layers) {
		return nil, fmt.Errorf("%w: %d layers in the manifest, %d diffIDs in the config, %d layers listed",
			ErrInvalidImage, len(m.Layers), len(diffIDs), len(layers))
	}

	an, err := newAnalyser(opts)
	if err != nil {
		return nil, err
	}

	ids := make([]string, len(diffIDs))
	analyses := make([]*LayerAnalysis, len(diffIDs))
	byDiffID := map[string]*LayerAnalysis{}
	cached := 0
	for i, l := range layers {
		ids[i] = diffIDs[i].String()
		if a := byDiffID[ids[i]]; a != nil {
			analyses[i] = a
			continue
		}

		a, hit, err := an.imageLayer(ctx, i, l, m.Layers[i], ids[i])
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, ids[i], err)
		}
		if hit {
			cached++
		}
		analyses[i], byDiffID[ids[i]] = a, a
	}

	res := merge(analyses, ids)
	res.Layers = layerList(cfg, m)
	opts.Logger.Debug("Image inventoried",
		slog.Int("layers", len(layers)),
		slog.Int("layers_cached", cached),
		slog.Int("packages", len(res.Packages)),
		slog.Duration("duration", time.Since(start)))
	return res, nil
}

// imageLayer returns the analysis of one layer, from the cache when it is
// there. Cache failures are logged and cost only the cache's help.
func (an *analyser) imageLayer(
	ctx context.Context, i int, l v1.Layer, desc v1.Descriptor, diffID string,
) (*LayerAnalysis, bool, error) {
	log := an.opts.Logger.With(slog.Int("layer_index", i), slog.String("diff_id", diffID))
	cache := an.opts.Cache

	if cache != nil {
		a, ok, err := cache.Get(ctx, diffID)
		switch {
		case err != nil:
			log.Warn("Layer cache read failed", slog.Any("error", err))
		case ok && a.Format == AnalysisFormat:
			log.Debug("Layer analysis from cache")
			return a, true, nil
		}
	}

	if !desc.MediaType.IsDistributable() {
		// Foreign layers (Windows base layers) live outside the registry
		// and are never fetched.
		a := newLayerState(diffID).finish()
		a.warn("", "foreign layer "+string(desc.MediaType)+" not read")
		return a, false, nil
	}

	start := time.Now()
	a, err := an.readLayer(ctx, l, diffID)
	if err != nil {
		return nil, false, err
	}
	log.Debug("Layer analysed",
		slog.Int64("bytes", a.Bytes),
		slog.Int("entries", a.Entries),
		slog.Int("files_of_interest", len(a.Files)),
		slog.Duration("duration", time.Since(start)))

	if cache != nil {
		if err := cache.Put(ctx, diffID, a); err != nil {
			log.Warn("Layer cache write failed", slog.Any("error", err))
		}
	}
	return a, false, nil
}

func (an *analyser) readLayer(ctx context.Context, l v1.Layer, diffID string) (*LayerAnalysis, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, layerReadError(err)
	}
	defer rc.Close()

	return an.analyseTar(ctx, rc, diffID)
}

// layerList describes the image's history, one entry per step, when the
// config's history accounts for every layer; otherwise one entry per layer.
func layerList(cfg *v1.ConfigFile, m *v1.Manifest) []Layer {
	nonEmpty := 0
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			nonEmpty++
		}
	}

	var out []Layer
	if len(cfg.History) > 0 && nonEmpty == len(m.Layers) {
		next := 0
		for _, h := range cfg.History {
			if h.EmptyLayer {
				out = append(out, Layer{Index: -1, CreatedBy: h.CreatedBy, Empty: true})
				continue
			}
			l := layerAt(cfg, m, next)
			l.CreatedBy = h.CreatedBy
			out = append(out, l)
			next++
		}
		return out
	}

	for i := range m.Layers {
		out = append(out, layerAt(cfg, m, i))
	}
	return out
}

func layerAt(cfg *v1.ConfigFile, m *v1.Manifest, i int) Layer {
	return Layer{
		Index:  i,
		Digest: m.Layers[i].Digest.String(),
		DiffID: cfg.RootFS.DiffIDs[i].String(),
		Size:   m.Layers[i].Size,
	}
}
