package advisory

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseRecord(t *testing.T) {
	tests := []struct {
		name         string
		data         string
		wantErr      string // prefix of the error; empty when none is expected
		wantID       string
		wantWarnings []string
	}{
		{
			name:   "minimal record",
			data:   `{"id": "X-1", "modified": "2024-05-01T10:00:00Z"}`,
			wantID: "X-1",
		},
		{
			name:    "broken json",
			data:    `{"id": "X-2", "affected": [`,
			wantErr: "decode json: ",
		},
		{
			name:    "not an object",
			data:    `[{"id": "X-3"}]`,
			wantErr: "decode json: ",
		},
		{
			name:    "wrong field type",
			data:    `{"id": "X-4", "aliases": "CVE-2024-1"}`,
			wantErr: "decode json: ",
		},
		{
			name:    "missing id",
			data:    `{"modified": "2024-05-01T10:00:00Z", "summary": "no id"}`,
			wantErr: "missing id",
		},
		{
			name:    "empty id",
			data:    `{"id": ""}`,
			wantErr: "missing id",
		},
		{
			name:    "two records in one entry",
			data:    `{"id": "X-5"} {"id": "X-6"}`,
			wantErr: "decode json: unexpected data after the record",
		},
		{
			name: "unknown range type in the third entry",
			data: `{"id": "X-7", "affected": [
				{"package": {"ecosystem": "Go", "name": "a"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]},
				{"package": {"ecosystem": "Go", "name": "b"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]},
				{"package": {"ecosystem": "Go", "name": "c"}, "ranges": [{"type": "FOO", "events": [{"introduced": "0"}]}]}
			]}`,
			wantID:       "X-7",
			wantWarnings: []string{`affected[2].ranges[0]: unknown range type "FOO"; range ignored`},
		},
		{
			name: "range problems",
			data: `{"id": "X-8", "affected": [{"package": {"ecosystem": "PyPI", "name": "p"}, "ranges": [
				{"events": [{"introduced": "0"}]},
				{"type": "ECOSYSTEM", "events": []},
				{"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}]},
				{"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "2.0"}, {}, {"introduced": "1.0"}]},
				{"type": "GIT", "repo": "https://example.org/p", "events": [{"introduced": "abc"}]}
			]}]}`,
			wantID: "X-8",
			wantWarnings: []string{
				"affected[0].ranges[0]: missing range type; range ignored",
				"affected[0].ranges[1]: no events; range ignored",
				`affected[0].ranges[2]: no introduced event; read as introduced "0"`,
				"affected[0].ranges[3]: events[0]: want exactly one of introduced, fixed, last_affected, limit; event ignored",
				"affected[0].ranges[3]: events[1]: want exactly one of introduced, fixed, last_affected, limit; event ignored",
			},
		},
		{
			name: "unparseable debian event version",
			data: `{"id": "X-9", "affected": [{"package": {"ecosystem": "Debian:12", "name": "d"},
				"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "x:1.0-1"}]}]}]}`,
			wantID: "X-9",
			wantWarnings: []string{
				"affected[0].ranges[0]: events[1]: invalid version: failed to convert x to a number; range ignored",
			},
		},
		{
			name: "ecosystem without an ordering",
			data: `{"id": "X-10", "affected": [{"package": {"ecosystem": "Frobnitz", "name": "f"},
				"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}], "versions": ["1"]}]}`,
			wantID:       "X-10",
			wantWarnings: []string{`affected[0].ranges[0]: no version ordering for ecosystem "Frobnitz"; range ignored`},
		},
		{
			name: "missing package, and a repository-only entry",
			data: `{"id": "X-11", "affected": [
				{"versions": ["1.0"]},
				{"ranges": [{"type": "GIT", "repo": "https://example.org/r", "events": [{"introduced": "0"}]}]}
			]}`,
			wantID:       "X-11",
			wantWarnings: []string{"affected[0]: missing package name or ecosystem; entry ignored"},
		},
		{
			name:         "invalid timestamp",
			data:         `{"id": "X-12", "modified": "yesterday"}`,
			wantID:       "X-12",
			wantWarnings: []string{`modified: invalid timestamp "yesterday"`},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := ParseRecord([]byte(tt.data))

			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRecord() error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRecord() error = %v", err)
			}
			if rec.ID != tt.wantID {
				t.Errorf("ID = %q, want %q", rec.ID, tt.wantID)
			}
			if diff := cmp.Diff(tt.wantWarnings, rec.Warnings, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseRealRecords checks fields of real records against values read by
// hand from the JSON (unzip -p Go.zip GO-2020-0001.json and so on).
func TestParseRealRecords(t *testing.T) {
	tests := []struct {
		name string
		zip  string
		id   string
		want *Record
	}{
		{
			name: "go record with the zero modified time the Go database publishes",
			zip:  "Go.zip",
			id:   "GO-2020-0001",
			want: &Record{
				SchemaVersion: "1.3.1",
				ID:            "GO-2020-0001",
				Published:     time.Date(2021, 4, 14, 20, 4, 52, 0, time.UTC),
				Aliases:       []string{"CVE-2020-36567", "GHSA-6vm3-jj99-7229"},
				Affected: []Affected{{
					Package: Package{Ecosystem: "Go", Name: "github.com/gin-gonic/gin"},
					Ranges: []Range{{
						Type:   RangeSemver,
						Events: []Event{{Introduced: "0"}, {Fixed: "1.6.0"}},
					}},
				}},
			},
		},
		{
			name: "withdrawn go record",
			zip:  "Go.zip",
			id:   "GO-2022-0617",
			want: &Record{
				SchemaVersion: "1.3.1",
				ID:            "GO-2022-0617",
				Withdrawn:     time.Date(2024, 8, 21, 16, 25, 56, 0, time.UTC),
				Aliases:       []string{"CVE-2020-8562", "GHSA-qh36-44jv-c8xj"},
				Affected: []Affected{{
					Package: Package{Ecosystem: "Go", Name: "k8s.io/kubernetes"},
					Ranges:  []Range{{Type: RangeSemver, Events: []Event{{Introduced: "0"}}}},
				}},
			},
		},
		{
			name: "pypi record with only a versions list and no published time",
			zip:  "PyPI.zip",
			id:   "PYSEC-2024-1",
			want: &Record{
				ID:       "PYSEC-2024-1",
				Modified: time.Date(2024, 1, 3, 22, 31, 36, 0, time.UTC),
				Affected: []Affected{{
					Package:  Package{Ecosystem: "PyPI", Name: "gratient", Purl: "pkg:pypi/gratient"},
					Versions: []string{"0.5"},
				}},
			},
		},
		{
			name: "pypi record with last_affected",
			zip:  "PyPI.zip",
			id:   "PYSEC-2022-42969",
			want: &Record{
				ID:        "PYSEC-2022-42969",
				Modified:  time.Date(2022, 11, 4, 11, 0, 0, 0, time.UTC),
				Published: time.Date(2022, 11, 4, 11, 0, 0, 0, time.UTC),
				Aliases:   []string{"CVE-2022-42969", "GHSA-w596-4wvx-j9j6"},
				Affected: []Affected{{
					Package: Package{Ecosystem: "PyPI", Name: "py", Purl: "pkg:pypi/py"},
					Ranges: []Range{{
						Type:   RangeEcosystem,
						Events: []Event{{Introduced: "0"}, {LastAffected: "1.11.0"}},
					}},
				}},
			},
		},
	}

	// Long prose and raw JSON blobs are not what these cases check.
	ignore := cmp.Options{
		cmpopts.IgnoreFields(Record{}, "Summary", "Details", "References", "DatabaseSpecific"),
		cmpopts.IgnoreFields(Affected{}, "EcosystemSpecific", "DatabaseSpecific"),
		cmpopts.EquateEmpty(),
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := zipRecord(t, tt.zip, tt.id)

			// The py record lists 65 versions; the range is what matters here.
			if tt.id == "PYSEC-2022-42969" {
				if n := len(got.Affected[0].Versions); n != 65 {
					t.Errorf("len(Versions) = %d, want 65", n)
				}
				got.Affected[0].Versions = nil
			}
			if diff := cmp.Diff(tt.want, got, ignore); diff != "" {
				t.Errorf("record mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
