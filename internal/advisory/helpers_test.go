package advisory

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// osvDataDir holds the real OSV snapshots the repository ships (byte for
// byte the shared Go and PyPI zips; see internal/feeds/snapshot/NOTICE.md),
// so the tests need nothing outside the repository.
const osvDataDir = "../feeds/snapshot"

// sharedZip returns the path of a real OSV zip, failing loudly when the
// shared data is missing rather than skipping the test.
func sharedZip(t testing.TB, name string) string {
	t.Helper()

	path := filepath.Join(osvDataDir, name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("real OSV data missing (%v); the shared/ directory must sit beside the repository", err)
	}
	return path
}

// zipRecord parses the record with the given id out of a real OSV zip.
func zipRecord(t testing.TB, zipName, id string) *Record {
	t.Helper()

	zr, err := zip.OpenReader(sharedZip(t, zipName))
	if err != nil {
		t.Fatalf("open %s: %v", zipName, err)
	}
	t.Cleanup(func() { zr.Close() })

	f, err := zr.Open(id + ".json")
	if err != nil {
		t.Fatalf("open %s in %s: %v", id, zipName, err)
	}
	defer f.Close()

	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return mustParse(t, data)
}

// osRecord parses one of the hand-made OS records in testdata/os.
func osRecord(t testing.TB, id string) *Record {
	t.Helper()

	data, err := os.ReadFile(filepath.Join("testdata", "os", id+".json"))
	if err != nil {
		t.Fatalf("read hand-made record: %v", err)
	}
	return mustParse(t, data)
}

func mustParse(t testing.TB, data []byte) *Record {
	t.Helper()

	rec, err := ParseRecord(data)
	if err != nil {
		t.Fatalf("parse record: %v", err)
	}
	if len(rec.Warnings) > 0 {
		t.Fatalf("record %s has warnings: %q", rec.ID, rec.Warnings)
	}
	return rec
}

var (
	fullIndexOnce sync.Once
	fullIndex     *Index
	fullIndexErr  error
)

// sharedIndex returns one index over Go.zip, PyPI.zip and the hand-made OS
// records, built once per test binary. Tests must not modify it.
func sharedIndex(t testing.TB) *Index {
	t.Helper()

	goZip, pypiZip := sharedZip(t, "Go.zip"), sharedZip(t, "PyPI.zip")
	fullIndexOnce.Do(func() {
		ix := NewIndex()
		add := func(e Entry) error { ix.Add(e.Record); return nil }
		for _, p := range []string{goZip, pypiZip} {
			if _, err := ReadZip(p, Limits{}, add); err != nil {
				fullIndexErr = err
				return
			}
		}
		if _, err := ReadDir(filepath.Join("testdata", "os"), Limits{}, add); err != nil {
			fullIndexErr = err
			return
		}
		fullIndex = ix
	})
	if fullIndexErr != nil {
		t.Fatalf("build index: %v", fullIndexErr)
	}
	return fullIndex
}
