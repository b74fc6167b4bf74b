package inventory

import (
	"cmp"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/google/osv-scalibr/purl"
)

// mergedPkg is a package in the merged view with the layer it has been
// present since.
type mergedPkg struct {
	LayerPackage
	layer int
}

type pkgKey struct {
	typ, name, version, arch string
	epoch                    int
}

func keyOf(p LayerPackage) pkgKey {
	return pkgKey{p.Type, p.Name, p.Version, p.Arch, p.Epoch}
}

// osNode is an os-release path in the merged view: a file or a symlink.
type osNode struct {
	content string
	target  string
}

// merge stacks layer analyses (index 0 at the bottom) the way an overlay
// filesystem does: in each layer, opaque directories and whiteouts first
// remove what the layers below had, then the layer's own files replace
// whatever was at their paths. A package keeps the layer it has been
// present in, without interruption, at the same path with the same name and
// version: rewriting /var/lib/dpkg/status in layer 3 does not move the base
// image's packages to layer 3.
func merge(analyses []*LayerAnalysis, diffIDs []string) *Result {
	files := map[string][]mergedPkg{}
	osFiles := map[string]osNode{}
	res := &Result{}

	for i, a := range analyses {
		removeUnder(files, a.OpaqueDirs, false)
		removeUnder(files, a.Whiteouts, true)
		removeUnder(osFiles, a.OpaqueDirs, false)
		removeUnder(osFiles, a.Whiteouts, true)

		// A non-directory entry replaces a lower directory, and all of it.
		removeUnder(files, a.Hidden, true)
		removeUnder(osFiles, a.Hidden, true)
		removeUnder(files, slices.Collect(maps.Keys(a.Files)), false)
		for p, fa := range a.Files {
			files[p] = carry(files[p], fa.Packages, i)
		}
		for p, c := range a.OSRelease {
			osFiles[p] = osNode{content: c}
		}
		for p, t := range a.Symlinks {
			osFiles[p] = osNode{target: t}
		}

		res.addWarnings(i, a)
	}

	res.OS = resolveOSRelease(osFiles)
	res.Packages = buildPackages(files, res.OS, diffIDs)
	return res
}

// removeUnder deletes the given paths from m, with everything below them;
// with self false only what is below them goes (an opaque directory keeps
// itself). The empty path is the root.
func removeUnder[V any](m map[string]V, paths []string, self bool) {
	if len(paths) == 0 || len(m) == 0 {
		return
	}

	set := make(map[string]bool, len(paths))
	for _, p := range paths {
		set[p] = true
	}
	for k := range m {
		if self && set[k] {
			delete(m, k)
			continue
		}
		if set[""] {
			delete(m, k)
			continue
		}
		for d := path.Dir(k); d != "."; d = path.Dir(d) {
			if set[d] {
				delete(m, k)
				break
			}
		}
	}
}

// carry gives each package of a file's new version the layer the same
// package had in the file's previous version, or layer i if it is new.
func carry(prev []mergedPkg, pkgs []LayerPackage, i int) []mergedPkg {
	since := make(map[pkgKey]int, len(prev))
	for _, p := range prev {
		since[keyOf(p.LayerPackage)] = p.layer
	}

	out := make([]mergedPkg, 0, len(pkgs))
	for _, p := range pkgs {
		layer, ok := since[keyOf(p)]
		if !ok {
			layer = i
		}
		out = append(out, mergedPkg{LayerPackage: p, layer: layer})
	}
	return out
}

// resolveOSRelease reads os-release from the merged view, following
// symlinks (relative or absolute, always inside the image root) a few hops.
func resolveOSRelease(osFiles map[string]osNode) *OSRelease {
	for _, p := range osReleasePaths {
		for hops := 0; hops < 8; hops++ {
			n, ok := osFiles[p]
			if !ok {
				break
			}
			if n.target == "" {
				if o := parseOSRelease(n.content); o != nil {
					return o
				}
				break
			}
			p = resolveLink(p, n.target)
		}
	}
	return nil
}

// resolveLink returns where a symlink at p pointing to target leads, as a
// path relative to the image root; ".." never climbs above the root.
func resolveLink(p, target string) string {
	if !strings.HasPrefix(target, "/") {
		target = path.Join("/", path.Dir(p), target)
	}
	return strings.TrimPrefix(path.Clean(target), "/")
}

func (r *Result) addWarnings(layer int, a *LayerAnalysis) {
	r.WarningCount += a.WarningCount
	for _, w := range a.Warnings {
		if len(r.Warnings) >= maxStoredWarnings {
			return
		}
		w.LayerIndex = layer
		r.Warnings = append(r.Warnings, w)
	}
}

// buildPackages turns the merged view into packages, naming OS packages
// with the ecosystem of the merged os-release.
func buildPackages(files map[string][]mergedPkg, osr *OSRelease, diffIDs []string) []Package {
	eco := osr.Ecosystem()
	var out []Package
	for p, pkgs := range files {
		for _, mp := range pkgs {
			pkg := Package{
				Name:          mp.Name,
				Version:       mp.Version,
				Ecosystem:     mp.Ecosystem,
				SourceName:    mp.SourceName,
				SourceVersion: mp.SourceVersion,
				Type:          mp.Type,
				PURL:          mp.PURL,
				Path:          "/" + p,
				LayerIndex:    mp.layer,
			}
			if mp.layer < len(diffIDs) {
				pkg.LayerDiffID = diffIDs[mp.layer]
			}
			if isOSType(mp.Type) {
				fillOSPackage(&pkg, mp.LayerPackage, osr, eco)
			}
			out = append(out, pkg)
		}
	}

	slices.SortFunc(out, func(a, b Package) int {
		return cmp.Or(
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.PURL, b.PURL),
		)
	})
	return out
}

func isOSType(t string) bool {
	return t == TypeDeb || t == TypeAPK || t == TypeRPM || t == TypeOpkg
}

// fillOSPackage sets what depends on the image's OS: the ecosystem (only
// when the OS family fits the package type: a stray dpkg database in an
// Alpine image is not Alpine's), the rpm epoch, source defaults and purl.
func fillOSPackage(pkg *Package, lp LayerPackage, osr *OSRelease, eco string) {
	base, _, _ := strings.Cut(eco, ":")
	if osFamily[base] == lp.Type {
		pkg.Ecosystem = eco
	}

	if lp.Type == TypeRPM && lp.Epoch > 0 {
		epoch := strconv.Itoa(lp.Epoch) + ":"
		pkg.Version = epoch + lp.Version
		if pkg.SourceVersion != "" {
			pkg.SourceVersion = epoch + pkg.SourceVersion
		}
	}
	if pkg.SourceName == "" {
		pkg.SourceName = pkg.Name
	}
	if pkg.SourceVersion == "" {
		pkg.SourceVersion = pkg.Version
	}
	pkg.PURL = osPURL(lp, osr)
}

// osFamily maps an ecosystem base to the package type its OS uses.
var osFamily = map[string]string{
	"Debian":      TypeDeb,
	"Ubuntu":      TypeDeb,
	"Alpine":      TypeAPK,
	"Wolfi":       TypeAPK,
	"Chainguard":  TypeAPK,
	"Red Hat":     TypeRPM,
	"AlmaLinux":   TypeRPM,
	"Rocky Linux": TypeRPM,
}

// osPURL builds the purl of an OS package the way osv-scalibr does:
// namespace from the os-release ID, distro, arch and source qualifiers.
func osPURL(lp LayerPackage, osr *OSRelease) string {
	q := map[string]string{}
	if lp.Arch != "" {
		q[purl.Arch] = lp.Arch
	}

	u := purl.PackageURL{Type: lp.Type, Name: lp.Name, Version: lp.Version}
	switch lp.Type {
	case TypeDeb, TypeOpkg:
		u.Namespace = "debian"
		if lp.SourceName != "" {
			q[purl.Source] = lp.SourceName
		}
		if lp.SourceVersion != "" {
			q[purl.SourceVersion] = lp.SourceVersion
		}
	case TypeAPK:
		u.Namespace = "alpine"
		u.Name = strings.ToLower(lp.Name)
		if lp.SourceName != "" {
			q[purl.Origin] = lp.SourceName
		}
	case TypeRPM:
		if lp.Epoch > 0 {
			q[purl.Epoch] = strconv.Itoa(lp.Epoch)
		}
		if lp.SourceRPM != "" {
			q[purl.SourceRPM] = lp.SourceRPM
		}
	}

	if osr != nil {
		u.Namespace = osr.ID
		if d := osDistro(lp.Type, osr); d != "" {
			q[purl.Distro] = d
		}
	}
	if u.Namespace == "" {
		u.Namespace = "linux"
	}
	u.Qualifiers = purl.QualifiersFromMap(q)
	return u.String()
}

func osDistro(typ string, osr *OSRelease) string {
	switch typ {
	case TypeDeb, TypeOpkg:
		return cmp.Or(osr.VersionCodename, osr.VersionID)
	case TypeRPM:
		if osr.VersionID == "" {
			return ""
		}
		return osr.ID + "-" + osr.VersionID
	}
	return osr.VersionID
}
