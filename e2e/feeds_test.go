//go:build e2e

package e2e

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/palisadesec/palisade/e2e/harness"
)

// TestFeedsImportAndStatus imports the shared Go and PyPI snapshots with the
// built binary, as an offline site would. The record counts (4,291 and
// 2,661, of which 17 and 10 withdrawn) were counted with Python's zipfile.
func TestFeedsImportAndStatus(t *testing.T) {
	pg := harness.StartPostgres(t)
	env := harness.BaseEnv(t, pg.URL)
	goZip, pypiZip := harness.OSVZip(t, "Go.zip"), harness.OSVZip(t, "PyPI.zip")

	out, code := harness.RunPalisade(t, env, "feeds", "import", goZip, pypiZip)
	if code != 0 {
		t.Fatalf("feeds import exited %d:\n%s", code, out)
	}
	out, code = harness.RunPalisade(t, env, "feeds", "status")
	if code != 0 {
		t.Fatalf("feeds status exited %d:\n%s", code, out)
	}
	for _, row := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^Go\s+4291\s+17\s+0\s+\d+\s+\S+ \S+\s+sha256:[0-9a-f]{12}\s+file:\S+Go\.zip$`),
		regexp.MustCompile(`(?m)^PyPI\s+2661\s+10\s+0\s+\d+\s+\S+ \S+\s+sha256:[0-9a-f]{12}\s+file:\S+PyPI\.zip$`),
	} {
		if !row.MatchString(out) {
			t.Errorf("feeds status lacks a row matching %s:\n%s", row, out)
		}
	}

	out, code = harness.RunPalisade(t, env, "feeds", "import", goZip, pypiZip)
	if code != 0 {
		t.Fatalf("second feeds import exited %d:\n%s", code, out)
	}
	if n := len(regexp.MustCompile(`unchanged since the last import`).FindAllString(out, -1)); n != 2 {
		t.Errorf("second import: %d sources reported unchanged, want 2:\n%s", n, out)
	}

	out, code = harness.RunPalisade(t, env, "feeds", "import", filepath.Join(t.TempDir(), "missing.zip"))
	if code == 0 {
		t.Errorf("importing a missing file exited 0:\n%s", out)
	}
}
