package advisory

import "testing"

func TestGroupKey(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		aliases []string
		want    string
	}{
		{name: "cve alias wins over own id", id: "GHSA-aaaa-bbbb-cccc", aliases: []string{"PYSEC-2021-1", "CVE-2021-0002"}, want: "CVE-2021-0002"},
		{name: "lowest cve when several", id: "GO-2022-0001", aliases: []string{"CVE-2022-20000", "CVE-2022-9999"}, want: "CVE-2022-9999"},
		{name: "record that is a cve", id: "CVE-2020-1000", aliases: nil, want: "CVE-2020-1000"},
		{name: "no cve: lowest id so aliases agree", id: "PYSEC-2020-5", aliases: []string{"GHSA-zzzz-yyyy-xxxx"}, want: "GHSA-zzzz-yyyy-xxxx"},
		{name: "the alias's own record agrees", id: "GHSA-zzzz-yyyy-xxxx", aliases: []string{"PYSEC-2020-5"}, want: "GHSA-zzzz-yyyy-xxxx"},
		{name: "malformed short cve alias does not panic", id: "X-1", aliases: []string{"CVE-1", "CVE-2020-1000"}, want: "CVE-1"},
		{name: "no aliases", id: "GO-2024-3000", want: "GO-2024-3000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GroupKey(tt.id, tt.aliases); got != tt.want {
				t.Errorf("GroupKey(%q, %v) = %q, want %q", tt.id, tt.aliases, got, tt.want)
			}
		})
	}
}
