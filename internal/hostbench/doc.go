// Package hostbench evaluates the CIS Docker Benchmark v1.6.0 against a
// snapshot from palisade-agent (internal/hostsnapshot). It owns the control
// catalogue (every control of sections 1 to 7, and section 8 reported as not
// applicable on Community engines), the rules that turn a snapshot into one
// result per control and resource (the host, each container, each image),
// and exemptions. A control whose data the agent could not read reports
// info with "not readable: ...", never pass. The package does no I/O.
package hostbench
