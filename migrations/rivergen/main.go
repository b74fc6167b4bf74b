// Command rivergen writes River's schema migrations as golang-migrate
// files, so River's tables are created by the same migration path as ours.
//
// Run it after upgrading River: go run ./migrations/rivergen migrations/
// and renumber any new River versions after our latest migration; the sync
// test in package migrations fails until that is done.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/palisadesec/palisade/migrations/riverschema"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rivergen MIGRATIONS_DIR")
		os.Exit(2)
	}
	files, err := riverschema.Files()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rivergen:", err)
		os.Exit(1)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(os.Args[1], f.Name), []byte(f.Body), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "rivergen:", err)
			os.Exit(1)
		}
	}
}
