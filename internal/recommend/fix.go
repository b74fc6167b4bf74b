package recommend

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// FixTarget is a package to fix and the version that fixes it.
type FixTarget struct {
	// Type is the package type (deb, apk, rpm, python, npm, go-module,
	// go-stdlib, maven, cargo, gem, composer, nuget).
	Type         string
	Name         string
	Version      string
	FixedVersion string
	// Binaries are, for a deb, the binary packages in the image built from
	// the same source package as Name; they are upgraded together.
	Binaries []string
	// Paths are the files the package was found in: the Go binaries built
	// with a toolchain, or where a Python package is installed.
	Paths []string
	// BaseLayer is set when the package comes from the base image.
	BaseLayer bool
}

// Fix is a remediation to paste: Text is a command or Dockerfile lines,
// Note says what to check before or after.
type Fix struct {
	Text string
	Note string
}

// baseImageFix is the fix for packages that come with the base image:
// upgrading them in the application's Dockerfile fights the base.
var baseImageFix = Fix{
	Text: "# The vulnerable packages come from the base image: rebuild on a newer one.\n" +
		"FROM <base image>:<newer tag>\n" +
		"# If the tag you use is maintained, pulling it again may be enough:\n" +
		"#   docker build --pull --no-cache .",
	Note: "Replace the FROM line of the Dockerfile that builds this image, then push it again.",
}

// FixFor returns the fix for one package, or false when no fixed
// version is known.
func FixFor(t FixTarget) (Fix, bool) {
	if t.BaseLayer && t.FixedVersion != "" {
		return baseImageFix, true
	}
	if t.FixedVersion == "" {
		return Fix{}, false
	}
	return combine([]FixTarget{t}), true
}

// PackageFacts tells what an upgrade step's package is besides its
// name: the binaries to upgrade with a deb, and the files the package was
// found in (see FixTarget).
type PackageFacts func(s Step) (binaries, paths []string)

// FixForSteps returns one fix covering every step of an image's
// remediation: a rebuild hint for base-image findings and one command
// per package manager. facts may be nil. It returns false when no step
// has a fix.
func FixForSteps(steps []Step, facts PackageFacts) (Fix, bool) {
	var targets []FixTarget
	base := false
	for _, s := range steps {
		switch s.Kind {
		case "rebuild_base":
			base = true
		case "upgrade":
			t := FixTarget{Type: s.Type, Name: s.Package, Version: s.From, FixedVersion: s.To}
			if facts != nil {
				t.Binaries, t.Paths = facts(s)
			}
			targets = append(targets, t)
		}
	}
	if !base && len(targets) == 0 {
		return Fix{}, false
	}
	f := combine(targets)
	if base {
		f.Text = strings.TrimSpace(baseImageFix.Text + "\n\n" + f.Text)
		f.Note = strings.TrimSpace(baseImageFix.Note + " " + f.Note)
	}
	return f, true
}

// combine writes one command per package manager for targets, in a
// fixed order, so several upgrades of one kind share a line.
func combine(targets []FixTarget) Fix {
	byType := map[string][]FixTarget{}
	for _, t := range targets {
		byType[t.Type] = append(byType[t.Type], t)
	}
	var lines, notes []string
	add := func(f Fix) {
		lines = append(lines, f.Text)
		if f.Note != "" && !slices.Contains(notes, f.Note) {
			notes = append(notes, f.Note)
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(byType)) {
		group := byType[typ]
		if f, ok := groupFix(typ, group); ok {
			add(f)
			continue
		}
		for _, t := range group {
			add(singleFix(t))
		}
	}
	return Fix{Text: strings.Join(lines, "\n"), Note: strings.Join(notes, " ")}
}

// groupFix writes one command for several packages of one type, for the
// package managers that take many at once.
func groupFix(typ string, group []FixTarget) (Fix, bool) {
	var words []string
	for _, t := range group {
		switch typ {
		case "deb":
			bins := t.Binaries
			if len(bins) == 0 {
				bins = []string{t.Name}
			}
			words = append(words, bins...)
		case "apk", "rpm":
			words = append(words, t.Name)
		case "python":
			words = append(words, t.Name+">="+t.FixedVersion)
		case "go-module":
			words = append(words, t.Name+"@"+goVersion(t.FixedVersion))
		case "npm":
			words = append(words, t.Name+"@"+t.FixedVersion)
		default:
			return Fix{}, false
		}
	}
	slices.Sort(words)
	args := shellWords(slices.Compact(words))
	switch typ {
	case "deb":
		return Fix{
			Text: "RUN apt-get update && apt-get install --only-upgrade -y " + args,
			Note: "Add this to the Dockerfile after the packages are installed; the fixed Debian versions must be on the mirror the build uses.",
		}, true
	case "apk":
		return Fix{Text: "RUN apk upgrade --no-cache " + args}, true
	case "rpm":
		return Fix{Text: "RUN dnf upgrade -y " + args + " && dnf clean all"}, true
	case "python":
		return Fix{Text: "pip install " + args, Note: pythonNote(group)}, true
	case "go-module":
		return Fix{
			Text: "go get " + args + "\ngo mod tidy",
			Note: "Run this in the module that builds the binary, then rebuild the binary and the image.",
		}, true
	default: // npm
		return Fix{Text: "npm install " + args, Note: "Commit the updated package-lock.json, then rebuild the image."}, true
	}
}

func pythonNote(group []FixTarget) string {
	for _, t := range group {
		for _, p := range t.Paths {
			if strings.Contains(p, "/dist-packages/") {
				return "The OS package manager installed " + t.Name + " (it sits in dist-packages): upgrade the distribution's package (such as python3-" +
					strings.ToLower(t.Name) + ") instead, or install into a virtual environment."
			}
		}
	}
	return "Pin the new version in requirements.txt (or your lock file), then rebuild the image."
}

// singleFix is the fix for a package manager that takes one package at a
// time, or for a type without a command of its own.
func singleFix(t FixTarget) Fix {
	switch t.Type {
	case "go-stdlib":
		f := Fix{Text: fmt.Sprintf("# Rebuild with Go %s or later, e.g. in the build stage:\nFROM golang:%s AS build",
			strings.TrimPrefix(t.FixedVersion, "go"), strings.TrimPrefix(t.FixedVersion, "go"))}
		f.Note = "Rebuild with Go " + strings.TrimPrefix(t.FixedVersion, "go") + " or later"
		if len(t.Paths) > 0 {
			f.Note += ": " + strings.Join(t.Paths, ", ")
		}
		f.Note += ". Binaries installed by OS packages are rebuilt by the distribution: upgrade their packages instead."
		return f
	case "cargo":
		return Fix{Text: "cargo update -p " + shellWord(t.Name) + " --precise " + shellWord(t.FixedVersion)}
	case "gem":
		return Fix{Text: "bundle update --conservative " + shellWord(t.Name),
			Note: "The Gemfile must allow " + t.Name + " " + t.FixedVersion + " or later."}
	case "composer":
		return Fix{Text: "composer require " + shellWord(t.Name+":^"+t.FixedVersion)}
	case "nuget":
		return Fix{Text: "dotnet add package " + shellWord(t.Name) + " --version " + shellWord(t.FixedVersion)}
	case "maven":
		return Fix{Text: fmt.Sprintf("# Upgrade %s to %s in pom.xml or build.gradle", oneLine(t.Name), oneLine(t.FixedVersion))}
	}
	return Fix{Text: fmt.Sprintf("# Upgrade %s from %s to %s", oneLine(t.Name), oneLine(t.Version), oneLine(t.FixedVersion))}
}

// goVersion writes a Go module version as go get wants it: OSV records
// drop the leading v.
func goVersion(v string) string {
	if strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9._+:/@~=-]+$`)

// shellWord quotes s for a POSIX shell unless it is plainly safe.
// Package names come from the image, which may be hostile: a name must
// not turn a pasted command into two.
func shellWord(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellWords(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = shellWord(w)
	}
	return strings.Join(out, " ")
}

// oneLine keeps a value from breaking out of a comment line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
