// Package feeds imports OSV advisory feeds into the store: from the public
// OSV bucket (or a mirror) over HTTPS, from a local zip, or from a directory
// of JSON records. Imports are incremental by content hash and each one is
// recorded as a feed version. The periodic sync runs as a River job.
package feeds
