package migrations

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/palisadesec/palisade/migrations/riverschema"
)

var sequencePrefix = regexp.MustCompile(`^\d{6}_`)

// TestRiverMigrationsMatchRiverVersion fails when go.mod's River version
// brings schema changes that the embedded migrations do not have yet.
// Files are matched by name without their number, because a River version
// added later gets the next number in our sequence, not River's own.
func TestRiverMigrationsMatchRiverVersion(t *testing.T) {
	files, err := riverschema.Files()
	if err != nil {
		t.Fatal(err)
	}
	embedded := map[string]string{}
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		embedded[sequencePrefix.ReplaceAllString(e.Name(), "")] = e.Name()
	}
	for _, f := range files {
		t.Run(f.Suffix, func(t *testing.T) {
			name, ok := embedded[f.Suffix]
			if !ok {
				t.Fatalf("no migration ends in %s: River was upgraded; `go run ./migrations/rivergen DIR` writes its versions, add the new ones after our latest migration", f.Suffix)
			}
			got, err := FS.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != f.Body {
				t.Errorf("%s differs from River's own migration; regenerate it", name)
			}
		})
	}
}
