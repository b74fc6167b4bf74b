//go:build e2e

package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/palisadesec/palisade/e2e/harness"
)

// TestScanCommand runs `palisade scan` the way a pipeline would, with no
// database: advisories from the shared Go zip, the image from a registry
// or a docker-save tarball. The scratch image's gjson v1.6.0 is affected
// by GO-2021-0059 (CVE-2020-35380, fixed in 1.6.4), a record without a
// severity, so it counts as "unknown": --fail-on unknown fails (exit 3)
// and --fail-on critical passes (exit 0).
func TestScanCommand(t *testing.T) {
	reg := harness.StartRegistry(t, "", "")
	harness.PushScratchGoBinary(t, reg, "gobin", "v1")
	goZip := harness.OSVZip(t, "Go.zip")

	ref, err := name.ParseReference(reg.Host+"/gobin:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "gobin.tar")
	if err := tarball.WriteToFile(archive, ref, img); err != nil {
		t.Fatal(err)
	}

	out, code := harness.RunPalisade(t, nil, "scan", "--archive", archive, "--db", goZip, "--format", "json", "--fail-on", "unknown")
	if code != 3 {
		t.Errorf("--fail-on unknown exited %d, want 3:\n%s", code, out)
	}
	jsonStart := strings.Index(out, "{")
	var report struct {
		Findings []struct {
			Vulnerability string `json:"vulnerability_id"`
			Fixed         string `json:"fixed_version"`
			Package       struct {
				Name string `json:"name"`
			} `json:"package"`
		} `json:"findings"`
	}
	if jsonStart < 0 || json.Unmarshal([]byte(out[jsonStart:strings.LastIndex(out, "}")+1]), &report) != nil {
		t.Fatalf("no JSON report in the output:\n%s", out)
	}
	found := false
	for _, f := range report.Findings {
		if f.Package.Name == "github.com/tidwall/gjson" && f.Vulnerability == "CVE-2020-35380" && f.Fixed == "1.6.4" {
			found = true
		}
	}
	if !found {
		t.Errorf("the JSON report lacks gjson CVE-2020-35380 fixed in 1.6.4:\n%s", out)
	}

	if out, code := harness.RunPalisade(t, nil, "scan", "--archive", archive, "--db", goZip, "--fail-on", "critical"); code != 0 {
		t.Errorf("--fail-on critical exited %d, want 0 (no record has a severity):\n%s", code, out)
	}

	for _, tc := range []struct{ format, want string }{
		{"sarif", `"version": "2.1.0"`},
		{"cyclonedx", `"specVersion": "1.6"`},
	} {
		out, code := harness.RunPalisade(t, nil, "scan", "--insecure-http", reg.Host+"/gobin:v1", "--db", goZip, "--format", tc.format)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("scan of the registry reference as %s exited %d without %s:\n%.2000s", tc.format, code, tc.want, out)
		}
	}

	if out, code := harness.RunPalisade(t, nil, "scan", "--archive", filepath.Join(t.TempDir(), "missing.tar"), "--db", goZip); code != 1 {
		t.Errorf("scan of a missing archive exited %d, want 1:\n%s", code, out)
	}
}
