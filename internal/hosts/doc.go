// Package hosts owns the Docker hosts Palisade watches through
// palisade-agent: the one-time enrolment tokens admins make, the credential
// each host gets in exchange (both random, both stored as hashes), and what
// happens to a snapshot once the web layer has checked its size and schema:
// it is stored (the latest and a short history), evaluated against the CIS
// Docker Benchmark by internal/hostbench with the host's exemptions, and
// summarised into the host's row and its "Container hosts should be
// configured securely" assessment. Exempting a control, or removing an
// exemption, evaluates the latest snapshot again.
//
// Evaluation runs inline, in the request that delivers the snapshot and in
// the same transaction that stores it, not as a background job: evaluating
// takes milliseconds (writing the results of thousands of containers, a
// few seconds), the agent is told 202 only once the results are stored, and
// a snapshot is never stored without the results that belong to it. See
// docs/decisions.md.
package hosts
