package advisory

import (
	"slices"
	"strings"
)

// GroupKey names the vulnerability a record describes, so that records of
// several databases about one problem (a GHSA, a PYSEC and a Debian record
// of the same CVE) show once per package. The key is the lowest CVE id
// among the record's id, aliases and upstream ids; without a CVE it is the
// lowest of those ids, so two records that alias each other still agree.
func GroupKey(id string, aliases []string) string {
	ids := append([]string{id}, aliases...)
	var cves []string
	for _, a := range ids {
		if strings.HasPrefix(a, "CVE-") {
			cves = append(cves, a)
		}
	}
	if len(cves) > 0 {
		return slices.MinFunc(cves, compareCVE)
	}
	return slices.Min(ids)
}

// compareCVE orders CVE ids by year then number, so CVE-2024-9999 sorts
// before CVE-2024-10000 as it was assigned first.
func compareCVE(a, b string) int {
	const yearPrefix = len("CVE-2024-")
	if len(a) >= yearPrefix && len(b) >= yearPrefix && len(a) != len(b) && a[:yearPrefix] == b[:yearPrefix] {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}
