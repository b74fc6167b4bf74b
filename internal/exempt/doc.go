// Package exempt owns exemptions: an operator's decision that a finding, a
// vulnerability in an image or a repository, or a recommendation for one
// resource needs no fix, because it is mitigated or its risk is accepted.
// It checks what operators ask for, writes the exemption and recounts the
// images it changes in one transaction, revokes exemptions, and runs the
// periodic job that recounts images once their exemptions expire.
package exempt
