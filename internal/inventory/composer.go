package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	scpkg "github.com/google/osv-scalibr/extractor"
	scfs "github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/purl"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
)

// composerInstalled reads vendor/composer/installed.json, the list of PHP
// packages Composer actually installed. osv-scalibr v0.5.3 only reads
// composer.lock, which images built with "composer install" rarely keep.
type composerInstalled struct{}

func newComposerInstalled(*cpb.PluginConfig) (scfs.Extractor, error) {
	return composerInstalled{}, nil
}

// Name of the extractor.
func (composerInstalled) Name() string { return "php/composerinstalled" }

// Version of the extractor.
func (composerInstalled) Version() int { return 0 }

// Requirements of the extractor: none.
func (composerInstalled) Requirements() *plugin.Capabilities { return &plugin.Capabilities{} }

// FileRequired wants Composer's installed.json.
func (composerInstalled) FileRequired(api scfs.FileAPI) bool {
	p := api.Path()
	return p == "vendor/composer/installed.json" || strings.HasSuffix(p, "/vendor/composer/installed.json")
}

type composerPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Extract reads both layouts: Composer 1 writes a bare array of packages,
// Composer 2 an object with a "packages" array.
func (composerInstalled) Extract(_ context.Context, in *scfs.ScanInput) (inventory.Inventory, error) {
	r := in.Reader
	if in.Info != nil {
		r = io.LimitReader(r, in.Info.Size())
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return inventory.Inventory{}, fmt.Errorf("read installed.json: %w", err)
	}

	var list []composerPackage
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		err = json.Unmarshal(b, &list)
	} else {
		var doc struct {
			Packages []composerPackage `json:"packages"`
		}
		err = json.Unmarshal(b, &doc)
		list = doc.Packages
	}
	if err != nil {
		return inventory.Inventory{}, fmt.Errorf("decode installed.json: %w", err)
	}

	var inv inventory.Inventory
	for _, p := range list {
		if p.Name == "" || p.Version == "" {
			continue
		}
		inv.Packages = append(inv.Packages, &scpkg.Package{
			Name:     p.Name,
			Version:  p.Version,
			PURLType: purl.TypeComposer,
			Location: scpkg.LocationFromPath(in.Path),
		})
	}
	return inv, nil
}
