package export

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"

	"github.com/palisadesec/palisade/internal/advisory"
	"github.com/palisadesec/palisade/internal/store"
)

// Property names in the CycloneDX output, under Palisade's own namespace as
// the CycloneDX property taxonomy asks of tools.
const (
	propPlatform      = "palisade:platform"
	propFeedVersion   = "palisade:feed_version"
	propPackageType   = "palisade:package_type"
	propEcosystem     = "palisade:ecosystem"
	propSourceName    = "palisade:source_name"
	propSourceVersion = "palisade:source_version"
	propLayerIndex    = "palisade:layer_index"
	propLayerDiffID   = "palisade:layer_diff_id"
	propPath          = "palisade:path"
	propFixStatus     = "palisade:fix_status"
	propSevSource     = "palisade:severity_source"
)

// cycloneDXSchemaURI is the $id of the CycloneDX 1.6 JSON schema.
const cycloneDXSchemaURI = "http://cyclonedx.org/schema/bom-1.6.schema.json"

var sha256Digest = regexp.MustCompile(`^sha256:([a-f0-9]{64})$`)

// WriteCycloneDX writes the report as a CycloneDX 1.6 JSON BOM.
//
// metadata.component is the target as a "container" component whose
// version is the manifest digest, also given as a SHA-256 hash. components
// hold the operating system ("operating-system") and one "library" per
// package, with its purl, its files as evidence occurrences, and palisade:*
// properties for the package type, ecosystem, layer and paths. Each finding
// is one vulnerability whose source is its OSV page, with one rating
// (method CVSSv4, CVSSv31 or other), the fixed version as its
// recommendation, and affects pointing at the package's bom-ref.
//
// Exempt findings get a VEX analysis with state "exploitable", response
// "will_not_fix" and the exemption's reason as detail. A Palisade exemption
// records a decision to live with a finding, not evidence that the package
// is unaffected, so "not_affected" (which CycloneDX wants backed by a
// justification such as code_not_reachable) would claim more than is
// known. Open findings carry no analysis: nobody has assessed them.
func WriteCycloneDX(w io.Writer, r *Report) error {
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false)
	if err := enc.Encode(cycloneDXBOM(r)); err != nil {
		return fmt.Errorf("write cyclonedx bom: %w", err)
	}
	return nil
}

func cycloneDXBOM(r *Report) *cdx.BOM {
	at := r.generatedAt()
	image := imageComponent(r)
	refs := newRefs()
	refs.used[image.BOMRef] = true

	components := []cdx.Component{}
	if r.OS.ID != "" {
		components = append(components, osComponent(r.OS, refs))
	}
	for _, p := range r.Packages {
		components = append(components, packageComponent(p, refs.forPackage(p)))
	}
	var vulns []cdx.Vulnerability
	for _, f := range r.sortedFindings() {
		ref, known := refs.lookup(f.Package)
		if !known {
			// A finding whose package the report does not list still
			// needs a component to point at.
			ref = refs.forPackage(f.Package)
			components = append(components, packageComponent(f.Package, ref))
		}
		vulns = append(vulns, vulnerability(f, ref))
	}

	// The BOM is built for 1.6 from the start rather than converted with
	// EncodeVersion, which would turn a rating without a method (unknown
	// severity) into method "other".
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.JSONSchema = cycloneDXSchemaURI
	bom.XMLNS = "http://cyclonedx.org/schema/bom/1.6"
	bom.SerialNumber = serialNumber(r, at)
	bom.Metadata = &cdx.Metadata{
		Timestamp: at.Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: ToolName, Version: r.ToolVersion,
		}}},
		Component:  &image,
		Properties: properties(propPlatform, r.Platform, propFeedVersion, r.FeedVersion),
	}
	bom.Components = &components
	bom.Dependencies = &[]cdx.Dependency{{Ref: image.BOMRef, Dependencies: dependsOn(components)}}
	if len(vulns) > 0 {
		bom.Vulnerabilities = &vulns
	}
	return bom
}

// serialNumber derives the BOM's URN from what makes it unique, so that
// the same report written twice is the same BOM.
func serialNumber(r *Report, at time.Time) string {
	key := strings.Join([]string{r.Target, r.Digest, r.Platform, r.FeedVersion,
		at.Format(time.RFC3339Nano)}, "\x00")
	return "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte(key)).String()
}

func imageComponent(r *Report) cdx.Component {
	c := cdx.Component{
		Type:    cdx.ComponentTypeContainer,
		Name:    firstNonEmpty(r.Target, r.Digest, "unnamed target"),
		Version: r.Digest,
		BOMRef:  firstNonEmpty(r.Digest, r.Target, "target"),
	}
	if m := sha256Digest.FindStringSubmatch(r.Digest); m != nil {
		c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: m[1]}}
	}
	return c
}

func osComponent(o OS, refs *refs) cdx.Component {
	return cdx.Component{
		Type:        cdx.ComponentTypeOS,
		BOMRef:      refs.unique("os:" + o.ID + "@" + o.Version),
		Name:        o.ID,
		Version:     o.Version,
		Description: o.Name,
	}
}

func packageComponent(p store.PackageRecord, ref string) cdx.Component {
	c := cdx.Component{
		Type:       cdx.ComponentTypeLibrary,
		BOMRef:     ref,
		Name:       p.Name,
		Version:    p.Version,
		PackageURL: p.PURL,
	}
	props := *properties(propPackageType, p.Type, propEcosystem, p.Ecosystem,
		propSourceName, p.SourceName, propSourceVersion, p.SourceVersion,
		propLayerIndex, strconv.Itoa(p.LayerIndex), propLayerDiffID, p.LayerDiffID)
	var occurrences []cdx.EvidenceOccurrence
	for _, path := range p.Paths {
		props = append(props, cdx.Property{Name: propPath, Value: path})
		occurrences = append(occurrences, cdx.EvidenceOccurrence{Location: path})
	}
	c.Properties = &props
	if len(occurrences) > 0 {
		c.Evidence = &cdx.Evidence{Occurrences: &occurrences}
	}
	return c
}

func vulnerability(f Finding, ref string) cdx.Vulnerability {
	v := cdx.Vulnerability{
		ID:          f.VulnID,
		Source:      &cdx.Source{Name: "OSV", URL: osvURL(f.VulnID)},
		Description: f.Summary,
		Ratings:     &[]cdx.VulnerabilityRating{rating(f)},
		Affects: &[]cdx.Affects{{Ref: ref, Range: &[]cdx.AffectedVersions{{
			Version: f.Package.Version, Status: cdx.VulnerabilityStatusAffected,
		}}}},
		Properties: properties(propFixStatus, f.FixStatus, propSevSource, f.SeveritySource),
	}
	if f.FixedVersion != "" {
		v.Recommendation = remediation(f)
	}
	if refs := vulnReferences(f.Aliases); len(refs) > 0 {
		v.References = &refs
	}
	if advisories := advisoryLinks(f.AdvisoryIDs); len(advisories) > 0 {
		v.Advisories = &advisories
	}
	if f.Exempt {
		v.Analysis = &cdx.VulnerabilityAnalysis{
			State:    cdx.IASExploitable,
			Response: &[]cdx.ImpactAnalysisResponse{cdx.IARWillNotFix},
			Detail:   exemptDetail(f.ExemptReason),
		}
	}
	return v
}

func exemptDetail(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return "Exempt in " + ToolName + "."
	}
	return "Exempt in " + ToolName + ": " + reason
}

// rating maps a finding's severity to a CycloneDX rating.
//
// TODO: FindingRecord keeps the CVSS score but not its vector, so a v3.0
// score cannot be told from a v3.1 one and both are labelled CVSSv31 (OSV
// records almost always carry 3.1). Storing the vector would fix the method
// and fill rating.vector.
func rating(f Finding) cdx.VulnerabilityRating {
	rt := cdx.VulnerabilityRating{
		Source:   &cdx.Source{Name: "OSV", URL: osvURL(f.VulnID)},
		Score:    f.SeverityScore,
		Severity: cdx.Severity(NormalizeLevel(f.SeverityLevel)),
	}
	switch f.SeveritySource {
	case advisory.SourceCVSSv4:
		rt.Method = cdx.ScoringMethodCVSSv4
	case advisory.SourceCVSSv3:
		rt.Method = cdx.ScoringMethodCVSSv31
	case advisory.SourceGHSA, advisory.SourceEcosystem:
		rt.Method = cdx.ScoringMethodOther
		rt.Justification = "severity given by the " + f.SeveritySource + " data of the advisory"
	}
	return rt
}

func vulnReferences(aliases []string) []cdx.VulnerabilityReference {
	var out []cdx.VulnerabilityReference
	for _, a := range aliases {
		out = append(out, cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{Name: "OSV", URL: osvURL(a)}})
	}
	return out
}

func advisoryLinks(ids []string) []cdx.Advisory {
	var out []cdx.Advisory
	for _, id := range ids {
		out = append(out, cdx.Advisory{Title: id, URL: osvURL(id)})
	}
	return out
}

// properties builds name/value pairs from alternating arguments, leaving
// out empty values.
func properties(kv ...string) *[]cdx.Property {
	out := []cdx.Property{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			out = append(out, cdx.Property{Name: kv[i], Value: kv[i+1]})
		}
	}
	return &out
}

func dependsOn(components []cdx.Component) *[]string {
	out := make([]string, 0, len(components))
	for _, c := range components {
		out = append(out, c.BOMRef)
	}
	return &out
}

// refs hands out bom-refs: a package's purl when it is free, otherwise a
// numbered name, and remembers which package got which.
type refs struct {
	used     map[string]bool
	packages map[string]string
	next     int
}

func newRefs() *refs {
	return &refs{used: map[string]bool{}, packages: map[string]string{}}
}

func (rs *refs) forPackage(p store.PackageRecord) string {
	key := packageKey(p)
	if ref, ok := rs.packages[key]; ok {
		return ref
	}
	ref := rs.unique(firstNonEmpty(p.PURL, "package"))
	rs.packages[key] = ref
	return ref
}

func (rs *refs) lookup(p store.PackageRecord) (string, bool) {
	ref, ok := rs.packages[packageKey(p)]
	return ref, ok
}

func (rs *refs) unique(want string) string {
	ref := want
	for rs.used[ref] {
		rs.next++
		ref = want + "#" + strconv.Itoa(rs.next)
	}
	rs.used[ref] = true
	return ref
}

// packageKey identifies a package record by content, since records read
// from a scan have no database id yet.
func packageKey(p store.PackageRecord) string {
	return strings.Join([]string{p.Type, p.Ecosystem, p.Name, p.Version, p.PURL,
		strings.Join(p.Paths, "\x01"), strconv.Itoa(p.LayerIndex), p.LayerDiffID}, "\x00")
}
