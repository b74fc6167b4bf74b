package inventory

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	scalibrfs "github.com/google/osv-scalibr/fs"
)

// scratch is the private directory files of interest are copied into while
// one layer is read. Every file gets a fresh numbered subdirectory, used as
// the extractors' root, so two files never collide and each is removed, with
// its directory, as soon as the extractors are done with it. All writes go
// through an os.Root, and only ever create directories and regular files at
// paths built here from cleaned names, so nothing can land outside.
type scratch struct {
	dir  string // absolute
	root *os.Root
	seq  int
}

func newScratch(parent string) (*scratch, error) {
	dir, err := os.MkdirTemp(parent, "palisade-inventory-*")
	if err != nil {
		return nil, fmt.Errorf("create scratch directory: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("create scratch directory: %w", err)
	}

	root, err := os.OpenRoot(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("open scratch directory: %w", err)
	}
	return &scratch{dir: dir, root: root}, nil
}

// close removes the scratch directory and everything left in it.
func (s *scratch) close() error {
	s.root.Close()
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("remove scratch directory: %w", err)
	}
	return nil
}

// scratchFile is one file copied into scratch, open for reading.
type scratchFile struct {
	s    *scratch
	sub  string // numbered subdirectory, relative to s.dir
	root string // absolute path of the subdirectory
	file *os.File
}

// put copies exactly size bytes of r to name (a clean relative path) in a
// fresh subdirectory. A short read means a truncated layer.
func (s *scratch) put(name string, r io.Reader, size int64) (*scratchFile, error) {
	s.seq++
	sub := strconv.Itoa(s.seq)
	rel := path.Join(sub, name)

	if err := s.root.MkdirAll(path.Dir(rel), 0o700); err != nil {
		return nil, fmt.Errorf("copy /%s to scratch: %w", name, err)
	}
	sf := &scratchFile{s: s, sub: sub, root: filepath.Join(s.dir, sub)}

	f, err := s.root.OpenFile(rel, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		sf.remove()
		return nil, fmt.Errorf("copy /%s to scratch: %w", name, err)
	}
	sf.file = f

	if _, err := io.CopyN(f, r, size); err != nil {
		sf.remove()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("copy /%s to scratch: %w", name, err)
	}
	return sf, nil
}

// remove closes the file and deletes its subdirectory.
func (sf *scratchFile) remove() {
	if sf.file != nil {
		sf.file.Close()
	}
	sf.s.root.RemoveAll(sf.sub)
}

// quietFS is the filesystem extractors see. It adds an empty etc/os-release
// over the real one: the dpkg, apk and rpm extractors read os-release next
// to every database they parse and log an error through osv-scalibr's global
// logger when it is missing (always, in scratch). The real os-release is
// applied after the layers are merged.
type quietFS struct {
	scalibrfs.FS
}

func (q quietFS) Open(name string) (fs.File, error) {
	if name == "etc/os-release" {
		return emptyFile{name: "os-release"}, nil
	}
	return q.FS.Open(name)
}

func (q quietFS) Stat(name string) (fs.FileInfo, error) {
	switch name {
	case "etc":
		return stubInfo{name: "etc", dir: true}, nil
	case "etc/os-release":
		return stubInfo{name: "os-release"}, nil
	}
	return q.FS.Stat(name)
}

type emptyFile struct{ name string }

func (f emptyFile) Stat() (fs.FileInfo, error) { return stubInfo{name: f.name}, nil }
func (emptyFile) Read([]byte) (int, error)     { return 0, io.EOF }
func (emptyFile) Close() error                 { return nil }

type stubInfo struct {
	name string
	dir  bool
}

func (i stubInfo) Name() string { return i.name }
func (stubInfo) Size() int64    { return 0 }
func (i stubInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (stubInfo) ModTime() time.Time { return time.Time{} }
func (i stubInfo) IsDir() bool      { return i.dir }
func (stubInfo) Sys() any           { return nil }
