package registry_test

import (
	"testing"

	"github.com/palisadesec/palisade/internal/registry"
)

func TestMatchRepository(t *testing.T) {
	tests := []struct {
		name             string
		repo             string
		include, exclude []string
		want             bool
	}{
		{name: "no patterns include everything", repo: "team/api", want: true},
		{name: "exact include", repo: "team/api", include: []string{"team/api"}, want: true},
		{name: "star stays in one segment", repo: "team/api/v2", include: []string{"team/*"}, want: false},
		{name: "star matches a segment", repo: "team/api", include: []string{"team/*"}, want: true},
		{name: "double star matches deeper", repo: "team/api/v2", include: []string{"team/**"}, want: true},
		{name: "double star matches zero segments", repo: "team", include: []string{"team/**"}, want: true},
		{name: "leading double star", repo: "a/b/cache", include: []string{"**/cache"}, want: true},
		{name: "leading double star, top level", repo: "cache", include: []string{"**/cache"}, want: true},
		{name: "double star in the middle", repo: "org/x/y/release", include: []string{"org/**/release"}, want: true},
		{name: "double star in the middle, no match", repo: "org/x/y/dev", include: []string{"org/**/release"}, want: false},
		{name: "not included", repo: "other/api", include: []string{"team/**"}, want: false},
		{name: "second include matches", repo: "other/api", include: []string{"team/**", "other/*"}, want: true},
		{name: "exclude wins over include", repo: "team/sandbox",
			include: []string{"team/*"}, exclude: []string{"team/sandbox"}, want: false},
		{name: "exclude without include", repo: "tmp/x", exclude: []string{"tmp/**"}, want: false},
		{name: "exclude that does not match", repo: "team/api", exclude: []string{"tmp/**"}, want: true},
		{name: "question mark and class", repo: "svc-a1", include: []string{"svc-[a-c]?"}, want: true},
		{name: "malformed pattern matches nothing", repo: "team/api", include: []string{"team/[api"}, want: false},
		{name: "malformed exclude excludes nothing", repo: "team/api", exclude: []string{"[x"}, want: true},
		{name: "slashes around patterns are ignored", repo: "team/api", include: []string{"/team/api/"}, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := registry.MatchRepository(tc.repo, tc.include, tc.exclude); got != tc.want {
				t.Errorf("MatchRepository(%q, %q, %q) = %v, want %v", tc.repo, tc.include, tc.exclude, got, tc.want)
			}
		})
	}
}

func TestValidatePattern(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		wantErr bool
	}{
		{name: "plain", pattern: "team/api"},
		{name: "globs", pattern: "team/**/svc-[a-z]*"},
		{name: "unclosed class", pattern: "team/[api", wantErr: true},
		{name: "empty", pattern: " ", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := registry.ValidatePattern(tc.pattern)
			if (err != nil) != tc.wantErr {
				t.Errorf("ValidatePattern(%q) = %v, want error %v", tc.pattern, err, tc.wantErr)
			}
		})
	}
}
