package web

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDescribeJSONErrorHidesGoTypes(t *testing.T) {
	type input struct {
		Repository string `json:"repository"`
		Force      bool   `json:"force"`
	}
	tests := []struct {
		name string
		body string
		want string
	}{
		{name: "array instead of object", body: `[]`, want: "must be a JSON object, not array"},
		{name: "wrong field type", body: `{"repository": 5}`, want: `field "repository" must be a string, not number`},
		{name: "bool field", body: `{"force": "yes"}`, want: `field "force" must be true or false, not string`},
		{name: "broken json", body: `{"repository": `, want: "unexpected EOF"},
		{name: "empty", body: ``, want: "empty; send a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v input
			err := json.NewDecoder(bytes.NewReader([]byte(tt.body))).Decode(&v)
			got := describeJSONError(err)
			if got != tt.want {
				t.Errorf("describeJSONError(%q) = %q, want %q", tt.body, got, tt.want)
			}
			if strings.Contains(got, "web.") || strings.Contains(got, "Go value") {
				t.Errorf("message leaks Go types: %q", got)
			}
		})
	}
}
