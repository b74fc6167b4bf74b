package scan

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/palisadesec/palisade/internal/recommend"
	"github.com/palisadesec/palisade/internal/store"
)

// ImageAssessment builds the image recommendation's state: healthy, or
// unhealthy with remediation steps made from the findings.
func ImageAssessment(imageID int64, sum store.ImageSummary, res *store.ScanResult) store.Assessment {
	details := recommend.ImageDetails{
		Critical: sum.Critical, High: sum.High, Medium: sum.Medium, Low: sum.Low, Unknown: sum.Unknown,
		Steps: RemediationSteps(res),
	}
	b, _ := json.Marshal(details)
	status := "healthy"
	if !sum.Healthy {
		status = "unhealthy"
	}
	return store.Assessment{
		RecommendationID: recommend.ImageVulnerabilities.ID,
		ResourceKind:     "image",
		ResourceID:       imageID,
		Status:           status,
		Severity:         sum.Worst(),
		Details:          b,
	}
}

// RemediationSteps turns findings into what to do: one upgrade per package
// to the version that fixes all of its findings; findings in base-image
// layers are gathered into one "rebuild on a newer base image" step, since
// upgrading inside the application's Dockerfile fights the base; and
// findings without any fix are counted so nobody waits on an upgrade.
func RemediationSteps(res *store.ScanResult) []recommend.Step {
	type pkgAgg struct {
		pkg      store.PackageRecord
		to       string
		findings int
		worst    string
		noFix    int
	}
	aggs := map[int]*pkgAgg{}
	var order []int
	for _, f := range res.Findings {
		a, ok := aggs[f.PackageIndex]
		if !ok {
			a = &pkgAgg{pkg: res.Packages[f.PackageIndex], worst: "unknown"}
			aggs[f.PackageIndex] = a
			order = append(order, f.PackageIndex)
		}
		a.findings++
		if severityRank(f.SeverityLevel) > severityRank(a.worst) {
			a.worst = f.SeverityLevel
		}
		if f.FixedVersion == "" {
			a.noFix++
			continue
		}
		if a.to == "" || versionLess(a.pkg.Ecosystem, a.to, f.FixedVersion) {
			a.to = f.FixedVersion
		}
	}

	var steps []recommend.Step
	base := recommend.Step{Kind: "rebuild_base", Worst: "unknown"}
	noFix := recommend.Step{Kind: "no_fix", Worst: "unknown"}
	for _, i := range order {
		a := aggs[i]
		fixable := a.findings - a.noFix
		if a.noFix > 0 {
			noFix.Findings += a.noFix
			noFix.Packages = append(noFix.Packages, a.pkg.Name)
			noFix.Worst = worse(noFix.Worst, a.worst)
		}
		if fixable == 0 {
			continue
		}
		if inBaseLayer(res, a.pkg) {
			base.Findings += fixable
			base.Packages = append(base.Packages, a.pkg.Name+" "+a.pkg.Version+" → "+a.to)
			base.Worst = worse(base.Worst, a.worst)
			continue
		}
		steps = append(steps, recommend.Step{
			Kind: "upgrade", Package: a.pkg.Name, Type: a.pkg.Type, From: a.pkg.Version, To: a.to,
			Findings: fixable, Worst: a.worst,
			Text: fmt.Sprintf("Upgrade %s from %s to %s (fixes %d %s)", a.pkg.Name, a.pkg.Version, a.to, fixable, plural(fixable, "finding")),
		})
	}
	slices.SortStableFunc(steps, func(x, y recommend.Step) int { return severityRank(y.Worst) - severityRank(x.Worst) })
	if base.Findings > 0 {
		base.Text = fmt.Sprintf("Rebuild on a newer base image: %d %s sit in base-image layers (%s)",
			base.Findings, plural(base.Findings, "finding"), strings.Join(base.Packages, ", "))
		steps = append([]recommend.Step{base}, steps...)
	}
	if noFix.Findings > 0 {
		slices.Sort(noFix.Packages)
		noFix.Packages = slices.Compact(noFix.Packages)
		noFix.Text = fmt.Sprintf("No fix is published yet for %d %s (%s): mitigate, or exempt with a justification",
			noFix.Findings, plural(noFix.Findings, "finding"), strings.Join(noFix.Packages, ", "))
		steps = append(steps, noFix)
	}
	return steps
}

func inBaseLayer(res *store.ScanResult, p store.PackageRecord) bool {
	for _, l := range res.Layers {
		if l.Index == p.LayerIndex {
			return l.BaseLayer
		}
	}
	return false
}

func worse(a, b string) string {
	if severityRank(b) > severityRank(a) {
		return b
	}
	return a
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
