// Package hosttest builds hand-made palisade-agent snapshots for tests of
// the host pipeline: a readable Docker host with chosen containers, which
// tests then change field by field.
package hosttest
