package registry

import (
	"fmt"
	"path"
	"strings"
)

// MatchRepository reports whether a repository name is selected by the
// include and exclude patterns. Patterns are path.Match globs over the
// slash-separated name ("team/*" matches "team/api" but not
// "team/api/v2"), and a "**" segment matches any number of segments,
// none included ("team/**" matches "team", "team/api" and
// "team/api/v2"; "**/cache" matches "cache" and "a/b/cache"). No include
// pattern means everything is included. Exclude wins over include. A
// malformed pattern matches nothing; check patterns with ValidatePattern
// when they are saved.
func MatchRepository(name string, include, exclude []string) bool {
	name = strings.Trim(name, "/")
	for _, p := range exclude {
		if matchPattern(p, name) {
			return false
		}
	}
	if len(include) == 0 {
		return true
	}
	for _, p := range include {
		if matchPattern(p, name) {
			return true
		}
	}
	return false
}

// ValidatePattern returns an error for a pattern that can never match
// because it is malformed, such as an unclosed "[".
func ValidatePattern(pattern string) error {
	if strings.TrimSpace(pattern) == "" {
		return fmt.Errorf("repository pattern is empty")
	}
	for _, seg := range strings.Split(strings.Trim(pattern, "/"), "/") {
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("repository pattern %q: %w", pattern, err)
		}
	}
	return nil
}

func matchPattern(pattern, name string) bool {
	pattern = strings.Trim(strings.TrimSpace(pattern), "/")
	if pattern == "" {
		return false
	}
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

// matchSegments matches pattern segments against name segments, trying
// every split for a "**" segment. Names have a handful of segments, so the
// backtracking stays cheap.
func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegments(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		ok, err := path.Match(pat[0], name[0])
		if err != nil || !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}
