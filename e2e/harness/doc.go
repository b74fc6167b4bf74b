// Package harness starts the real services the end-to-end tests drive: a
// private PostgreSQL cluster (through scripts/pg.sh), the built palisade
// binary, and headless Chromium. Every service is started by the test that
// needs it and stopped in t.Cleanup; a missing service fails the test.
package harness
