package export

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Format
		wantErr bool
	}{
		{name: "table", in: "table", want: FormatTable},
		{name: "upper case", in: "JSON", want: FormatJSON},
		{name: "spaces", in: " sarif ", want: FormatSARIF},
		{name: "cyclonedx", in: "cyclonedx", want: FormatCycloneDX},
		{name: "csv", in: "csv", want: FormatCSV},
		{name: "unknown", in: "spdx", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFormat(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrUnknownFormat) {
					t.Errorf("ParseFormat(%q) error = %v, want ErrUnknownFormat", tc.in, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseFormat(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		starts string
	}{
		{name: "table", format: FormatTable, starts: "registry.local:5000/shop/api:1.4 ("},
		{name: "json", format: FormatJSON, starts: "{\n  \"schema_version\": 1,"},
		{name: "sarif", format: FormatSARIF, starts: "{\n  \"$schema\": \"https://docs.oasis-open.org/sarif/"},
		{name: "cyclonedx", format: FormatCycloneDX, starts: "{\n  \"$schema\": \"http://cyclonedx.org/schema/bom-1.6"},
		{name: "csv", format: FormatCSV, starts: "vulnerability_id,aliases,"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.format, sampleReport()); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(buf.String(), tc.starts) {
				t.Errorf("output starts %q, want %q", buf.String()[:min(60, buf.Len())], tc.starts)
			}
		})
	}
	if err := Write(&bytes.Buffer{}, Format("xml"), sampleReport()); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("unknown format: got %v, want ErrUnknownFormat", err)
	}
}

func TestWritersReportWriteErrors(t *testing.T) {
	errPipe := errors.New("broken pipe")
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			if err := Write(failingWriter{err: errPipe}, f, sampleReport()); !errors.Is(err, errPipe) {
				t.Errorf("got %v, want an error wrapping %v", err, errPipe)
			}
		})
	}
}
