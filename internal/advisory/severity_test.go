package advisory

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	// Base score by hand (CVSS v3.1 specification, section 7.1), scope
	// unchanged: ISS = 1 - (1-0.56)^3 = 0.914816; impact = 6.42 * ISS =
	// 5.8731; exploitability = 8.22 * 0.85 (AV:N) * 0.77 (AC:L) * 0.85
	// (PR:N) * 0.85 (UI:N) = 3.8870; roundup(5.8731 + 3.8870 = 9.7601) = 9.8.
	vectorCritical31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
	// No impact at all: ISS = 0, so the base score is 0.0.
	vectorNone31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"
	// The FIRST CVSS v4.0 calculator scores this vector 9.3 (critical); it is
	// the common "network, no privileges, full impact on the vulnerable
	// system only" vector of many published advisories.
	vectorCritical40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
)

func TestAssess(t *testing.T) {
	tests := []struct {
		name string
		rec  *Record
		want Severity
	}{
		{
			name: "cvss v3.1 vector scored by hand",
			rec:  &Record{ID: "T-1", Severity: []SeverityScore{{Type: "CVSS_V3", Score: vectorCritical31}}},
			want: Severity{Level: LevelCritical, Score: 9.8, Vector: vectorCritical31, Source: SourceCVSSv3},
		},
		{
			name: "cvss v3.1 with no impact is none",
			rec:  &Record{ID: "T-2", Severity: []SeverityScore{{Type: "CVSS_V3", Score: vectorNone31}}},
			want: Severity{Level: LevelNone, Score: 0, Vector: vectorNone31, Source: SourceCVSSv3},
		},
		{
			name: "cvss v4 vector with a published score",
			rec:  &Record{ID: "T-3", Severity: []SeverityScore{{Type: "CVSS_V4", Score: vectorCritical40}}},
			want: Severity{Level: LevelCritical, Score: 9.3, Vector: vectorCritical40, Source: SourceCVSSv4},
		},
		{
			name: "v4 is preferred over v3",
			rec: &Record{ID: "T-4", Severity: []SeverityScore{
				{Type: "CVSS_V3", Score: vectorNone31},
				{Type: "CVSS_V4", Score: vectorCritical40},
			}},
			want: Severity{Level: LevelCritical, Score: 9.3, Vector: vectorCritical40, Source: SourceCVSSv4},
		},
		{
			name: "a bad v4 vector falls through to v3",
			rec: &Record{ID: "T-5", Severity: []SeverityScore{
				{Type: "CVSS_V4", Score: "CVSS:4.0/AV:Q"},
				{Type: "CVSS_V3", Score: vectorCritical31},
			}},
			want: Severity{Level: LevelCritical, Score: 9.8, Vector: vectorCritical31, Source: SourceCVSSv3},
		},
		{
			name: "a v3 type holding garbage falls through to the ghsa word",
			rec: &Record{
				ID:               "T-6",
				Severity:         []SeverityScore{{Type: "CVSS_V3", Score: "9.8"}},
				DatabaseSpecific: json.RawMessage(`{"severity": "HIGH"}`),
			},
			want: Severity{Level: LevelHigh, Source: SourceGHSA},
		},
		{
			name: "affected-level vector when the record has none",
			rec: &Record{ID: "T-7", Affected: []Affected{{
				Package:  Package{Ecosystem: "npm", Name: "x"},
				Severity: []SeverityScore{{Type: "CVSS_V3", Score: vectorCritical31}},
			}}},
			want: Severity{Level: LevelCritical, Score: 9.8, Vector: vectorCritical31, Source: SourceCVSSv3},
		},
		{
			name: "ghsa moderate is medium",
			rec: &Record{
				ID:               "GHSA-aaaa-bbbb-cccc",
				DatabaseSpecific: json.RawMessage(`{"severity": "MODERATE", "cwe_ids": []}`),
			},
			want: Severity{Level: LevelMedium, Source: SourceGHSA},
		},
		{
			name: "real pypi record, cvss v3.0 confidentiality only",
			// By hand: ISS = 0.56; impact = 6.42 * 0.56 = 3.5952;
			// exploitability = 3.8870 as above; roundup(7.4822) = 7.5.
			rec: zipRecord(t, "PyPI.zip", "PYSEC-2017-105"),
			want: Severity{
				Level:  LevelHigh,
				Score:  7.5,
				Vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
				Source: SourceCVSSv3,
			},
		},
		{
			name: "real go record without any severity is unknown",
			rec:  zipRecord(t, "Go.zip", "GO-2020-0001"),
			want: Severity{Level: LevelUnknown, Source: SourceUnknown},
		},
		{
			name: "debian urgency from the first affected entry",
			rec:  osRecord(t, "DEBIAN-CVE-2099-1001"), // hand-made, Debian:11 is first
			want: Severity{Level: LevelMedium, Source: SourceEcosystem},
		},
		{
			name: "debian unimportant is low",
			rec:  osRecord(t, "DEBIAN-CVE-2099-1004"), // hand-made
			want: Severity{Level: LevelLow, Source: SourceEcosystem},
		},
		{
			name: "ubuntu priority as a record-level severity",
			rec:  osRecord(t, "UBUNTU-CVE-2099-3002"), // hand-made
			want: Severity{Level: LevelLow, Source: SourceEcosystem},
		},
		{
			name: "debian end-of-life carries no level",
			rec: &Record{ID: "T-8", Affected: []Affected{{
				Package:           Package{Ecosystem: "Debian:10", Name: "x"},
				EcosystemSpecific: json.RawMessage(`{"urgency": "end-of-life"}`),
			}}},
			want: Severity{Level: LevelUnknown, Source: SourceUnknown},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Assess(tt.rec)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Assess() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
