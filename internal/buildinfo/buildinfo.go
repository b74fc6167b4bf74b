// Package buildinfo carries the version stamped into the binary at link time.
package buildinfo

// Version is set with -ldflags "-X github.com/palisadesec/palisade/internal/buildinfo.Version=...".
// It stays "dev" for plain `go build` and `go test`.
var Version = "dev"
