package inventory

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"

	scalibrfs "github.com/google/osv-scalibr/fs"
)

// analyser turns layers (and root filesystems) into LayerAnalyses.
type analyser struct {
	x    *extractors
	opts Options
}

func newAnalyser(opts Options) (*analyser, error) {
	x, err := newExtractors(opts.Limits)
	if err != nil {
		return nil, err
	}
	return &analyser{x: x, opts: opts}, nil
}

// layerState accumulates one analysis while its layer is read.
type layerState struct {
	a       *LayerAnalysis
	hidden  map[string]bool
	scratch *scratch
}

func newLayerState(diffID string) *layerState {
	return &layerState{
		a: &LayerAnalysis{
			Format:    AnalysisFormat,
			DiffID:    diffID,
			Files:     map[string]FileAnalysis{},
			OSRelease: map[string]string{},
			Symlinks:  map[string]string{},
		},
		hidden: map[string]bool{},
	}
}

// finish turns the working maps into the analysis' stable, sorted form.
func (st *layerState) finish() *LayerAnalysis {
	a := st.a
	for p := range st.hidden {
		a.Hidden = append(a.Hidden, p)
	}
	slices.Sort(a.Hidden)
	slices.Sort(a.Whiteouts)
	slices.Sort(a.OpaqueDirs)
	return a
}

// explainByDigest looks behind a layer that does not parse: when the blob
// was altered, the true reason is that its bytes do not match its digest,
// which the registry client only notices at the end of the stream. The
// rest is read (within the layer limit) to find out.
func explainByDigest(parseErr error, rest io.Reader) error {
	if !errors.Is(parseErr, ErrCorruptLayer) {
		return parseErr
	}
	if _, err := io.Copy(io.Discard, rest); err != nil && isDigestError(err) {
		return layerReadError(err)
	}
	return parseErr
}

// isDigestError reports go-containerregistry's verification failure.
func isDigestError(err error) bool {
	return strings.Contains(err.Error(), "error verifying") || strings.Contains(err.Error(), "digest mismatch")
}

// analyseTar reads one uncompressed layer stream to its end. It holds no
// more of the layer than a small read buffer: files of interest are copied
// to scratch one at a time, the rest is skipped. wantDiffID, when set, is
// checked against the sha256 of the whole stream.
func (an *analyser) analyseTar(ctx context.Context, r io.Reader, wantDiffID string) (*LayerAnalysis, error) {
	sc, err := newScratch(an.opts.ScratchDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := sc.close(); err != nil {
			an.opts.Logger.Warn("Scratch directory left behind", slog.Any("error", err))
		}
	}()

	st := newLayerState(wantDiffID)
	st.scratch = sc
	// tar reads in 512-byte headers and 8 KiB skips; buffering saves a
	// syscall or a decompressor call for each.
	counter := &limitReader{r: bufio.NewReaderSize(r, 256<<10), max: an.opts.Limits.MaxLayerBytes}
	h := sha256.New()
	tr := tar.NewReader(io.TeeReader(counter, h))

	if err := an.readEntries(ctx, tr, st); err != nil {
		return nil, explainByDigest(err, counter)
	}

	// The tar end marker may come before the end of the stream; the rest
	// must be read too, both for the diffID and because registries verify
	// the compressed digest only when the stream reaches its end.
	if _, err := io.Copy(io.Discard, io.TeeReader(counter, h)); err != nil {
		return nil, layerReadError(err)
	}
	st.a.Bytes = counter.n

	if err := checkDiffID(h, wantDiffID); err != nil {
		return nil, err
	}
	return st.finish(), nil
}

// checkDiffID compares the stream's sha256 with the config's diffID. The
// OCI spec allows other algorithms; no registry uses them, and such a diffID
// is left unchecked.
func checkDiffID(h hash.Hash, want string) error {
	if !strings.HasPrefix(want, "sha256:") {
		return nil
	}
	got := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if got != want {
		return fmt.Errorf("%w: content hashes to %s, config says %s", ErrDiffIDMismatch, got, want)
	}
	return nil
}

func (an *analyser) readEntries(ctx context.Context, tr *tar.Reader, st *layerState) error {
	limits := an.opts.Limits
	for {
		if err := ctx.Err(); err != nil {
			return err
		}

		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		// Names that leave the root are handled below; Next reports them
		// only under GODEBUG=tarinsecurepath=0.
		if err != nil && !(errors.Is(err, tar.ErrInsecurePath) && hdr != nil) {
			return layerReadError(err)
		}

		st.a.Entries++
		if st.a.Entries > limits.MaxEntries {
			return fmt.Errorf("%w: layer has more than %d entries", ErrTooManyEntries, limits.MaxEntries)
		}

		name, ok := an.entryName(st.a, hdr.Name)
		if !ok {
			continue
		}
		if err := an.entry(ctx, st, tr, hdr, name); err != nil {
			return err
		}
	}
}

// entryName confines a tar entry name to the image root. Absolute names are
// made relative, as container runtimes do; names that climb out of the root
// with ".." are skipped, since no runtime would place them anywhere. Both
// count as warnings.
func (an *analyser) entryName(a *LayerAnalysis, raw string) (string, bool) {
	rel := strings.TrimLeft(raw, "/")
	name := path.Clean(rel)

	if name == ".." || strings.HasPrefix(name, "../") {
		a.warn(raw, "entry name leaves the image root; skipped")
		return "", false
	}
	if rel != raw {
		a.warn(raw, "absolute entry name; read as /"+name)
	}
	if name == "." {
		return "", false
	}
	return name, true
}

func (an *analyser) entry(ctx context.Context, st *layerState, tr *tar.Reader, hdr *tar.Header, name string) error {
	dir, base := path.Split(name)
	if strings.HasPrefix(base, ".wh.") {
		an.whiteout(st.a, strings.TrimSuffix(dir, "/"), base)
		return nil
	}

	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse:
		st.replace(name)
		return an.regular(ctx, st, tr, hdr, name)
	case tar.TypeDir, tar.TypeXGlobalHeader:
		return nil
	case tar.TypeSymlink:
		st.replace(name)
		if isOSReleasePath(name) {
			st.a.Symlinks[name] = hdr.Linkname
			return nil
		}
		st.hideIfInteresting(an.x, name)
	case tar.TypeLink:
		st.replace(name)
		an.hardlink(st, hdr, name)
	default:
		st.replace(name)
		st.hideIfInteresting(an.x, name)
	}
	return nil
}

// replace forgets what an earlier entry of the same layer left at name: in
// a tar stream, the last entry for a path wins.
func (st *layerState) replace(name string) {
	delete(st.a.Files, name)
	delete(st.a.OSRelease, name)
	delete(st.a.Symlinks, name)
	delete(st.hidden, name)
}

// notBinary handles an executable no extractor can read, such as a script.
// It still hides a lower layer's binary at its path; a file that is not
// executable (a library's .py sources, which extractors also look at for
// their extension) is not recorded, to keep analyses small.
func (st *layerState) notBinary(name string, info fs.FileInfo) {
	if info.Mode()&0o111 != 0 {
		st.a.Files[name] = FileAnalysis{}
	}
}

// hideIfInteresting records a non-regular entry at a path where a lower
// layer could have a file of interest. The check pretends the entry is a
// small executable, the widest interest any extractor has.
func (st *layerState) hideIfInteresting(x *extractors, name string) {
	if len(x.want(name, stubExecInfo{name: path.Base(name)}).plugins) > 0 {
		st.hidden[name] = true
	}
}

// whiteout records an OCI whiteout: ".wh..wh..opq" makes dir opaque,
// ".wh.<name>" deletes dir/<name> from the layers below. Other ".wh..wh."
// names are AUFS bookkeeping and mean nothing to an image.
func (an *analyser) whiteout(a *LayerAnalysis, dir, base string) {
	if base == ".wh..wh..opq" {
		a.OpaqueDirs = append(a.OpaqueDirs, dir)
		return
	}
	if strings.HasPrefix(base, ".wh..wh.") {
		return
	}

	target := strings.TrimPrefix(base, ".wh.")
	if target == "" || target == "." || target == ".." {
		a.warn(path.Join(dir, base), "invalid whiteout; skipped")
		return
	}
	a.Whiteouts = append(a.Whiteouts, path.Join(dir, target))
}

// hardlink copies what the layer already knows about the link's target,
// which in a layer tar always comes earlier in the same layer. The link is
// never followed on disk: nothing is written for it.
func (an *analyser) hardlink(st *layerState, hdr *tar.Header, name string) {
	target := path.Clean(strings.TrimLeft(hdr.Linkname, "/"))
	if fa, ok := st.a.Files[target]; ok {
		st.a.Files[name] = FileAnalysis{Packages: slices.Clone(fa.Packages)}
		return
	}
	if c, ok := st.a.OSRelease[target]; ok && isOSReleasePath(name) {
		st.a.OSRelease[name] = c
		return
	}
	st.hideIfInteresting(an.x, name)
}

// regular handles one regular file: os-release is kept, files of interest
// are copied to scratch and extracted, everything else is skipped unread.
func (an *analyser) regular(ctx context.Context, st *layerState, tr *tar.Reader, hdr *tar.Header, name string) error {
	if isOSReleasePath(name) {
		return an.osRelease(st.a, tr, hdr.Size, name)
	}

	info := hdr.FileInfo()
	w := an.x.want(name, info)
	if len(w.plugins) == 0 {
		return nil
	}

	src := io.Reader(tr)
	if w.binaryOnly {
		head := make([]byte, min(hdr.Size, headSize))
		if _, err := io.ReadFull(tr, head); err != nil {
			return layerReadError(err)
		}
		if !isBinary(head) {
			st.notBinary(name, info)
			return nil
		}
		src = io.MultiReader(bytes.NewReader(head), tr)
	}

	// Whatever happens next, this file hides a lower one at its path.
	st.a.Files[name] = FileAnalysis{}
	if hdr.Size > w.maxBytes {
		msg, err := w.oversize(name, hdr.Size)
		if err != nil {
			return err
		}
		st.a.warn(name, msg)
		return nil
	}

	sf, err := st.scratch.put(name, src, hdr.Size)
	if err != nil {
		return layerReadError(err)
	}
	defer sf.remove()

	return an.extractInto(ctx, st.a, w, extractInput{
		root: sf.root,
		fsys: quietFS{scalibrfs.DirFS(sf.root)},
		path: name,
		info: info,
		file: sf.file,
	})
}

// extractInto runs the extractors on one file and records what they found.
func (an *analyser) extractInto(ctx context.Context, a *LayerAnalysis, w wanted, in extractInput) error {
	start := time.Now()
	pkgs, warnings, err := an.x.extract(ctx, in, w.plugins)
	if err != nil {
		return err
	}

	a.Files[in.path] = FileAnalysis{Packages: pkgs}
	for _, msg := range warnings {
		a.warn(in.path, msg)
	}
	an.opts.Logger.Debug("File extracted",
		slog.String("path", "/"+in.path),
		slog.Int("packages", len(pkgs)),
		slog.Duration("duration", time.Since(start)))
	return nil
}

// osRelease keeps the content of an os-release file.
func (an *analyser) osRelease(a *LayerAnalysis, r io.Reader, size int64, name string) error {
	if size > maxOSReleaseBytes {
		a.warn(name, fmt.Sprintf("os-release of %d bytes ignored", size))
		return nil
	}

	b, err := io.ReadAll(io.LimitReader(r, size))
	if err != nil {
		return layerReadError(err)
	}
	a.OSRelease[name] = string(b)
	return nil
}

func isOSReleasePath(name string) bool {
	return slices.Contains(osReleasePaths, name)
}

// layerReadError labels errors that mean the layer itself is broken.
// Others, such as a registry's digest check failing or the network going
// away, pass through wrapped, so errors.Is still finds them.
func layerReadError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, ErrLayerTooLarge), errors.Is(err, ErrCorruptLayer):
		return err
	case isDigestError(err):
		return fmt.Errorf("layer content does not match its digest (altered in the registry or in transit): %w", err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, tar.ErrHeader),
		errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum),
		errors.As(err, &corrupt):
		return fmt.Errorf("%w: %w", ErrCorruptLayer, err)
	}
	return fmt.Errorf("read layer: %w", err)
}

// limitReader counts the bytes read and fails once more than max arrive.
type limitReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n > l.max {
		return 0, l.err()
	}
	if room := l.max - l.n + 1; int64(len(p)) > room {
		p = p[:room]
	}

	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return n, l.err()
	}
	return n, err
}

func (l *limitReader) err() error {
	return fmt.Errorf("%w: layer exceeds %d bytes uncompressed", ErrLayerTooLarge, l.max)
}

// stubExecInfo describes an imaginary small executable.
type stubExecInfo struct{ name string }

func (i stubExecInfo) Name() string     { return i.name }
func (stubExecInfo) Size() int64        { return 1 }
func (stubExecInfo) Mode() fs.FileMode  { return 0o755 }
func (stubExecInfo) ModTime() time.Time { return time.Time{} }
func (stubExecInfo) IsDir() bool        { return false }
func (stubExecInfo) Sys() any           { return nil }
