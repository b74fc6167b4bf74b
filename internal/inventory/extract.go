package inventory

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	scpkg "github.com/google/osv-scalibr/extractor"
	scfs "github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	javaarchive "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	archivemeta "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargoauditable"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
	scalibrfs "github.com/google/osv-scalibr/fs"
	sclog "github.com/google/osv-scalibr/log"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/purl"
	"google.golang.org/protobuf/proto"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
)

// javaMaxOpenedBytes bounds what the Java extractor opens per archive,
// nested jars included; nested jars are held in memory while read.
const javaMaxOpenedBytes = 256 << 20

// fileClass says which limit applies to a file and what going over it means.
type fileClass int

const (
	// classManifest: a language manifest; over MaxDatabaseBytes it is
	// skipped with a warning.
	classManifest fileClass = iota
	// classOSDatabase: dpkg or apk database; over MaxDatabaseBytes the scan
	// fails, since skipping it would hide the whole OS.
	classOSDatabase
	// classBinary: an executable or archive; over MaxBinaryBytes it is
	// skipped with a warning (CUDA libraries and the like are huge and
	// rarely carry package data).
	classBinary
	// classRPMDatabase: a binary rpm database; over MaxBinaryBytes the scan
	// fails.
	classRPMDatabase
)

// scanPlugin is one extractor with what Palisade needs to know about it.
type scanPlugin struct {
	ext   scfs.Extractor
	class func(path string) fileClass
	// realPath: the extractor opens the file by path (rpm, through
	// SQLite or BerkeleyDB) instead of reading ScanInput.Reader, so it must
	// only ever see a private copy.
	realPath bool
	// binaryOnly: the extractor wants every executable but can only read
	// compiled ones (ELF, PE, Mach-O). Scripts are turned away by their
	// first bytes before they are copied anywhere.
	binaryOnly bool
}

func fixedClass(c fileClass) func(string) fileClass {
	return func(string) fileClass { return c }
}

// extractors is the set of extractors one scan runs, already filtered by the
// scan's capabilities.
type extractors struct {
	plugins []scanPlugin
	limits  Limits
}

// scanCapabilities describe where the extractors run: on Linux, offline,
// over files that are not the running system, and never through direct
// paths of their own choosing. Plugins that need more are dropped, which
// keeps Windows-only and network plugins out if the list ever grows.
var scanCapabilities = &plugin.Capabilities{
	OS:      plugin.OSLinux,
	Network: plugin.NetworkOffline,
}

// newExtractors builds the extractor set. The extractors' own size limits
// are lifted (set to 2^62) because the scan enforces its own before a file
// is ever copied, and needs to know about files it skips.
func newExtractors(limits Limits) (*extractors, error) {
	routeScalibrLogs.Do(func() { sclog.SetLogger(scalibrLogger{}) })

	cfg := &cpb.PluginConfig{
		MaxFileSizeBytes: 1 << 62,
		PluginSpecific: []*cpb.PluginSpecificConfig{{
			Config: &cpb.PluginSpecificConfig_JavaArchive{JavaArchive: &cpb.JavaArchiveConfig{
				// Nested jars are read into memory: this bounds them,
				// and with them the scan's memory (the outer jar counts
				// towards it too, though it is read in place).
				MaxOpenedBytes: javaMaxOpenedBytes,
				HashJars:       proto.Bool(false),
			}},
		}},
	}

	type ctor struct {
		new func(*cpb.PluginConfig) (scfs.Extractor, error)
		scanPlugin
	}
	ctors := []ctor{
		{dpkg.New, scanPlugin{class: fixedClass(classOSDatabase)}},
		{apk.New, scanPlugin{class: fixedClass(classOSDatabase)}},
		{rpm.New, scanPlugin{class: fixedClass(classRPMDatabase), realPath: true}},
		{gobinary.New, scanPlugin{class: fixedClass(classBinary), binaryOnly: true}},
		{cargoauditable.New, scanPlugin{class: fixedClass(classBinary), binaryOnly: true}},
		{javaarchive.New, scanPlugin{class: fixedClass(classBinary)}},
		{wheelegg.New, scanPlugin{class: pythonClass}},
		{packagejson.New, scanPlugin{class: fixedClass(classManifest)}},
		{gemspec.New, scanPlugin{class: fixedClass(classManifest)}},
		{depsjson.New, scanPlugin{class: fixedClass(classManifest)}},
		{newComposerInstalled, scanPlugin{class: fixedClass(classManifest)}},
	}

	x := &extractors{limits: limits}
	for _, c := range ctors {
		e, err := c.new(cfg)
		if err != nil {
			return nil, fmt.Errorf("create extractor: %w", err)
		}
		if plugin.ValidateRequirements(e, scanCapabilities) != nil {
			continue
		}
		p := c.scanPlugin
		p.ext = e
		x.plugins = append(x.plugins, p)
	}
	return x, nil
}

// pythonClass treats zipped eggs and wheels as archives and metadata files
// as manifests.
func pythonClass(path string) fileClass {
	if strings.HasSuffix(path, ".whl") || strings.HasSuffix(path, ".egg") {
		return classBinary
	}
	return classManifest
}

// fileAPI gives extractors' FileRequired a path and a FileInfo without
// touching any filesystem.
type fileAPI struct {
	path string
	info fs.FileInfo
}

func (f fileAPI) Path() string               { return f.path }
func (f fileAPI) Stat() (fs.FileInfo, error) { return f.info, nil }

// wanted is the verdict on one file: the plugins that want it and the limit
// that applies.
type wanted struct {
	plugins    []scanPlugin
	class      fileClass
	maxBytes   int64
	realPath   bool
	binaryOnly bool // every wanting plugin is binaryOnly
}

// want asks every extractor whether it wants the regular file at path (a
// clean path relative to the root, without a leading slash).
func (x *extractors) want(path string, info fs.FileInfo) wanted {
	w := wanted{binaryOnly: true}
	api := fileAPI{path: path, info: info}
	for _, p := range x.plugins {
		if !p.ext.FileRequired(api) {
			continue
		}
		w.plugins = append(w.plugins, p)
		w.realPath = w.realPath || p.realPath
		w.binaryOnly = w.binaryOnly && p.binaryOnly
		if c := p.class(path); c > w.class {
			w.class = c
		}
	}

	w.maxBytes = x.limits.MaxDatabaseBytes
	if w.class == classBinary || w.class == classRPMDatabase {
		w.maxBytes = x.limits.MaxBinaryBytes
	}
	return w
}

// binaryMagics are the first bytes of the executable formats Go and Rust
// binaries come in: ELF, PE, Mach-O (both byte orders, 32 and 64 bit) and
// universal Mach-O.
var binaryMagics = [][]byte{
	[]byte("\x7fELF"),
	[]byte("MZ"),
	{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
	{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe},
	{0xca, 0xfe, 0xba, 0xbe},
}

// headSize is how many leading bytes isBinary needs.
const headSize = 4

// isBinary reports whether a file starting with head is a compiled
// executable or library.
func isBinary(head []byte) bool {
	for _, m := range binaryMagics {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	return false
}

// oversize returns the error or warning for a file over its limit. A nil
// error means skip the file and record the warning.
func (w wanted) oversize(path string, size int64) (string, error) {
	switch w.class {
	case classOSDatabase, classRPMDatabase:
		return "", fmt.Errorf("%w: /%s is %d bytes, over the %d byte limit", ErrFileTooLarge, path, size, w.maxBytes)
	}
	return fmt.Sprintf("skipped: %d bytes, over the %d byte limit", size, w.maxBytes), nil
}

// extractInput is one file of interest, opened, with the directory it is
// rooted in.
type extractInput struct {
	root string       // absolute directory the path is relative to
	fsys scalibrfs.FS // rooted at root
	path string       // relative, slash-separated
	info fs.FileInfo
	file *os.File
}

// extract runs the wanting plugins on one file. An extractor failing on a
// file is a warning (its partial results are kept): one odd jar must not
// hide the rest of the image. Only a cancelled context is an error.
func (x *extractors) extract(ctx context.Context, in extractInput, plugins []scanPlugin) ([]LayerPackage, []string, error) {
	var pkgs []LayerPackage
	var warnings []string
	for _, p := range plugins {
		if _, err := in.file.Seek(0, io.SeekStart); err != nil {
			return nil, nil, fmt.Errorf("rewind /%s: %w", in.path, err)
		}

		inv, err := safeExtract(ctx, p.ext, &scfs.ScanInput{
			FS:     in.fsys,
			Path:   in.path,
			Root:   in.root,
			Info:   in.info,
			Reader: in.file,
		})
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, ctxErr
		}
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %v", p.ext.Name(), err))
		}

		for _, sp := range inv {
			if lp, ok := convertPackage(sp); ok {
				pkgs = append(pkgs, lp)
			}
		}
	}
	return pkgs, warnings, nil
}

// safeExtract turns an extractor panic on hostile input into an error.
func safeExtract(ctx context.Context, e scfs.Extractor, in *scfs.ScanInput) (pkgs []*scpkg.Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("extractor panicked: %v", r)
		}
	}()

	inv, err := e.Extract(ctx, in)
	return inv.Packages, err
}

// convertPackage turns an osv-scalibr package into a LayerPackage, naming it
// as OSV advisories do. Packages of kinds Palisade does not inventory are
// dropped.
func convertPackage(p *scpkg.Package) (LayerPackage, bool) {
	if p == nil || p.Name == "" || p.Version == "" {
		return LayerPackage{}, false
	}

	lp := LayerPackage{Name: p.Name, Version: p.Version}
	switch p.PURLType {
	case purl.TypeDebian, purl.TypeOpkg:
		lp.Type = TypeDeb
		if p.PURLType == purl.TypeOpkg {
			lp.Type = TypeOpkg
		}
		if m, ok := p.Metadata.(*dpkgmeta.Metadata); ok {
			lp.SourceName, lp.SourceVersion, lp.Arch = m.SourceName, m.SourceVersion, m.Architecture
		}
		return lp, true

	case purl.TypeApk:
		lp.Type = TypeAPK
		if m, ok := p.Metadata.(*apkmeta.Metadata); ok {
			lp.SourceName, lp.Arch = m.OriginName, m.Architecture
		}
		return lp, true

	case purl.TypeRPM:
		lp.Type = TypeRPM
		if m, ok := p.Metadata.(*rpmmeta.Metadata); ok {
			lp.Epoch, lp.SourceRPM, lp.Arch = m.Epoch, m.SourceRPM, m.Architecture
			lp.SourceName, lp.SourceVersion = parseSourceRPM(m.SourceRPM)
		}
		return lp, true

	case purl.TypeGolang:
		lp.Type, lp.Ecosystem = TypeGoModule, "Go"
		if p.Name == "go" {
			// The toolchain: OSV's Go database calls it "stdlib".
			lp.Type, lp.Name = TypeGoStdlib, "stdlib"
			lp.PURL = (&purl.PackageURL{Type: purl.TypeGolang, Name: "stdlib", Version: p.Version}).String()
			return lp, true
		}

	case purl.TypePyPi:
		lp.Type, lp.Ecosystem = TypePython, "PyPI"
	case purl.TypeNPM:
		lp.Type, lp.Ecosystem = TypeNPM, "npm"
	case purl.TypeMaven:
		lp.Type, lp.Ecosystem = TypeMaven, "Maven"
		if m, ok := p.Metadata.(*archivemeta.Metadata); ok && m.GroupID != "" && m.ArtifactID != "" {
			lp.Name = m.GroupID + ":" + m.ArtifactID
		}
	case purl.TypeGem:
		lp.Type, lp.Ecosystem = TypeGem, "RubyGems"
	case purl.TypeCargo:
		lp.Type, lp.Ecosystem = TypeCargo, "crates.io"
	case purl.TypeComposer:
		lp.Type, lp.Ecosystem = TypeComposer, "Packagist"
	case purl.TypeNuget:
		lp.Type, lp.Ecosystem = TypeNuGet, "NuGet"
	default:
		return LayerPackage{}, false
	}

	if u := p.PURL(); u != nil {
		lp.PURL = u.String()
	}
	return lp, true
}

// parseSourceRPM splits "openssl-3.0.7-24.el9.src.rpm" into "openssl" and
// "3.0.7-24.el9".
func parseSourceRPM(s string) (name, version string) {
	base, ok := strings.CutSuffix(s, ".src.rpm")
	if !ok {
		base, ok = strings.CutSuffix(s, ".nosrc.rpm")
	}
	if !ok {
		return "", ""
	}

	i := strings.LastIndexByte(base, '-')
	if i <= 0 {
		return "", ""
	}
	j := strings.LastIndexByte(base[:i], '-')
	if j <= 0 {
		return "", ""
	}
	return base[:j], base[j+1:]
}
