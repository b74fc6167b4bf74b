package export

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/palisadesec/palisade/internal/advisory"
)

// sarifSchemaURI is the OASIS location of the schema the output follows
// (2.1.0 with errata 01).
const sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// fingerprintKey names the partial fingerprint that identifies a finding
// across runs: the vulnerability, the package and where it was found.
const fingerprintKey = "palisadeFinding/v1"

// WriteSARIF writes the report as a SARIF 2.1.0 log with one run whose
// driver is Palisade. Each vulnerability id is one rule, with help text and
// a helpUri to its OSV page; each finding is one result whose level is
// error for critical and high, warning for medium and note for the rest.
// Rules carry properties.security-severity (the worst CVSS score among
// their findings, as GitHub code scanning reads it) when a score is known.
// A result's locations are the package's files inside the image as
// relative URIs ("var/lib/dpkg/status"). Exempt findings carry an accepted
// external suppression with the exemption's reason.
func WriteSARIF(w io.Writer, r *Report) error {
	rep := sarif.NewReport()
	rep.Schema = sarifSchemaURI
	rep.AddRun(sarifRun(r))
	if err := rep.PrettyWrite(w); err != nil {
		return fmt.Errorf("write sarif report: %w", err)
	}
	return nil
}

func sarifRun(r *Report) *sarif.Run {
	run := sarif.NewRun()
	driver := sarif.NewToolComponent().WithName(ToolName)
	if r.ToolVersion != "" {
		driver.WithVersion(r.ToolVersion)
	}
	run.WithTool(sarif.NewTool().WithDriver(driver))
	run.WithProperties(sarifRunProperties(r))

	findings := r.sortedFindings()
	for _, id := range vulnIDs(findings) {
		addSARIFRule(run, id, findings)
	}
	for _, f := range findings {
		run.CreateResultForRule(f.VulnID).
			WithLevel(sarifLevel(f.SeverityLevel)).
			WithMessage(sarif.NewTextMessage(sarifMessage(f))).
			WithLocations(sarifLocations(f)).
			WithPartialFingerprints(map[string]string{fingerprintKey: fingerprint(f)}).
			WithSuppressions(sarifSuppressions(f)).
			WithProperties(sarifResultProperties(f))
	}
	return run
}

func sarifRunProperties(r *Report) *sarif.PropertyBag {
	return sarif.NewPropertyBag().
		Add("target", r.Target).
		Add("digest", r.Digest).
		Add("platform", r.Platform).
		Add("feedVersion", r.FeedVersion)
}

// vulnIDs lists the distinct vulnerability ids in the order they first
// appear, so that rules follow the worst-first order of the results.
func vulnIDs(fs []Finding) []string {
	seen := map[string]bool{}
	var ids []string
	for _, f := range fs {
		if !seen[f.VulnID] {
			seen[f.VulnID] = true
			ids = append(ids, f.VulnID)
		}
	}
	return ids
}

// addSARIFRule describes one vulnerability from all of its findings: the
// worst level, the highest known score and every affected package.
func addSARIFRule(run *sarif.Run, id string, all []Finding) {
	var fs []Finding
	for _, f := range all {
		if f.VulnID == id {
			fs = append(fs, f)
		}
	}
	worst := fs[0]
	var score *float64
	for _, f := range fs {
		if SeverityRank(f.SeverityLevel) > SeverityRank(worst.SeverityLevel) {
			worst = f
		}
		if f.SeverityScore != nil && (score == nil || *f.SeverityScore > *score) {
			score = f.SeverityScore
		}
	}

	short := firstNonEmpty(worst.Summary, fmt.Sprintf("%s in %s", id, worst.Package.Name))
	props := sarif.NewPropertyBag().
		WithTags([]string{"security", "vulnerability", NormalizeLevel(worst.SeverityLevel)})
	if score != nil {
		props.Add("security-severity", formatScore(*score))
	}
	run.AddRule(id).
		WithShortDescription(sarif.NewMultiformatMessageString().WithText(short)).
		WithFullDescription(sarif.NewMultiformatMessageString().WithText(short)).
		WithHelp(sarifHelp(id, fs)).
		WithHelpURI(osvURL(id)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(worst.SeverityLevel))).
		WithProperties(props)
}

func sarifHelp(id string, fs []Finding) *sarif.MultiformatMessageString {
	var text, md strings.Builder
	summary := firstNonEmpty(fs[0].Summary, "No summary published.")
	fmt.Fprintf(&text, "%s: %s\n\n", id, summary)
	fmt.Fprintf(&md, "**%s**: %s\n\n", markdownEscape(id), markdownEscape(summary))
	md.WriteString("| Package | Installed | Fixed in | Severity |\n| --- | --- | --- | --- |\n")
	for _, f := range fs {
		fixed := firstNonEmpty(f.FixedVersion, "no fix")
		sev := severityLabel(f.FindingRecord)
		fmt.Fprintf(&text, "%s %s (%s): fixed in %s; severity %s\n",
			f.Package.Name, f.Package.Version, f.Package.Type, fixed, sev)
		fmt.Fprintf(&md, "| %s | %s | %s | %s |\n", markdownEscape(f.Package.Name),
			markdownEscape(f.Package.Version), markdownEscape(fixed), sev)
	}
	fmt.Fprintf(&text, "\nMore: %s", osvURL(id))
	fmt.Fprintf(&md, "\nMore: [%s](%s)", markdownEscape(id), osvURL(id))
	return sarif.NewMultiformatMessageString().WithText(text.String()).WithMarkdown(md.String())
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(level string) string {
	switch NormalizeLevel(level) {
	case string(advisory.LevelCritical), string(advisory.LevelHigh):
		return sarif.LevelError
	case string(advisory.LevelMedium):
		return sarif.LevelWarning
	}
	return sarif.LevelNote
}

func sarifMessage(f Finding) string {
	p := f.Package
	msg := fmt.Sprintf("%s %s (%s) is affected by %s", p.Name, p.Version, p.Type, f.VulnID)
	if f.Summary != "" {
		msg += ": " + f.Summary
	}
	return msg + ". " + remediation(f)
}

// remediation says what to do about a finding in one sentence.
func remediation(f Finding) string {
	switch {
	case f.FixedVersion != "":
		return fmt.Sprintf("Upgrade %s to %s or later.", f.Package.Name, f.FixedVersion)
	case advisory.FixStatus(f.FixStatus) == advisory.FixStatusWillNotFix:
		return "Its maintainers will not fix it; mitigate it or replace the package."
	}
	return "No fixed version is published yet."
}

func sarifLocations(f Finding) []*sarif.Location {
	locs := make([]*sarif.Location, 0, len(f.Package.Paths))
	for _, p := range f.Package.Paths {
		loc := sarif.NewArtifactLocation().WithURI(relativeURI(p))
		locs = append(locs, sarif.NewLocationWithPhysicalLocation(
			sarif.NewPhysicalLocation().WithArtifactLocation(loc)))
	}
	return locs
}

// relativeURI turns an absolute path inside the image into a relative URI
// reference, escaping what a URI cannot hold. A first segment with a colon
// gets "./" so that it is not read as a scheme.
func relativeURI(path string) string {
	u := &url.URL{Path: strings.TrimLeft(path, "/")}
	return u.String()
}

func sarifSuppressions(f Finding) []*sarif.Suppression {
	if !f.Exempt {
		return nil
	}
	s := sarif.NewSuppression().WithKind("external").WithStatus("accepted")
	if f.ExemptReason != "" {
		s.WithJustification(f.ExemptReason)
	}
	return []*sarif.Suppression{s}
}

func sarifResultProperties(f Finding) *sarif.PropertyBag {
	props := sarif.NewPropertyBag().
		Add("package", f.Package.Name).
		Add("packageType", f.Package.Type).
		Add("ecosystem", f.Package.Ecosystem).
		Add("installedVersion", f.Package.Version).
		Add("fixedVersion", f.FixedVersion).
		Add("fixStatus", f.FixStatus).
		Add("severity", NormalizeLevel(f.SeverityLevel)).
		Add("layerIndex", f.Package.LayerIndex).
		Add("layerDiffId", f.Package.LayerDiffID)
	if f.Package.PURL != "" {
		props.Add("purl", f.Package.PURL)
	}
	if f.SeverityScore != nil {
		props.Add("cvssScore", *f.SeverityScore)
	}
	return props
}

// fingerprint identifies a finding independently of the run: vulnerability,
// package identity and the package's first path.
func fingerprint(f Finding) string {
	p := f.Package
	first := ""
	if len(p.Paths) > 0 {
		first = p.Paths[0]
	}
	sum := sha256.Sum256([]byte(strings.Join(
		[]string{f.VulnID, p.Type, p.Ecosystem, p.Name, p.Version, first}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// markdownEscape keeps untrusted text (summaries, package names) from
// turning into links, images or table cells in rendered help.
func markdownEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]()<>!|~", r) {
			b.WriteByte('\\')
		}
		if r == '\n' || r == '\r' {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
