package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/spf13/cobra"

	"github.com/palisadesec/palisade/internal/advisory"
	"github.com/palisadesec/palisade/internal/buildinfo"
	"github.com/palisadesec/palisade/internal/config"
	"github.com/palisadesec/palisade/internal/export"
	"github.com/palisadesec/palisade/internal/inventory"
	"github.com/palisadesec/palisade/internal/scan"
	"github.com/palisadesec/palisade/internal/store"
)

// ExitError carries a process exit status other than 1.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// exitPolicy is the status when --fail-on finds findings at or above the
// threshold, told apart from 1 (the scan itself failed).
const exitPolicy = 3

type scanFlags struct {
	archive, ociDir, rootfs, format, output, failOn string
	dbPaths                                         []string
	insecure                                        bool
}

func newScanCommand() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [IMAGE] [flags]",
		Short: "Scan one image, image archive, OCI layout or root filesystem (for CI pipelines)",
		Long: `Scan one image and print its vulnerabilities. The image is a registry
reference (credentials from ~/.docker/config.json), a docker save or OCI
tarball (--archive), an OCI layout directory (--oci) or a root filesystem
(--rootfs). Advisories come from the Palisade database (PALISADE_DATABASE_URL)
or, with --db, from OSV zips or directories, with no database server at all.

Exit status: 0 when the scan ran and nothing reached --fail-on, 3 when
findings at or above --fail-on were found, 1 when the scan failed.`,
		Example: `  palisade scan --db Go.zip --db PyPI.zip --archive image.tar --fail-on high
  palisade scan registry.example.com/team/app:1.4 --format sarif --output app.sarif
  palisade scan --rootfs ./rootfs --db ./advisories/ --format cyclonedx`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.archive, "archive", "", "a docker save or OCI image tarball")
	fl.StringVar(&f.ociDir, "oci", "", "an OCI image layout directory")
	fl.StringVar(&f.rootfs, "rootfs", "", "a root filesystem directory")
	fl.StringSliceVar(&f.dbPaths, "db", nil, "OSV zip or directory of records to match against (repeatable); default: the Palisade database")
	fl.StringVar(&f.format, "format", "table", "output format: table, json, sarif or cyclonedx")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of standard output")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 3 when a finding has this severity or worse: critical, high, medium, low or unknown")
	fl.BoolVar(&f.insecure, "insecure-http", false, "allow plain HTTP for the image reference's registry")
	return cmd
}

func runScan(cmd *cobra.Command, f scanFlags, args []string) error {
	if err := f.validate(args); err != nil {
		return err
	}
	ctx := cmd.Context()
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))

	target, inv, err := f.inventory(ctx, args, log)
	if err != nil {
		return err
	}
	cfg, cfgErr := config.Load()
	matcher, feedVersion, cleanup, err := f.matcher(ctx, cfg, cfgErr)
	if err != nil {
		return err
	}
	defer cleanup()

	report, err := buildReport(ctx, target, inv, matcher, feedVersion)
	if err != nil {
		return err
	}
	if cfgErr == nil {
		report.UnhealthyLevels = cfg.UnhealthySeverities
	}
	warnUnchecked(cmd.ErrOrStderr(), inv, matcher)
	if err := f.write(cmd.OutOrStdout(), report); err != nil {
		return err
	}
	return f.policy(report)
}

func (f *scanFlags) validate(args []string) error {
	sources := 0
	for _, s := range []string{f.archive, f.ociDir, f.rootfs} {
		if s != "" {
			sources++
		}
	}
	if len(args) == 1 {
		sources++
	}
	if sources != 1 {
		return errors.New("give exactly one of: an image reference, --archive, --oci or --rootfs")
	}
	switch f.format {
	case "table", "json", "sarif", "cyclonedx":
	default:
		return fmt.Errorf("--format %q: use table, json, sarif or cyclonedx", f.format)
	}
	if f.failOn != "" && rankOf(f.failOn) < 0 {
		return fmt.Errorf("--fail-on %q: use critical, high, medium, low or unknown", f.failOn)
	}
	return nil
}

// inventory reads the target's packages.
func (f *scanFlags) inventory(ctx context.Context, args []string, log *slog.Logger) (string, *scan.Inventory, error) {
	scratch, err := os.MkdirTemp("", "palisade-scan-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(scratch)
	opts := inventory.Options{ScratchDir: scratch, Logger: log}

	if f.rootfs != "" {
		res, err := inventory.FromRootFS(ctx, f.rootfs, opts)
		if err != nil {
			return "", nil, fmt.Errorf("scan %s: %w", f.rootfs, err)
		}
		return f.rootfs, scan.FromInventory(res), nil
	}
	img, target, err := f.image(args)
	if err != nil {
		return "", nil, err
	}
	res, err := inventory.FromImage(ctx, img, opts)
	if err != nil {
		return "", nil, fmt.Errorf("scan %s: %w", target, err)
	}
	inv := scan.FromInventory(res)
	if d, err := img.Digest(); err == nil {
		inv.Digest = d.String()
	}
	if cf, err := img.ConfigFile(); err == nil && cf.OS != "" {
		inv.Platform = cf.OS + "/" + cf.Architecture
		if cf.Variant != "" {
			inv.Platform += "/" + cf.Variant
		}
	}
	return target, inv, nil
}

// image opens the target image from a registry, a tarball or a layout.
func (f *scanFlags) image(args []string) (v1.Image, string, error) {
	switch {
	case f.archive != "":
		img, err := tarball.ImageFromPath(f.archive, nil)
		if err != nil {
			return nil, "", fmt.Errorf("read image archive %s: %w (a docker save tarball with one image is expected; for an OCI layout use --oci)", f.archive, err)
		}
		return img, f.archive, nil
	case f.ociDir != "":
		img, err := firstLayoutImage(f.ociDir)
		return img, f.ociDir, err
	}
	var opts []name.Option
	if f.insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(args[0], opts...)
	if err != nil {
		return nil, "", fmt.Errorf("image reference %q: %w", args[0], err)
	}
	img, err := remote.Image(ref, remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
	if err != nil {
		return nil, "", fmt.Errorf("pull %s: %w", ref, err)
	}
	return img, ref.String(), nil
}

// firstLayoutImage returns the single image of an OCI layout, or its
// linux/amd64 image when the layout holds an index.
func firstLayoutImage(dir string) (v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("read OCI layout %s: %w", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read OCI layout %s: %w", dir, err)
	}
	for _, d := range m.Manifests {
		if d.MediaType.IsImage() && (d.Platform == nil || (d.Platform.OS == "linux" && d.Platform.Architecture == "amd64")) {
			return idx.Image(d.Digest)
		}
		if d.MediaType.IsIndex() {
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, err
			}
			cm, err := child.IndexManifest()
			if err != nil {
				return nil, err
			}
			for _, cd := range cm.Manifests {
				if cd.Platform != nil && cd.Platform.OS == "linux" && cd.Platform.Architecture == "amd64" {
					return child.Image(cd.Digest)
				}
			}
		}
	}
	return nil, fmt.Errorf("OCI layout %s holds no linux/amd64 image", dir)
}

// matcher loads advisories from --db files, or from the configured
// database when none is given.
func (f *scanFlags) matcher(ctx context.Context, cfg *config.Config, cfgErr error) (*scan.Matcher, string, func(), error) {
	if len(f.dbPaths) > 0 {
		ix, desc, err := indexFromFiles(f.dbPaths)
		return scan.NewStaticMatcher(ix), desc, func() {}, err
	}
	if cfgErr != nil {
		return nil, "", nil, fmt.Errorf("invalid configuration (or pass --db to scan without a database):\n%w", cfgErr)
	}
	pool, err := store.OpenPool(ctx, cfg.DatabaseURL, 4)
	if err != nil {
		return nil, "", nil, err
	}
	st := store.New(pool)
	if err := st.CheckSchema(ctx); err != nil {
		pool.Close()
		return nil, "", nil, fmt.Errorf("advisory database: %w (set PALISADE_DATABASE_URL, after make run: . .data/palisade.env; or pass --db to scan without a database)", err)
	}
	desc := "database (no feed imported)"
	if v, err := st.LatestFeedVersion(ctx); err == nil {
		desc = fmt.Sprintf("feed version %d (%s, %s)", v.ID, v.Digest, v.ImportedAt.UTC().Format(time.RFC3339))
	}
	return scan.NewMatcher(st), desc, pool.Close, nil
}

// indexFromFiles builds an in-memory index from OSV zips and directories.
func indexFromFiles(paths []string) (*advisory.Index, string, error) {
	ix := advisory.NewIndex()
	add := func(e advisory.Entry) error {
		ix.Add(e.Record)
		return nil
	}
	var names []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, "", fmt.Errorf("--db %s: %w", p, err)
		}
		if info.IsDir() {
			_, err = advisory.ReadDir(p, advisory.Limits{}, add)
		} else {
			_, err = advisory.ReadZip(p, advisory.Limits{}, add)
		}
		if err != nil {
			return nil, "", fmt.Errorf("--db %s: %w", p, err)
		}
		names = append(names, filepath.Base(p))
	}
	return ix, "files: " + strings.Join(names, ", "), nil
}

func buildReport(ctx context.Context, target string, inv *scan.Inventory, m *scan.Matcher, feedVersion string) (*export.Report, error) {
	eco := map[string]bool{}
	var ecosystems []string
	for _, p := range inv.Packages {
		if !eco[p.Ecosystem] {
			eco[p.Ecosystem] = true
			ecosystems = append(ecosystems, p.Ecosystem)
		}
	}
	prep, err := m.Prepare(ctx, ecosystems)
	if err != nil {
		return nil, err
	}
	findings, _ := scan.Match(prep.Index, inv.Packages)
	r := &export.Report{
		Target: target, Digest: inv.Digest, Platform: inv.Platform, FeedVersion: feedVersion,
		GeneratedAt: time.Now().UTC(), ToolVersion: buildinfo.Version, Packages: inv.Packages,
		Layers: inv.Layers,
	}
	r.OS.ID, r.OS.Version, r.OS.Name = inv.OS.ID, inv.OS.Version, inv.OS.Name
	for _, fr := range findings {
		r.Findings = append(r.Findings, export.Finding{FindingRecord: fr, Package: inv.Packages[fr.PackageIndex]})
	}
	return r, nil
}

// warnUnchecked says which ecosystems had no advisories at all, so a
// short report is not taken for a clean image.
func warnUnchecked(w io.Writer, inv *scan.Inventory, m *scan.Matcher) {
	counts := map[string]int{}
	for _, p := range inv.Packages {
		counts[p.Ecosystem]++
	}
	for _, eco := range slices.Sorted(maps.Keys(counts)) {
		if !m.Covers(eco) {
			fmt.Fprintf(w, "note: no advisories loaded for %s; its %d %s were not checked\n", eco, counts[eco], pluralWord(counts[eco], "package"))
		}
	}
}

func (f *scanFlags) write(stdout io.Writer, r *export.Report) (err error) {
	w := stdout
	if f.output != "" {
		file, err := os.Create(f.output)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := file.Close(); err == nil {
				err = cerr
			}
		}()
		w = file
	}
	switch f.format {
	case "json":
		return export.WriteJSON(w, r)
	case "sarif":
		return export.WriteSARIF(w, r)
	case "cyclonedx":
		return export.WriteCycloneDX(w, r)
	}
	return export.WriteTable(w, r)
}

// policy turns --fail-on into the exit status.
func (f *scanFlags) policy(r *export.Report) error {
	if f.failOn == "" {
		return nil
	}
	limit := rankOf(f.failOn)
	n := 0
	for _, fd := range r.Findings {
		if rank := rankOf(fd.SeverityLevel); rank >= limit {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return &ExitError{Code: exitPolicy, Err: fmt.Errorf("%d %s at or above %s", n, pluralWord(n, "finding"), f.failOn)}
}

// rankOf orders severities for --fail-on; unknown ranks lowest but still
// counts, so --fail-on unknown fails on any finding.
func rankOf(level string) int {
	switch level {
	case "critical":
		return 4
	case "high":
		return 3
	case "medium":
		return 2
	case "low":
		return 1
	case "unknown", "none":
		return 0
	}
	return -1
}

func pluralWord(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}
