// Package collect fills a hostsnapshot.Snapshot on a Docker host: it talks
// to the Engine API over the unix socket with plain HTTP and encoding/json
// (no Docker client library, to keep palisade-agent small), and reads the
// host's files and /proc under a host root prefix, so that the agent can run
// in a container with the host mounted at /host. It also follows the event
// stream so that exec sessions, which the engine forgets quickly, are seen.
package collect
