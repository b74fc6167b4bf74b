// Package scan turns images into findings: it resolves a reference in a
// registry, inventories each platform image (internal/inventory), matches
// the packages against advisories (internal/advisory), and writes packages,
// findings, image health and the image recommendation in one transaction.
// It also matches stored inventories again when advisories change, without
// pulling anything.
package scan
