package export

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/palisadesec/palisade/internal/store"
)

// JSONSchemaVersion is the version of the shape WriteJSON writes. It goes
// up only when a field is removed or changes meaning; new fields may
// appear without a change.
const JSONSchemaVersion = 1

// WriteJSON writes the report as Palisade's own JSON document, described
// for users in JSON.md next to this file. Every field below is always
// present; absent values are "" for strings, null for a missing score, and
// [] for lists. Findings are ordered worst first, then by package name,
// package version and vulnerability id; packages and layers keep the
// report's order.
//
//	schema_version   1
//	target           what was scanned: image reference, archive path or directory
//	digest           manifest digest ("sha256:...")
//	platform         "linux/amd64"
//	os               {id, version, name} from os-release
//	feed_version     the advisory data the findings come from
//	generated_at     RFC 3339 time in UTC
//	tool             {name: "Palisade", version}
//	summary          {critical, high, medium, low, none, unknown: open findings
//	                 per level; exempt; total; healthy; unhealthy_levels}
//	layers[]         {index, digest, diff_id, size_bytes, created_by, base_layer}
//	packages[]       {name, version, type, ecosystem, purl, source_name,
//	                 source_version, paths, layer_index, layer_diff_id}
//	findings[]       {vulnerability_id, aliases, advisory_ids, summary,
//	                 severity {level, score, source}, package {as in packages[]},
//	                 fixed_version, fix_status, exempt, exempt_reason}
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonDocument(r)); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

type jsonReport struct {
	SchemaVersion int           `json:"schema_version"`
	Target        string        `json:"target"`
	Digest        string        `json:"digest"`
	Platform      string        `json:"platform"`
	OS            jsonOS        `json:"os"`
	FeedVersion   string        `json:"feed_version"`
	GeneratedAt   time.Time     `json:"generated_at"`
	Tool          jsonTool      `json:"tool"`
	Summary       jsonSummary   `json:"summary"`
	Layers        []jsonLayer   `json:"layers"`
	Packages      []jsonPackage `json:"packages"`
	Findings      []jsonFinding `json:"findings"`
}

type jsonOS struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Name    string `json:"name"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonSummary struct {
	Critical        int      `json:"critical"`
	High            int      `json:"high"`
	Medium          int      `json:"medium"`
	Low             int      `json:"low"`
	None            int      `json:"none"`
	Unknown         int      `json:"unknown"`
	Exempt          int      `json:"exempt"`
	Total           int      `json:"total"`
	Healthy         bool     `json:"healthy"`
	UnhealthyLevels []string `json:"unhealthy_levels"`
}

type jsonLayer struct {
	Index     int    `json:"index"`
	Digest    string `json:"digest"`
	DiffID    string `json:"diff_id"`
	SizeBytes int64  `json:"size_bytes"`
	CreatedBy string `json:"created_by"`
	BaseLayer bool   `json:"base_layer"`
}

type jsonPackage struct {
	Name          string   `json:"name"`
	Version       string   `json:"version"`
	Type          string   `json:"type"`
	Ecosystem     string   `json:"ecosystem"`
	PURL          string   `json:"purl"`
	SourceName    string   `json:"source_name"`
	SourceVersion string   `json:"source_version"`
	Paths         []string `json:"paths"`
	LayerIndex    int      `json:"layer_index"`
	LayerDiffID   string   `json:"layer_diff_id"`
}

type jsonSeverity struct {
	Level  string   `json:"level"`
	Score  *float64 `json:"score"`
	Source string   `json:"source"`
}

type jsonFinding struct {
	VulnerabilityID string       `json:"vulnerability_id"`
	Aliases         []string     `json:"aliases"`
	AdvisoryIDs     []string     `json:"advisory_ids"`
	Summary         string       `json:"summary"`
	Severity        jsonSeverity `json:"severity"`
	Package         jsonPackage  `json:"package"`
	FixedVersion    string       `json:"fixed_version"`
	FixStatus       string       `json:"fix_status"`
	Exempt          bool         `json:"exempt"`
	ExemptReason    string       `json:"exempt_reason"`
}

func jsonDocument(r *Report) jsonReport {
	s := r.Summary()
	unhealthy := r.UnhealthyLevels
	if len(unhealthy) == 0 {
		unhealthy = DefaultUnhealthyLevels
	}
	doc := jsonReport{
		SchemaVersion: JSONSchemaVersion,
		Target:        r.Target,
		Digest:        r.Digest,
		Platform:      r.Platform,
		OS:            jsonOS{ID: r.OS.ID, Version: r.OS.Version, Name: r.OS.Name},
		FeedVersion:   r.FeedVersion,
		GeneratedAt:   r.generatedAt(),
		Tool:          jsonTool{Name: ToolName, Version: r.ToolVersion},
		Summary: jsonSummary{
			Critical: s.Critical, High: s.High, Medium: s.Medium, Low: s.Low, None: s.None,
			Unknown: s.Unknown, Exempt: s.Exempt, Total: s.Total, Healthy: s.Healthy,
			UnhealthyLevels: nonNil(unhealthy),
		},
		Layers:   make([]jsonLayer, 0, len(r.Layers)),
		Packages: make([]jsonPackage, 0, len(r.Packages)),
		Findings: make([]jsonFinding, 0, len(r.Findings)),
	}
	for _, l := range r.Layers {
		doc.Layers = append(doc.Layers, jsonLayer{
			Index: l.Index, Digest: l.Digest, DiffID: l.DiffID, SizeBytes: l.SizeBytes,
			CreatedBy: l.CreatedBy, BaseLayer: l.BaseLayer,
		})
	}
	for _, p := range r.Packages {
		doc.Packages = append(doc.Packages, jsonPackageOf(p))
	}
	for _, f := range r.sortedFindings() {
		doc.Findings = append(doc.Findings, jsonFindingOf(f))
	}
	return doc
}

func jsonPackageOf(p store.PackageRecord) jsonPackage {
	return jsonPackage{
		Name: p.Name, Version: p.Version, Type: p.Type, Ecosystem: p.Ecosystem, PURL: p.PURL,
		SourceName: p.SourceName, SourceVersion: p.SourceVersion, Paths: nonNil(p.Paths),
		LayerIndex: p.LayerIndex, LayerDiffID: p.LayerDiffID,
	}
}

func jsonFindingOf(f Finding) jsonFinding {
	return jsonFinding{
		VulnerabilityID: f.VulnID,
		Aliases:         nonNil(f.Aliases),
		AdvisoryIDs:     nonNil(f.AdvisoryIDs),
		Summary:         f.Summary,
		Severity: jsonSeverity{
			Level: NormalizeLevel(f.SeverityLevel), Score: f.SeverityScore, Source: f.SeveritySource,
		},
		Package:      jsonPackageOf(f.Package),
		FixedVersion: f.FixedVersion,
		FixStatus:    f.FixStatus,
		Exempt:       f.Exempt,
		ExemptReason: f.ExemptReason,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
