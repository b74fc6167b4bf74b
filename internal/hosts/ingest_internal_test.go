package hosts

import "testing"

func TestHasNUL(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want bool
	}{
		{name: "none", doc: `{"a":"b"}`, want: false},
		{name: "escaped NUL", doc: `{"a":"x\u0000y"}`, want: true},
		{name: "escaped backslash then u0000", doc: `{"a":"x\\u0000"}`, want: false},
		{name: "two backslashes then NUL", doc: `{"a":"\\\u0000"}`, want: true},
		{name: "NUL after a literal one", doc: `{"a":"\\u0000","b":"\u0000"}`, want: true},
		{name: "other escape", doc: `{"a":"\u0001"}`, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hasNUL([]byte(tt.doc)); got != tt.want {
				t.Errorf("hasNUL(%s) = %v, want %v", tt.doc, got, tt.want)
			}
		})
	}
}
