// Package jobs sets up River, the PostgreSQL-backed job queue that runs
// Palisade's background work (scans, feed syncs, rematches). Domain packages
// define their job kinds and workers; this package wires them into a client
// that either runs them or, in one-shot commands, only inserts them.
package jobs
