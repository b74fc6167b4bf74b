package hostbench

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCatalogMatchesBenchmarkList checks that every control id of sections
// 1 to 8 in the benchmark list (testdata copy of shared/reference) is in
// the catalogue, in the same order, with the same assessment label.
func TestCatalogMatchesBenchmarkList(t *testing.T) {
	f, err := os.Open("testdata/cis-docker-1.6-controls.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wantIDs, wantLabels []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if strings.HasPrefix(cols[0], "C.") {
			continue // community checks, not part of CIS
		}
		wantIDs = append(wantIDs, cols[0])
		wantLabels = append(wantLabels, cols[3])
	}
	var gotIDs, gotLabels []string
	sections17 := 0
	for _, c := range Controls() {
		gotIDs = append(gotIDs, c.ID)
		gotLabels = append(gotLabels, c.Assessment)
		if c.ID[0] >= '1' && c.ID[0] <= '7' {
			sections17++
		}
		if c.Title == "" || c.Remediation == "" || c.Section == "" || c.eval == nil || (c.Level != 1 && c.Level != 2) {
			t.Errorf("control %s is incomplete: %+v", c.ID, c)
		}
	}
	if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
		t.Errorf("control ids (-tsv +catalogue):\n%s", diff)
	}
	if diff := cmp.Diff(wantLabels, gotLabels); diff != "" {
		t.Errorf("assessment labels (-tsv +catalogue):\n%s", diff)
	}
	if sections17 != 117 {
		t.Errorf("sections 1-7 have %d controls, want 117", sections17)
	}
}
