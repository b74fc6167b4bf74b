// Package inventory owns the list of packages in a container image or a root
// filesystem, each with the file it was found in and the image layer that
// brought it. It runs osv-scalibr's extractors (dpkg including distroless
// status.d, apk, rpm, Go binaries, Python, npm, Java archives, Ruby gemspecs,
// Rust cargo-auditable binaries, .NET deps.json) plus its own reader of
// Composer's installed.json, and names every package the way OSV advisories
// do, so that internal/advisory can match it (see Package.MatchKey).
//
// Every layer is analysed on its own, streaming its tar once and copying only
// the files an extractor wants into a private scratch directory, into a
// LayerAnalysis keyed by the layer's diffID. Analyses are kept in a
// LayerCache, so a layer shared by many images is downloaded and read once.
// The analyses are then merged in layer order the way an overlay filesystem
// stacks layers; the image's OS release, and with it the ecosystem of its OS
// packages, is only known after that merge.
//
// Layers are untrusted input: entry names are confined to the image root,
// links are never followed, and sizes, entry counts and digests are checked
// (see Limits).
//
// osv-scalibr logs through a process-wide logger of its own; the first scan
// points it at slog.Default(), at Debug level.
package inventory
