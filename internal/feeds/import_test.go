package feeds_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/feeds"
	"github.com/palisadesec/palisade/internal/store"
)

// The Go and PyPI snapshots the repository ships (the shared data files,
// byte for byte); their record and withdrawn counts below were counted
// with Python's zipfile and json modules, not with this code.
const (
	goZip   = "snapshot/Go.zip"
	pypiZip = "snapshot/PyPI.zip"

	goRecords     = 4291
	goWithdrawn   = 17
	pypiRecords   = 2661
	pypiWithdrawn = 10
)

func newImporter(t *testing.T) (*feeds.Importer, *store.Store) {
	t.Helper()
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	return feeds.NewImporter(st, slog.New(slog.DiscardHandler)), st
}

func statusOf(t *testing.T, st *store.Store) map[string]store.FeedStatus {
	t.Helper()
	list, err := st.FeedStatuses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.FeedStatus{}
	for _, s := range list {
		out[s.Feed] = s
	}
	return out
}

func TestImportSharedSnapshots(t *testing.T) {
	ctx := context.Background()
	im, st := newImporter(t)

	goV, err := im.ImportPath(ctx, goZip)
	if err != nil {
		t.Fatalf("import Go.zip: %v", err)
	}
	if goV.Added != goRecords || goV.Rejected != 0 {
		t.Errorf("Go.zip: added %d rejected %d, want %d and 0", goV.Added, goV.Rejected, goRecords)
	}
	if _, err := im.ImportPath(ctx, pypiZip); err != nil {
		t.Fatalf("import PyPI.zip: %v", err)
	}

	status := statusOf(t, st)
	if got := status["Go"]; got.Advisories != goRecords || got.Withdrawn != goWithdrawn {
		t.Errorf("Go status = %d advisories, %d withdrawn; want %d, %d", got.Advisories, got.Withdrawn, goRecords, goWithdrawn)
	}
	if got := status["PyPI"]; got.Advisories != pypiRecords || got.Withdrawn != pypiWithdrawn {
		t.Errorf("PyPI status = %d advisories, %d withdrawn; want %d, %d", got.Advisories, got.Withdrawn, pypiRecords, pypiWithdrawn)
	}
	if v := status["Go"].LastVersion; v == nil || v.ID != goV.ID || !strings.HasPrefix(v.Digest, "sha256:") {
		t.Errorf("Go feed version = %+v, want id %d with a sha256 digest", v, goV.ID)
	}

	// The same bytes again: nothing to do, and no new feed version.
	if _, err := im.ImportPath(ctx, goZip); !errors.Is(err, feeds.ErrUnchanged) {
		t.Errorf("second import of Go.zip = %v, want ErrUnchanged", err)
	}
	latest, err := st.LatestFeedVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if latest.ID != goV.ID+1 {
		t.Errorf("latest feed version = %d, want %d (the PyPI import)", latest.ID, goV.ID+1)
	}
}

// Hand-made records in the OSV shape, small enough to reason about.
const (
	recA = `{"id":"TEST-2024-0001","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-1111"],"summary":"first","affected":[{"package":{"ecosystem":"PyPI","name":"Demo_Pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"}]}]}]}`
	recB = `{"id":"TEST-2024-0002","modified":"2024-01-01T00:00:00Z","summary":"second","affected":[{"package":{"ecosystem":"PyPI","name":"other"},"versions":["0.1"]}]}`
	// recA2 is recA after the feed changed its summary and fixed version.
	recA2 = `{"id":"TEST-2024-0001","modified":"2024-02-01T00:00:00Z","aliases":["CVE-2024-1111"],"summary":"first, revised","affected":[{"package":{"ecosystem":"PyPI","name":"Demo_Pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.3"}]}]}]}`
	// recB withdrawn by the feed.
	recBWithdrawn = `{"id":"TEST-2024-0002","modified":"2024-03-01T00:00:00Z","withdrawn":"2024-03-01T00:00:00Z","summary":"second","affected":[{"package":{"ecosystem":"PyPI","name":"other"},"versions":["0.1"]}]}`
)

type zipEntry struct{ name, body string }

func writeZip(t *testing.T, entries ...zipEntry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "all.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// liveIDs lists the ids a matcher would load for PyPI.
func liveIDs(t *testing.T, st *store.Store) []string {
	t.Helper()
	var ids []string
	err := st.AdvisoryRecordsFor(context.Background(), []string{"PyPI"}, func(id string, _ []byte) error {
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestIncrementalImport(t *testing.T) {
	ctx := context.Background()
	im, st := newImporter(t)

	v1, err := im.ImportPath(ctx, writeZip(t, zipEntry{"TEST-2024-0001.json", recA}, zipEntry{"TEST-2024-0002.json", recB}))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Added != 2 {
		t.Fatalf("first import added %d, want 2", v1.Added)
	}

	// A changed record replaces the old one; an unchanged one is skipped.
	v2, err := im.ImportPath(ctx, writeZip(t, zipEntry{"TEST-2024-0001.json", recA2}, zipEntry{"TEST-2024-0002.json", recB}))
	if err != nil {
		t.Fatal(err)
	}
	if v2.Changed != 1 || v2.Unchanged != 1 || v2.Added != 0 {
		t.Errorf("second import changed/unchanged/added = %d/%d/%d, want 1/1/0", v2.Changed, v2.Unchanged, v2.Added)
	}
	var summary string
	if err := st.Pool().QueryRow(ctx, `SELECT summary FROM advisories WHERE id = 'TEST-2024-0001'`).Scan(&summary); err != nil {
		t.Fatal(err)
	}
	if summary != "first, revised" {
		t.Errorf("summary = %q, want the revised one", summary)
	}

	// A withdrawn record is kept (the feed still lists it) but stops matching.
	if _, err := im.ImportPath(ctx, writeZip(t, zipEntry{"TEST-2024-0001.json", recA2}, zipEntry{"TEST-2024-0002.json", recBWithdrawn})); err != nil {
		t.Fatal(err)
	}
	if got := liveIDs(t, st); len(got) != 1 || got[0] != "TEST-2024-0001" {
		t.Errorf("matchable ids after withdrawal = %v, want [TEST-2024-0001]", got)
	}

	// A record that vanishes from a full feed is retired.
	v4, err := im.ImportPath(ctx, writeZip(t, zipEntry{"TEST-2024-0002.json", recBWithdrawn}))
	if err != nil {
		t.Fatal(err)
	}
	if v4.Retired != 1 {
		t.Errorf("retired = %d, want 1", v4.Retired)
	}
	if got := liveIDs(t, st); len(got) != 0 {
		t.Errorf("matchable ids after retirement = %v, want none", got)
	}
	if s := statusOf(t, st)["PyPI"]; s.Advisories != 1 || s.Retired != 1 || s.Withdrawn != 1 {
		t.Errorf("PyPI status = %+v, want 1 live (withdrawn) and 1 retired", s)
	}

	// It comes back when the feed publishes it again.
	v5, err := im.ImportPath(ctx, writeZip(t, zipEntry{"TEST-2024-0001.json", recA2}, zipEntry{"TEST-2024-0002.json", recBWithdrawn}))
	if err != nil {
		t.Fatal(err)
	}
	if v5.Changed != 1 {
		t.Errorf("re-published record: changed = %d, want 1", v5.Changed)
	}
	if got := liveIDs(t, st); len(got) != 1 {
		t.Errorf("matchable ids after re-publication = %v, want [TEST-2024-0001]", got)
	}
}

func TestDirectoryImportIsPartial(t *testing.T) {
	ctx := context.Background()
	im, st := newImporter(t)
	if _, err := im.ImportPath(ctx, writeZip(t, zipEntry{"TEST-2024-0001.json", recA}, zipEntry{"TEST-2024-0002.json", recB})); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "TEST-2024-0001.json"), []byte(recA2), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := im.ImportPath(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if v.Changed != 1 || v.Retired != 0 {
		t.Errorf("directory import changed %d retired %d, want 1 and 0", v.Changed, v.Retired)
	}
	if got := liveIDs(t, st); len(got) != 2 {
		t.Errorf("live ids = %v, want both records", got)
	}
}

func TestMalformedEntriesAreCountedAndTheRestImported(t *testing.T) {
	ctx := context.Background()
	im, st := newImporter(t)
	p := writeZip(t,
		zipEntry{"TEST-2024-0001.json", recA},
		zipEntry{"broken.json", `{"id": "X", "affected": [`},
		zipEntry{"noid.json", `{"summary": "no id"}`},
		zipEntry{"../x.json", recB},
		zipEntry{"TEST-2024-0002.json", recB},
	)
	v, err := im.ImportPath(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if v.Added != 2 || v.Rejected != 3 {
		t.Errorf("added %d rejected %d, want 2 and 3", v.Added, v.Rejected)
	}
	reasons := map[string]string{}
	for _, pr := range v.Problems {
		reasons[pr.Entry] = pr.Reason
	}
	for _, entry := range []string{"broken.json", "noid.json", "../x.json"} {
		if reasons[entry] == "" {
			t.Errorf("no problem recorded for %s (problems: %v)", entry, v.Problems)
		}
	}
	if got := liveIDs(t, st); len(got) != 2 {
		t.Errorf("live ids = %v, want the two good records", got)
	}
}

// A record that is stored but unreadable in a later download stays: losing
// it silently would hide a vulnerability.
func TestUnreadableRecordIsNotRetired(t *testing.T) {
	ctx := context.Background()
	im, st := newImporter(t)
	if _, err := im.ImportPath(ctx, writeZip(t, zipEntry{"TEST-2024-0001.json", recA}, zipEntry{"TEST-2024-0002.json", recB})); err != nil {
		t.Fatal(err)
	}
	v, err := im.ImportPath(ctx, writeZip(t, zipEntry{"TEST-2024-0001.json", recA}, zipEntry{"TEST-2024-0002.json", `{"id":`}))
	if err != nil {
		t.Fatal(err)
	}
	if v.Retired != 0 || v.Rejected != 1 {
		t.Errorf("retired %d rejected %d, want 0 and 1", v.Retired, v.Rejected)
	}
	if got := liveIDs(t, st); len(got) != 2 {
		t.Errorf("live ids = %v, want both records", got)
	}
}

func TestBrokenArchiveChangesNothing(t *testing.T) {
	ctx := context.Background()
	im, st := newImporter(t)
	if _, err := im.ImportPath(ctx, writeZip(t, zipEntry{"TEST-2024-0001.json", recA})); err != nil {
		t.Fatal(err)
	}
	before, err := st.LatestFeedVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}

	notZip := filepath.Join(t.TempDir(), "all.zip")
	if err := os.WriteFile(notZip, []byte("this is not a zip archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := im.ImportPath(ctx, notZip); err == nil {
		t.Fatal("importing a non-zip succeeded, want an error")
	}
	after, err := st.LatestFeedVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.ID != before.ID {
		t.Errorf("a failed import left feed version %d behind", after.ID)
	}
	if got := liveIDs(t, st); len(got) != 1 {
		t.Errorf("live ids = %v, want the one record from before", got)
	}
}

// Readers see the old state until an import commits.
func TestImportIsInvisibleUntilCommit(t *testing.T) {
	ctx := context.Background()
	_, st := newImporter(t)
	imp, err := st.BeginAdvisoryImport(ctx, "test", "sha256:00", true)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback(ctx)
	_, err = imp.Put(ctx, &store.Advisory{
		ID: "TEST-1", Feed: "PyPI", ContentHash: "h", Record: []byte(`{"id":"TEST-1"}`), GroupKey: "TEST-1",
		SeverityLevel: "unknown", SeveritySource: "unknown",
		Packages: []store.AdvisoryPackage{{Ecosystem: "PyPI", Name: "x"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := liveIDs(t, st); len(got) != 0 {
		t.Errorf("before commit readers see %v, want nothing", got)
	}
	if _, err := imp.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := liveIDs(t, st); len(got) != 1 {
		t.Errorf("after commit readers see %v, want [TEST-1]", got)
	}
}
