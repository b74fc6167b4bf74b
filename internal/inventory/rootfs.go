package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	scalibrfs "github.com/google/osv-scalibr/fs"
)

// FromRootFS inventories a directory holding a root filesystem (an unpacked
// image, a debootstrap tree) as if it were an image of one layer, index 0.
// Extractors read the files in place; nothing is copied except rpm
// databases, which the rpm extractor opens by path. Every access goes
// through an os.Root on dir, so no symlink is followed out of it, and
// symlinks inside it are not followed by the walk either. Top-level proc
// and sys are skipped, in case dir is a live system.
func FromRootFS(ctx context.Context, dir string, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	start := time.Now()

	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("root filesystem %s: %w", dir, err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("open root filesystem: %w", err)
	}
	defer root.Close()

	an, err := newAnalyser(opts)
	if err != nil {
		return nil, err
	}
	a, err := an.analyseDir(ctx, root, abs)
	if err != nil {
		return nil, fmt.Errorf("root filesystem %s: %w", abs, err)
	}

	res := merge([]*LayerAnalysis{a}, []string{""})
	res.Layers = []Layer{{Index: 0}}
	opts.Logger.Debug("Root filesystem inventoried",
		slog.String("dir", abs),
		slog.Int("packages", len(res.Packages)),
		slog.Duration("duration", time.Since(start)))
	return res, nil
}

// analyseDir walks root without following symlinks and extracts from the
// files of interest in place.
func (an *analyser) analyseDir(ctx context.Context, root *os.Root, abs string) (*LayerAnalysis, error) {
	rootFS, ok := root.FS().(scalibrfs.FS)
	if !ok {
		return nil, errors.New("os.Root filesystem lacks ReadDir or Stat")
	}
	dir := rootDir{root: root, fsys: quietFS{rootFS}, abs: abs}

	sc, err := newScratch(an.opts.ScratchDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := sc.close(); err != nil {
			an.opts.Logger.Warn("Scratch directory left behind", slog.Any("error", err))
		}
	}()

	st := newLayerState("")
	st.scratch = sc
	walk := func(name string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			// An unreadable directory costs its contents, not the scan.
			st.a.warn(name, err.Error())
			return nil
		}

		st.a.Entries++
		if st.a.Entries > an.opts.Limits.MaxEntries {
			return fmt.Errorf("%w: more than %d files and directories", ErrTooManyEntries, an.opts.Limits.MaxEntries)
		}
		if d.IsDir() {
			if name == "proc" || name == "sys" {
				return fs.SkipDir
			}
			return nil
		}
		return an.dirEntry(ctx, st, dir, name, d)
	}

	if err := fs.WalkDir(rootFS, ".", walk); err != nil {
		return nil, err
	}
	return st.finish(), nil
}

// rootDir is the root filesystem being walked.
type rootDir struct {
	root *os.Root
	fsys scalibrfs.FS // what extractors see: root, plus quietFS's stub
	abs  string
}

func (an *analyser) dirEntry(ctx context.Context, st *layerState, dir rootDir, name string, d fs.DirEntry) error {
	if d.Type()&fs.ModeSymlink != 0 {
		if isOSReleasePath(name) {
			target, err := dir.root.Readlink(name)
			if err != nil {
				st.a.warn(name, err.Error())
				return nil
			}
			st.a.Symlinks[name] = target
		}
		return nil
	}
	if !d.Type().IsRegular() {
		return nil
	}

	info, err := d.Info()
	if err != nil {
		st.a.warn(name, err.Error())
		return nil
	}
	if isOSReleasePath(name) {
		return an.osReleaseFile(st.a, dir.root, name, info.Size())
	}

	w := an.x.want(name, info)
	if len(w.plugins) == 0 {
		return nil
	}

	f, err := dir.root.Open(name)
	if err != nil {
		st.a.warn(name, err.Error())
		return nil
	}
	defer f.Close()

	if w.binaryOnly {
		head := make([]byte, headSize)
		n, _ := f.ReadAt(head, 0)
		if !isBinary(head[:n]) {
			return nil
		}
	}
	if info.Size() > w.maxBytes {
		msg, err := w.oversize(name, info.Size())
		if err != nil {
			return err
		}
		st.a.warn(name, msg)
		return nil
	}

	if w.realPath {
		// Hand path-opening extractors a private copy, never a path
		// inside dir that the kernel would resolve through symlinks.
		sf, err := st.scratch.put(name, io.LimitReader(f, info.Size()), info.Size())
		if err != nil {
			st.a.warn(name, err.Error())
			return nil
		}
		defer sf.remove()
		return an.extractInto(ctx, st.a, w, extractInput{
			root: sf.root, fsys: quietFS{scalibrfs.DirFS(sf.root)}, path: name, info: info, file: sf.file,
		})
	}
	return an.extractInto(ctx, st.a, w, extractInput{root: dir.abs, fsys: dir.fsys, path: name, info: info, file: f})
}

func (an *analyser) osReleaseFile(a *LayerAnalysis, root *os.Root, name string, size int64) error {
	f, err := root.Open(name)
	if err != nil {
		a.warn(name, err.Error())
		return nil
	}
	defer f.Close()

	if err := an.osRelease(a, f, size, name); err != nil {
		a.warn(name, err.Error())
	}
	return nil
}
