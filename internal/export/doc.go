// Package export writes what a scan found about one image in the formats
// people and tools read: a table for terminals, Palisade's own JSON, SARIF
// 2.1.0 for code-scanning dashboards, a CycloneDX 1.6 SBOM with its
// vulnerabilities, and CSV for spreadsheets. It owns the Report model those
// writers share, which does not care whether the data came from the store
// or from a one-shot `palisade scan`.
package export
