package advisory

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Default limits, used where a Limits field is zero.
const (
	DefaultMaxRecordBytes = 10 << 20 // 10 MiB; the largest real records are a few hundred KiB
	DefaultMaxTotalBytes  = 4 << 30  // 4 GiB of uncompressed JSON per source
	DefaultMaxProblems    = 100
)

// ErrTotalTooLarge is returned (wrapped) when a source holds more
// uncompressed bytes than Limits.MaxTotalBytes allows; reading stops there.
var ErrTotalTooLarge = errors.New("source exceeds the total size limit")

// Limits bounds what a reader accepts. The zero value means the defaults.
type Limits struct {
	// MaxRecordBytes refuses any single record larger than this, before
	// decoding it.
	MaxRecordBytes int64
	// MaxTotalBytes stops the whole read once this many uncompressed bytes
	// would have been read.
	MaxTotalBytes int64
	// MaxProblems caps Stats.Problems; later problems are only counted.
	MaxProblems int
}

func (l Limits) withDefaults() Limits {
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if l.MaxProblems <= 0 {
		l.MaxProblems = DefaultMaxProblems
	}
	return l
}

// Entry is one record read from a source.
type Entry struct {
	Name   string // path inside the zip or relative to the directory, with "/"
	Raw    []byte
	Record *Record
	// SHA256 is the hex SHA-256 of Raw, so an importer can skip records
	// whose bytes did not change.
	SHA256 string
}

// ProblemKind says what happened to an entry that has a Problem.
type ProblemKind string

// Problem kinds.
const (
	// ProblemSkipped: the entry was not looked at (unsafe or non-JSON name).
	ProblemSkipped ProblemKind = "skipped"
	// ProblemRejected: the entry was read but refused (too large, broken
	// JSON, missing id).
	ProblemRejected ProblemKind = "rejected"
	// ProblemWarning: the record was handed on, with parts ignored.
	ProblemWarning ProblemKind = "warning"
)

// Problem describes one entry that was skipped, rejected or accepted with
// warnings.
type Problem struct {
	Entry  string
	Kind   ProblemKind
	Reason string
}

// Stats counts what a reader did.
type Stats struct {
	Read     int   // records handed to the callback
	Skipped  int   // entries skipped by name or file type
	Rejected int   // entries refused for their content
	Warned   int   // records handed on with warnings (also counted in Read)
	Bytes    int64 // uncompressed bytes read

	Problems        []Problem // the first Limits.MaxProblems problems
	ProblemsDropped int       // problems past the cap
}

func (s *Stats) problem(lim Limits, name string, kind ProblemKind, reason string) {
	switch kind {
	case ProblemSkipped:
		s.Skipped++
	case ProblemRejected:
		s.Rejected++
	case ProblemWarning:
		s.Warned++
	}

	if len(s.Problems) >= lim.MaxProblems {
		s.ProblemsDropped++
		return
	}
	s.Problems = append(s.Problems, Problem{Entry: name, Kind: kind, Reason: reason})
}

// ReadZip streams the records of the zip file at path to fn, in archive
// order. See ReadZipFrom.
func ReadZip(path string, lim Limits, fn func(Entry) error) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, fmt.Errorf("open zip: %w", err)
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		return Stats{}, fmt.Errorf("stat zip: %w", err)
	}
	return ReadZipFrom(f, info.Size(), lim, fn)
}

// ReadZipFrom streams the records of a zip shaped like the public OSV
// bucket's per-ecosystem all.zip (one JSON record per entry) to fn.
//
// Entries whose name is absolute, contains a ".." element or a backslash, or
// does not end in ".json" are skipped. An entry whose header declares more
// than Limits.MaxRecordBytes is rejected without being decompressed; the
// bytes actually read are capped as well, so an entry whose header lies
// about its size is rejected after at most one byte past the limit (the zip
// reader itself also refuses data longer than the header says). Entries that
// are not valid records are rejected. Each skip, reject and warning is
// counted in Stats with a reason, and reading goes on. Reading stops with an
// error when fn returns one (wrapped, so errors.Is sees it), when the source
// passes Limits.MaxTotalBytes (ErrTotalTooLarge), or when the archive itself
// cannot be read.
func ReadZipFrom(r io.ReaderAt, size int64, lim Limits, fn func(Entry) error) (Stats, error) {
	lim = lim.withDefaults()

	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// ErrInsecurePath only flags names; those entries are skipped below.
		return Stats{}, fmt.Errorf("read zip: %w", err)
	}

	var st Stats
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if reason := checkName(f.Name); reason != "" {
			st.problem(lim, f.Name, ProblemSkipped, reason)
			continue
		}
		if f.UncompressedSize64 > uint64(lim.MaxRecordBytes) {
			st.problem(lim, f.Name, ProblemRejected, fmt.Sprintf(
				"record too large: header says %d bytes, limit %d", f.UncompressedSize64, lim.MaxRecordBytes))
			continue
		}
		if st.Bytes+int64(f.UncompressedSize64) > lim.MaxTotalBytes {
			return st, totalError(lim)
		}

		data, reason := readZipFile(f, lim.MaxRecordBytes)
		st.Bytes += int64(len(data))
		if st.Bytes > lim.MaxTotalBytes {
			return st, totalError(lim)
		}
		if reason != "" {
			st.problem(lim, f.Name, ProblemRejected, reason)
			continue
		}

		if err := handle(&st, lim, f.Name, data, fn); err != nil {
			return st, err
		}
	}
	return st, nil
}

// readZipFile returns the entry's bytes, or a reason to reject it.
func readZipFile(f *zip.File, max int64) ([]byte, string) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Sprintf("open entry: %v", err)
	}
	defer rc.Close()

	return readCapped(rc, max)
}

// readCapped reads at most max+1 bytes, enough to tell that a record is too
// large without ever holding more than that in memory.
func readCapped(r io.Reader, max int64) ([]byte, string) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	switch {
	case err != nil:
		return data, fmt.Sprintf("read entry: %v", err)
	case int64(len(data)) > max:
		return data, fmt.Sprintf("record too large: more than %d bytes", max)
	}
	return data, ""
}

// ReadDir streams the records of every .json file under root to fn, walking
// the tree in lexical order. Entry names are relative to root. Hidden
// directories (such as .git) are not entered; symbolic links and other
// non-regular files are skipped, never followed. Size limits, rejections,
// warnings and stopping work as in ReadZipFrom.
func ReadDir(root string, lim Limits, fn func(Entry) error) (Stats, error) {
	lim = lim.withDefaults()

	var st Stats
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			st.problem(lim, relName(root, path), ProblemRejected, fmt.Sprintf("walk: %v", err))
			return nil
		}

		name := relName(root, path)
		switch {
		case d.IsDir():
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		case !d.Type().IsRegular():
			st.problem(lim, name, ProblemSkipped, "not a regular file")
			return nil
		case !strings.HasSuffix(name, ".json"):
			st.problem(lim, name, ProblemSkipped, "not a .json file")
			return nil
		}

		return readDirFile(&st, lim, path, name, fn)
	})
	if err != nil {
		return st, fmt.Errorf("read dir %s: %w", root, err)
	}
	return st, nil
}

func readDirFile(st *Stats, lim Limits, path, name string, fn func(Entry) error) error {
	f, err := os.Open(path)
	if err != nil {
		st.problem(lim, name, ProblemRejected, fmt.Sprintf("open: %v", err))
		return nil
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		st.problem(lim, name, ProblemRejected, fmt.Sprintf("stat: %v", err))
		return nil
	}
	if info.Size() > lim.MaxRecordBytes {
		st.problem(lim, name, ProblemRejected,
			fmt.Sprintf("record too large: %d bytes, limit %d", info.Size(), lim.MaxRecordBytes))
		return nil
	}
	if st.Bytes+info.Size() > lim.MaxTotalBytes {
		return totalError(lim)
	}

	// The file may grow between Stat and read, so the read is capped too.
	data, reason := readCapped(f, lim.MaxRecordBytes)
	st.Bytes += int64(len(data))
	if reason != "" {
		st.problem(lim, name, ProblemRejected, reason)
		return nil
	}
	return handle(st, lim, name, data, fn)
}

// handle parses one record's bytes and hands the entry to fn.
func handle(st *Stats, lim Limits, name string, data []byte, fn func(Entry) error) error {
	rec, err := ParseRecord(data)
	if err != nil {
		st.problem(lim, name, ProblemRejected, err.Error())
		return nil
	}
	if len(rec.Warnings) > 0 {
		st.problem(lim, name, ProblemWarning, strings.Join(rec.Warnings, "; "))
	}

	sum := sha256.Sum256(data)
	e := Entry{Name: name, Raw: data, Record: rec, SHA256: hex.EncodeToString(sum[:])}

	st.Read++
	if err := fn(e); err != nil {
		return fmt.Errorf("handle %s: %w", name, err)
	}
	return nil
}

// checkName returns why a zip entry name is skipped, or "" to read it.
func checkName(name string) string {
	switch {
	case name == "", strings.ContainsAny(name, "\\\x00"), strings.HasPrefix(name, "/"),
		len(name) >= 2 && name[1] == ':':
		return "unsafe path"
	case strings.HasPrefix(name, "../") || strings.Contains(name, "/../") ||
		strings.HasSuffix(name, "/..") || name == "..":
		return "unsafe path"
	case !strings.HasSuffix(name, ".json"):
		return "not a .json file"
	}
	return ""
}

func relName(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

func totalError(lim Limits) error {
	return fmt.Errorf("%w (%d bytes)", ErrTotalTooLarge, lim.MaxTotalBytes)
}
