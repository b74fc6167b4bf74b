// Package advisory owns the pure logic behind vulnerability advisories in the
// OSV format: decoding and checking records, reading them safely out of the
// per-ecosystem zip files and directories the public feeds publish, scoring
// their severity, deciding whether a concrete package version falls inside an
// affected range, and an in-memory index that answers "which advisories hit
// this (ecosystem, name, version)" fast enough to rematch whole inventories.
// It does no I/O beyond the feed readers and knows nothing about the database:
// the store and the feeds command call into it.
package advisory
