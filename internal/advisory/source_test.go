package advisory

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestReadZipRealFeeds(t *testing.T) {
	tests := []struct {
		name     string
		zip      string
		wantRead int // from `unzip -l <zip> | tail -1`
	}{
		{"go database", "Go.zip", 4291},
		{"pypi database", "PyPI.zip", 2661},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hashes := make(map[string]string)
			stats, err := ReadZip(sharedZip(t, tt.zip), Limits{}, func(e Entry) error {
				hashes[e.Name] = e.SHA256
				return nil
			})
			if err != nil {
				t.Fatalf("ReadZip() error = %v", err)
			}

			if stats.Read != tt.wantRead || stats.Rejected != 0 || stats.Skipped != 0 || stats.Warned != 0 {
				t.Errorf("Stats = read %d rejected %d skipped %d warned %d, want read %d and no problems (%v)",
					stats.Read, stats.Rejected, stats.Skipped, stats.Warned, tt.wantRead, stats.Problems)
			}
			if len(hashes) != tt.wantRead {
				t.Errorf("callback saw %d distinct entries, want %d", len(hashes), tt.wantRead)
			}

			// From `unzip -p Go.zip GO-2020-0001.json | sha256sum`.
			const want = "0a7bc4012baa2318055f1df0fa014b2cc0b97d6f178579d85b2057e526308067"
			if got, ok := hashes["GO-2020-0001.json"]; tt.zip == "Go.zip" && (!ok || got != want) {
				t.Errorf("SHA256 of GO-2020-0001.json = %q, want %q", got, want)
			}
		})
	}
}

// zipEntry is one entry of a zip built for a test.
type zipEntry struct {
	name string
	data []byte // written as given
	// zeros, when set, writes that many zero bytes instead of data, streamed
	// so that a 200 MB entry never sits in memory.
	zeros int64
	// claim, when set, makes the header lie: it says the entry holds claim
	// bytes while the compressed data holds the real content.
	claim uint64
}

// writeZip builds a zip file in a temporary directory and returns its path.
func writeZip(t *testing.T, entries []zipEntry) string {
	t.Helper()

	path := filepath.Join(t.TempDir(), "all.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("create zip: %v", err)
	}
	defer f.Close()

	zw := zip.NewWriter(f)
	for _, e := range entries {
		if e.claim != 0 {
			writeLyingEntry(t, zw, e)
			continue
		}

		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatalf("create entry %s: %v", e.name, err)
		}
		if e.zeros > 0 {
			_, err = io.CopyN(w, zeroReader{}, e.zeros)
		} else {
			_, err = w.Write(e.data)
		}
		if err != nil {
			t.Fatalf("write entry %s: %v", e.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("close zip: %v", err)
	}
	return path
}

// writeLyingEntry compresses the real content itself and writes it with
// CreateRaw under a header that claims e.claim uncompressed bytes.
func writeLyingEntry(t *testing.T, zw *zip.Writer, e zipEntry) {
	t.Helper()

	var compressed bytes.Buffer
	fw, err := flate.NewWriter(&compressed, flate.BestSpeed)
	if err != nil {
		t.Fatalf("flate writer: %v", err)
	}
	crc := crc32.NewIEEE()
	if _, err := io.CopyN(io.MultiWriter(fw, crc), zeroReader{}, e.zeros); err != nil {
		t.Fatalf("compress %s: %v", e.name, err)
	}
	if err := fw.Close(); err != nil {
		t.Fatalf("close flate: %v", err)
	}

	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               e.name,
		Method:             zip.Deflate,
		CRC32:              crc.Sum32(),
		CompressedSize64:   uint64(compressed.Len()),
		UncompressedSize64: e.claim,
	})
	if err != nil {
		t.Fatalf("create raw entry %s: %v", e.name, err)
	}
	if _, err := w.Write(compressed.Bytes()); err != nil {
		t.Fatalf("write raw entry %s: %v", e.name, err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// goodRecord is a small valid record in the Go database's shape.
func goodRecord(id string) []byte {
	return []byte(`{"id": "` + id + `", "modified": "0001-01-01T00:00:00Z", "affected": [{` +
		`"package": {"ecosystem": "Go", "name": "example.com/m"}, "ranges": [{"type": "SEMVER",` +
		` "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}]}]}`)
}

func TestReadZipMalformed(t *testing.T) {
	// A 50 MB record that is valid JSON, so only its size rejects it.
	huge := []byte(`{"id": "HUGE-1", "details": "` + strings.Repeat("A", 50<<20) + `"}`)

	path := writeZip(t, []zipEntry{
		{name: "GO-1.json", data: goodRecord("GO-1")},
		{name: "broken.json", data: []byte(`{"id": "BROKEN-1", "affected": [`)},
		{name: "noid.json", data: []byte(`{"summary": "an advisory without an id"}`)},
		{name: "FOO-1.json", data: []byte(`{"id": "FOO-1", "affected": [{` +
			`"package": {"ecosystem": "Go", "name": "m"},` +
			` "ranges": [{"type": "FOO", "events": [{"introduced": "0"}]}]}]}`)},
		{name: "huge.json", data: huge},
		{name: "bomb.json", zeros: 200 << 20},
		{name: "liar.json", zeros: 200 << 20, claim: 100},
		{name: "../x.json", data: goodRecord("ESCAPE-1")},
		{name: "/abs.json", data: goodRecord("ABS-1")},
		{name: "notes.txt", data: []byte("not a record")},
		{name: "GO-2.json", data: goodRecord("GO-2")},
	})

	var names []string
	stats, err := ReadZip(path, Limits{}, func(e Entry) error {
		names = append(names, e.Name)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadZip() error = %v", err)
	}

	if diff := cmp.Diff([]string{"GO-1.json", "FOO-1.json", "GO-2.json"}, names); diff != "" {
		t.Errorf("entries handed on mismatch (-want +got):\n%s", diff)
	}
	wantCounts := Stats{Read: 3, Skipped: 3, Rejected: 5, Warned: 1}
	gotCounts := Stats{Read: stats.Read, Skipped: stats.Skipped, Rejected: stats.Rejected, Warned: stats.Warned}
	if diff := cmp.Diff(wantCounts, gotCounts); diff != "" {
		t.Errorf("counts mismatch (-want +got):\n%s", diff)
	}

	// huge.json: 29 bytes of JSON before the 50 MiB of "A" and 2 after.
	wantProblems := []Problem{
		{"broken.json", ProblemRejected, "decode json: unexpected EOF"},
		{"noid.json", ProblemRejected, "missing id"},
		{"FOO-1.json", ProblemWarning, `affected[0].ranges[0]: unknown range type "FOO"; range ignored`},
		{"huge.json", ProblemRejected, "record too large: header says 52428831 bytes, limit 10485760"},
		{"bomb.json", ProblemRejected, "record too large: header says 209715200 bytes, limit 10485760"},
		// The header says 100 bytes; the zip reader refuses the 101st.
		{"liar.json", ProblemRejected, "read entry: zip: not a valid zip file"},
		{"../x.json", ProblemSkipped, "unsafe path"},
		{"/abs.json", ProblemSkipped, "unsafe path"},
		{"notes.txt", ProblemSkipped, "not a .json file"},
	}
	if diff := cmp.Diff(wantProblems, stats.Problems); diff != "" {
		t.Errorf("Problems mismatch (-want +got):\n%s", diff)
	}
	// Only the small entries were decompressed: nothing near 50 or 200 MB.
	if stats.Bytes > 1<<20 {
		t.Errorf("Bytes = %d, want the oversized entries left unread", stats.Bytes)
	}
}

func TestReadZipStops(t *testing.T) {
	errStop := errors.New("stop here")
	one := int64(len(goodRecord("GO-1")))

	tests := []struct {
		name     string
		lim      Limits
		fnErrAt  int // 1-based entry at which the callback fails; 0 never
		wantErr  error
		wantRead int
	}{
		{"all read", Limits{}, 0, nil, 3},
		{"callback error stops and is wrapped", Limits{}, 2, errStop, 2},
		{"total limit stops before the third record", Limits{MaxTotalBytes: 2*one + 1}, 0, ErrTotalTooLarge, 2},
	}

	path := writeZip(t, []zipEntry{
		{name: "GO-1.json", data: goodRecord("GO-1")},
		{name: "GO-2.json", data: goodRecord("GO-2")},
		{name: "GO-3.json", data: goodRecord("GO-3")},
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			stats, err := ReadZip(path, tt.lim, func(Entry) error {
				calls++
				if calls == tt.fnErrAt {
					return errStop
				}
				return nil
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadZip() error = %v, want %v", err, tt.wantErr)
			}
			if stats.Read != tt.wantRead {
				t.Errorf("Read = %d, want %d", stats.Read, tt.wantRead)
			}
		})
	}
}

func TestReadZipFromProblemCap(t *testing.T) {
	data, err := os.ReadFile(writeZip(t, []zipEntry{
		{name: "a.txt", data: []byte("x")},
		{name: "b.txt", data: []byte("x")},
		{name: "c.txt", data: []byte("x")},
		{name: "GO-1.json", data: goodRecord("GO-1")},
	}))
	if err != nil {
		t.Fatalf("read zip: %v", err)
	}

	noop := func(Entry) error { return nil }
	stats, err := ReadZipFrom(bytes.NewReader(data), int64(len(data)), Limits{MaxProblems: 2}, noop)
	if err != nil {
		t.Fatalf("ReadZipFrom() error = %v", err)
	}
	if stats.Read != 1 || stats.Skipped != 3 || len(stats.Problems) != 2 || stats.ProblemsDropped != 1 {
		t.Errorf("Stats = read %d skipped %d problems %d dropped %d, want 1, 3, 2, 1",
			stats.Read, stats.Skipped, len(stats.Problems), stats.ProblemsDropped)
	}
}

func TestReadDir(t *testing.T) {
	root := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("mkdir: %v", err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
	}

	write("2020/GO-1.json", goodRecord("GO-1"))
	write("2020/broken.json", []byte(`{"id": `))
	write("2021/big.json", []byte(`{"id": "BIG-1", "details": "`+strings.Repeat("B", 5000)+`"}`))
	write("2021/GO-2.json", goodRecord("GO-2"))
	write("README.md", []byte("# records"))
	write(".git/objects/x.json", goodRecord("HIDDEN-1"))
	target := filepath.Join(root, "2020", "GO-1.json")
	if err := os.Symlink(target, filepath.Join(root, "link.json")); err != nil {
		t.Fatalf("symlink: %v", err)
	}

	var names []string
	stats, err := ReadDir(root, Limits{MaxRecordBytes: 4096}, func(e Entry) error {
		names = append(names, e.Name)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadDir() error = %v", err)
	}

	if diff := cmp.Diff([]string{"2020/GO-1.json", "2021/GO-2.json"}, names); diff != "" {
		t.Errorf("entries handed on mismatch (-want +got):\n%s", diff)
	}
	// big.json: 28 bytes of JSON before the 5000 "B" and 2 after.
	wantProblems := []Problem{
		{"2020/broken.json", ProblemRejected, "decode json: unexpected EOF"},
		{"2021/big.json", ProblemRejected, "record too large: 5030 bytes, limit 4096"},
		{"README.md", ProblemSkipped, "not a .json file"},
		{"link.json", ProblemSkipped, "not a regular file"},
	}
	if diff := cmp.Diff(wantProblems, stats.Problems, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Problems mismatch (-want +got):\n%s", diff)
	}
}

func TestReadDirHandMadeRecords(t *testing.T) {
	stats, err := ReadDir(filepath.Join("testdata", "os"), Limits{}, func(Entry) error { return nil })
	if err != nil {
		t.Fatalf("ReadDir() error = %v", err)
	}
	if stats.Read != 8 || len(stats.Problems) != 0 {
		t.Errorf("Stats = read %d problems %v, want 8 records and none", stats.Read, stats.Problems)
	}
}

func TestReadCapped(t *testing.T) {
	tests := []struct {
		name       string
		r          io.Reader
		max        int64
		wantLen    int
		wantReason string
	}{
		{"fits", strings.NewReader("12345"), 5, 5, ""},
		{"one byte over", strings.NewReader("123456"), 5, 6, "record too large: more than 5 bytes"},
		// An endless stream stands for a decompressor whose header lied:
		// reading stops one byte past the limit.
		{"endless", zeroReader{}, 1000, 1001, "record too large: more than 1000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, reason := readCapped(tt.r, tt.max)
			if len(data) != tt.wantLen || reason != tt.wantReason {
				t.Errorf("readCapped() = %d bytes, %q; want %d, %q",
					len(data), reason, tt.wantLen, tt.wantReason)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name  string
		entry string
		want  string
	}{
		{"plain", "GO-2020-0001.json", ""},
		{"in a folder", "osv/GO-2020-0001.json", ""},
		{"dot dot in front", "../x.json", "unsafe path"},
		{"dot dot inside", "a/../../x.json", "unsafe path"},
		{"dot dot alone", "..", "unsafe path"},
		{"double dot in a name is fine", "a..b.json", ""},
		{"absolute", "/etc/x.json", "unsafe path"},
		{"backslash", `a\x.json`, "unsafe path"},
		{"drive letter", "C:x.json", "unsafe path"},
		{"not json", "README.md", "not a .json file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkName(tt.entry); got != tt.want {
				t.Errorf("checkName(%q) = %q, want %q", tt.entry, got, tt.want)
			}
		})
	}
}
