package inventory

import (
	"errors"
	"log/slog"
	"os"
)

// Package types, as found in Package.Type.
const (
	TypeDeb      = "deb"
	TypeOpkg     = "opkg"
	TypeAPK      = "apk"
	TypeRPM      = "rpm"
	TypeGoModule = "go-module"
	TypeGoStdlib = "go-stdlib"
	TypePython   = "python"
	TypeNPM      = "npm"
	TypeMaven    = "maven"
	TypeGem      = "gem"
	TypeCargo    = "cargo"
	TypeComposer = "composer"
	TypeNuGet    = "nuget"
)

// Errors callers may branch on with errors.Is. Each comes wrapped with the
// layer and, where there is one, the file it is about.
var (
	// ErrLayerTooLarge: a layer decompresses to more than
	// Limits.MaxLayerBytes (a gzip bomb, or a limit set too low).
	ErrLayerTooLarge = errors.New("layer too large")
	// ErrTooManyEntries: a layer (or root filesystem) holds more entries than
	// Limits.MaxEntries.
	ErrTooManyEntries = errors.New("too many entries")
	// ErrFileTooLarge: an OS package database is larger than its limit.
	// Skipping it would hide every package it lists, so the scan fails.
	ErrFileTooLarge = errors.New("package database too large")
	// ErrCorruptLayer: a layer is truncated or is not a valid (compressed)
	// tar stream.
	ErrCorruptLayer = errors.New("corrupt layer")
	// ErrDiffIDMismatch: the uncompressed layer does not hash to the diffID
	// the image config lists for it.
	ErrDiffIDMismatch = errors.New("layer does not match its diffID")
	// ErrInvalidImage: the manifest, config and layer list disagree.
	ErrInvalidImage = errors.New("invalid image")
)

// Package is one package found in an image or a root filesystem.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Ecosystem is the OSV ecosystem, with the release for OS packages:
	// "Debian:12", "Ubuntu:22.04:LTS", "Alpine:v3.20",
	// "Red Hat:enterprise_linux:9::baseos", "Go", "PyPI", "npm", "Maven",
	// "crates.io", "RubyGems", "NuGet", "Packagist". It is empty when OSV
	// has no ecosystem for the package (an OS without OSV data, opkg).
	Ecosystem string `json:"ecosystem,omitempty"`
	// SourceName and SourceVersion name the source package an OS package
	// was built from (the dpkg Source field, the apk origin, the source
	// RPM): OS advisories are keyed by it. They equal Name and Version when
	// the database names no separate source.
	SourceName    string `json:"source_name,omitempty"`
	SourceVersion string `json:"source_version,omitempty"`
	// Type is one of the Type* constants.
	Type string `json:"type"`
	PURL string `json:"purl,omitempty"`
	// Path is the absolute path, inside the image, of the file the package
	// was found in: "/var/lib/dpkg/status", "/usr/local/bin/app".
	Path string `json:"path"`
	// LayerIndex is the index (into the manifest's layers and the config's
	// rootfs.diff_ids) of the lowest layer from which the package has been
	// present without interruption; 0 for a root filesystem.
	LayerIndex  int    `json:"layer_index"`
	LayerDiffID string `json:"layer_diff_id,omitempty"`
}

// MatchKey returns what to look the package up by in an OSV advisory index
// (advisory.Index.Lookup). Debian and Ubuntu advisories name source
// packages, so a deb gives its source name and source version; an apk gives
// its origin; AlmaLinux and Rocky Linux advisories name source RPMs; every
// other package gives its own name and version. Names are returned as found:
// PyPI names are normalized by the index itself.
func (p *Package) MatchKey() (ecosystem, name, version string) {
	switch p.Type {
	case TypeDeb:
		return p.Ecosystem, orDefault(p.SourceName, p.Name), orDefault(p.SourceVersion, p.Version)
	case TypeAPK:
		return p.Ecosystem, orDefault(p.SourceName, p.Name), p.Version
	case TypeRPM:
		if rpmAdvisoriesNameSource(p.Ecosystem) {
			return p.Ecosystem, orDefault(p.SourceName, p.Name), p.Version
		}
	}
	return p.Ecosystem, p.Name, p.Version
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Layer describes one step of the image's history. Steps that changed no
// files (ENV, LABEL...) have Empty set, an Index of -1 and no digests.
type Layer struct {
	// Index is the layer's position in the manifest and in rootfs.diff_ids,
	// as used by Package.LayerIndex.
	Index     int    `json:"index"`
	Digest    string `json:"digest,omitempty"`
	DiffID    string `json:"diff_id,omitempty"`
	Size      int64  `json:"size,omitempty"` // compressed, as in the manifest
	CreatedBy string `json:"created_by,omitempty"`
	Empty     bool   `json:"empty,omitempty"`
}

// Warning is something the scan skipped or could not read but that did not
// stop it: an entry name that tried to leave the image root, a binary over
// the size limit, an extractor that failed on one file.
type Warning struct {
	LayerIndex int    `json:"layer_index"`
	Path       string `json:"path,omitempty"`
	Message    string `json:"message"`
}

// Result is the inventory of one image or root filesystem.
type Result struct {
	OS       *OSRelease `json:"os,omitempty"`
	Packages []Package  `json:"packages"`
	Layers   []Layer    `json:"layers"`
	// Warnings holds up to a few hundred warnings; WarningCount counts all.
	Warnings     []Warning `json:"warnings,omitempty"`
	WarningCount int       `json:"warning_count,omitempty"`
}

// Limits bound what one scan reads. Zero fields take the defaults.
type Limits struct {
	// MaxLayerBytes bounds the uncompressed size of one layer (default
	// 8 GiB).
	MaxLayerBytes int64
	// MaxEntries bounds the tar entries of one layer, or the files and
	// directories of a root filesystem (default 1,000,000).
	MaxEntries int
	// MaxDatabaseBytes bounds text package databases and manifests: dpkg
	// status, apk installed, package.json, METADATA, deps.json (default
	// 32 MiB). An OS package database over it fails the scan; any other
	// file over it is skipped with a warning.
	MaxDatabaseBytes int64
	// MaxBinaryBytes bounds executables, Java archives and rpm databases
	// (default 1 GiB). An rpm database over it fails the scan; a binary or
	// archive over it is skipped with a warning. Extractors read binaries
	// in place through io.ReaderAt, so this bounds scratch disk and time,
	// not memory; Go binaries of 700 MB exist (Terraform providers).
	MaxBinaryBytes int64
}

// Default limits.
const (
	DefaultMaxLayerBytes    = 8 << 30
	DefaultMaxEntries       = 1_000_000
	DefaultMaxDatabaseBytes = 32 << 20
	DefaultMaxBinaryBytes   = 1 << 30
)

func (l Limits) withDefaults() Limits {
	if l.MaxLayerBytes <= 0 {
		l.MaxLayerBytes = DefaultMaxLayerBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxDatabaseBytes <= 0 {
		l.MaxDatabaseBytes = DefaultMaxDatabaseBytes
	}
	if l.MaxBinaryBytes <= 0 {
		l.MaxBinaryBytes = DefaultMaxBinaryBytes
	}
	return l
}

// Options configure FromImage and FromRootFS.
type Options struct {
	// ScratchDir is the parent of the private directories files of interest
	// are copied to while a layer is read (default os.TempDir()). Nothing is
	// written anywhere else, and each layer's directory is removed when the
	// layer is done.
	ScratchDir string
	Limits     Limits
	// Cache keeps layer analyses by diffID; nil analyses every layer.
	Cache  LayerCache
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.ScratchDir == "" {
		o.ScratchDir = os.TempDir()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Logger = o.Logger.With(slog.String("component", "inventory"))
	o.Limits = o.Limits.withDefaults()
	return o
}
