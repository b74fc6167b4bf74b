package export

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/palisadesec/palisade/internal/store"
)

// ToolName is how Palisade names itself in SARIF and CycloneDX output.
const ToolName = "Palisade"

// Report is everything the writers need about one scanned target, however
// it was produced: read back from the store for an export, or straight from
// a `palisade scan` run.
type Report struct {
	// Target is what was scanned as the user named it: an image reference,
	// an archive path or a directory.
	Target   string
	Digest   string // manifest digest, "sha256:..."; empty for a directory
	Platform string // "linux/amd64"
	OS       OS
	// FeedVersion says which advisory data the findings were computed
	// from, e.g. "12 (sha256:abc..., 2026-12-03T10:00:00Z)".
	FeedVersion string
	// GeneratedAt is when the report was made; the zero time means now.
	GeneratedAt time.Time
	ToolVersion string
	// UnhealthyLevels are the severities that make the target unhealthy
	// when an open (not exempt) finding has one. Empty means
	// DefaultUnhealthyLevels.
	UnhealthyLevels []string
	// Layers are optional; when present, the JSON output lists them.
	Layers   []store.LayerRecord
	Packages []store.PackageRecord
	Findings []Finding
}

// OS is the operating system the target is built on, from os-release.
type OS struct {
	ID      string // "debian"
	Version string // "12"
	Name    string // "Debian GNU/Linux 12 (bookworm)"
}

// Finding is one vulnerability in one package, with the package itself and
// the exemption state, so that writers never index into Report.Packages:
// FindingRecord.PackageIndex is ignored here.
type Finding struct {
	store.FindingRecord
	Package      store.PackageRecord
	Exempt       bool
	ExemptReason string
}

// NewReport builds a report from a scan result: digest, platform, OS,
// layers, packages and findings. The caller fills in Target, FeedVersion,
// GeneratedAt, ToolVersion and exemptions.
func NewReport(res *store.ScanResult) (*Report, error) {
	findings, err := ResolveFindings(res.Packages, res.Findings)
	if err != nil {
		return nil, err
	}
	im := res.Image
	return &Report{
		Digest:   im.Digest,
		Platform: im.Platform,
		OS:       OS{ID: im.OSID, Version: im.OSVersion, Name: im.OSName},
		Layers:   res.Layers,
		Packages: res.Packages,
		Findings: findings,
	}, nil
}

// ResolveFindings pairs each finding record with the package its
// PackageIndex points to.
func ResolveFindings(pkgs []store.PackageRecord, recs []store.FindingRecord) ([]Finding, error) {
	out := make([]Finding, len(recs))
	for i, rec := range recs {
		if rec.PackageIndex < 0 || rec.PackageIndex >= len(pkgs) {
			return nil, fmt.Errorf("finding %s: package index %d out of range (%d packages)",
				rec.VulnID, rec.PackageIndex, len(pkgs))
		}
		out[i] = Finding{FindingRecord: rec, Package: pkgs[rec.PackageIndex]}
	}
	return out, nil
}

// generatedAt is the report time in UTC, now when unset.
func (r *Report) generatedAt() time.Time {
	if r.GeneratedAt.IsZero() {
		return time.Now().UTC()
	}
	return r.GeneratedAt.UTC()
}

// sortedFindings returns the findings worst first without touching the
// caller's slice.
func (r *Report) sortedFindings() []Finding {
	fs := slices.Clone(r.Findings)
	SortFindings(fs)
	return fs
}

// SortFindings orders findings worst severity first, then by package name,
// package version and vulnerability id. The sort is stable.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := SeverityRank(b.SeverityLevel) - SeverityRank(a.SeverityLevel); c != 0 {
			return c
		}
		if c := strings.Compare(a.Package.Name, b.Package.Name); c != 0 {
			return c
		}
		if c := strings.Compare(a.Package.Version, b.Package.Version); c != 0 {
			return c
		}
		return strings.Compare(a.VulnID, b.VulnID)
	})
}

// osvURL is the OSV page of a vulnerability or advisory id.
func osvURL(id string) string {
	return "https://osv.dev/vulnerability/" + url.PathEscape(id)
}
