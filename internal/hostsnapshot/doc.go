// Package hostsnapshot owns the schema of what palisade-agent reports about a
// Docker host: the Engine API's view (info, version, container and image
// inspects, networks, plugins, swarm details, exec sessions seen) and the
// host's view (daemon.json, dockerd's command line, owner and mode of the
// files the CIS Docker Benchmark names, audit rules, mounts, the docker group,
// listening sockets, AppArmor and SELinux state). Every collected item carries
// a Read that says whether it could be read and, if not, why. The package
// encodes and decodes snapshots as JSON with a schema version and validates
// them (version, required fields, size and count limits) before anything
// else looks at them. It does no collecting and no judging: the agent fills
// a Snapshot and internal/hostbench evaluates one.
package hostsnapshot
