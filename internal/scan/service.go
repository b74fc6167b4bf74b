package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/registries"
	"github.com/palisadesec/palisade/internal/store"
)

// Triggers say why a scan was asked for.
const (
	TriggerPush     = "push"
	TriggerPoll     = "poll"
	TriggerManual   = "manual"
	TriggerTagMoved = "tag_moved"
)

// PlatformImage is one image of a reference: the reference itself, or one
// Linux platform of an index.
type PlatformImage struct {
	Platform    string
	Digest      string
	IndexDigest string
	MediaType   string
	Image       v1.Image
}

// ImageSource resolves a reference in a registry to its platform images.
type ImageSource interface {
	Images(ctx context.Context, conn registries.Connection, repository, reference string) ([]PlatformImage, error)
	// IsTransient tells errors worth retrying (timeouts, 5xx, 429) from
	// permanent ones (401, 404, a manifest over the limit).
	IsTransient(err error) bool
}

// OS is the operating system an image is built on.
type OS struct {
	ID, Version, Name string
}

// Inventory is what an image contains.
type Inventory struct {
	// Digest and Platform identify the image, when it is one.
	Digest   string
	Platform string
	OS       OS
	Layers   []store.LayerRecord
	Packages []store.PackageRecord
}

// Inventorier lists the packages in an image.
type Inventorier interface {
	Inventory(ctx context.Context, img v1.Image) (*Inventory, error)
}

// Options configures a Service.
type Options struct {
	Store       *store.Store
	Registries  *registries.Manager
	Images      ImageSource
	Inventorier Inventorier
	Matcher     *Matcher
	Logger      *slog.Logger
	// UnhealthyLevels are the severities that make an image unhealthy.
	UnhealthyLevels []string
	// Notifier, when set, hears of failed scans and new findings.
	Notifier Notifier
}

// Service runs scans and queues them.
type Service struct {
	Options
	queue *river.Client[pgx.Tx]
}

// NewService returns a service; call UseQueue before queueing scans.
func NewService(o Options) *Service {
	o.Logger = o.Logger.With(slog.String("component", "scanner"))
	return &Service{Options: o}
}

// UseQueue gives the service the job client it queues scans with. The
// client is made after the workers, which need the service, hence the
// separate step.
func (s *Service) UseQueue(c *river.Client[pgx.Tx]) {
	s.queue = c
}

// Request asks for a scan of one reference.
type Request struct {
	RegistryID int64
	Repository string
	// Reference is a tag or a digest; Digest is set when already known.
	Reference string
	Digest    string
	Trigger   string
	// Force scans again even when the digest was scanned before.
	Force bool
}

// Queued says what Enqueue did.
type Queued struct {
	ScanID int64
	// Skipped explains why no scan was queued (already scanned, already
	// queued); ScanID then names the existing scan if there is one.
	Skipped string
}

// Enqueue records a scan and queues its job in one transaction. One digest
// is scanned once: a digest already scanned or already queued is skipped
// unless forced.
func (s *Service) Enqueue(ctx context.Context, req Request) (Queued, error) {
	if s.queue == nil {
		return Queued{}, errors.New("scan queue not configured")
	}
	if req.Digest != "" && !req.Force {
		if q, skip, err := s.alreadyHandled(ctx, req); err != nil || skip {
			return q, err
		}
	}
	var q Queued
	err := pgx.BeginFunc(ctx, s.Store.Pool(), func(tx pgx.Tx) error {
		id, err := s.Store.CreateScanTx(ctx, tx, store.Scan{
			RegistryID: &req.RegistryID, Repository: req.Repository, Reference: req.Reference,
			Digest: req.Digest, Trigger: req.Trigger,
		})
		if err != nil {
			return err
		}
		res, err := s.queue.InsertTx(ctx, tx, Args{ScanID: id}, nil)
		if err != nil {
			return fmt.Errorf("queue scan job: %w", err)
		}
		q.ScanID = id
		return s.Store.SetScanJobTx(ctx, tx, id, res.Job.ID)
	})
	if err != nil {
		return Queued{}, err
	}
	s.Logger.Info("Scan queued", slog.Int64("scan_id", q.ScanID), slog.String("repository", req.Repository),
		slog.String("reference", req.Reference), slog.String("trigger", req.Trigger))
	return q, nil
}

func (s *Service) alreadyHandled(ctx context.Context, req Request) (Queued, bool, error) {
	active, err := s.Store.ActiveScanFor(ctx, req.RegistryID, req.Repository, req.Digest)
	if err == nil {
		return Queued{ScanID: active.ID, Skipped: "a scan of this digest is already queued"}, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return Queued{}, false, err
	}
	scanned, err := s.Store.ImageScanned(ctx, req.RegistryID, req.Repository, req.Digest)
	if err != nil {
		return Queued{}, false, err
	}
	if scanned {
		return Queued{Skipped: "this digest was scanned already"}, true, nil
	}
	return Queued{}, false, nil
}

// Args is the scan job. It carries only the scan's id: everything else is
// in the scans row, so a job never disagrees with what the console shows.
type Args struct {
	ScanID int64 `json:"scan_id"`
}

// Kind names the job in the queue.
func (Args) Kind() string { return "image_scan" }

// InsertOpts retries transient failures with River's backoff.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5}
}

// Worker runs scan jobs.
type Worker struct {
	river.WorkerDefaults[Args]
	Service *Service
}

// Work runs one attempt of a scan. Permanent failures end the scan at
// once; transient ones are retried until the last attempt.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	s := w.Service
	sc, err := s.Store.ScanByID(ctx, job.Args.ScanID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("scan %d no longer exists", job.Args.ScanID))
	}
	if err != nil {
		return err
	}
	if err := s.Store.MarkScanRunning(ctx, sc.ID, job.Attempt); err != nil {
		return err
	}
	log := s.Logger.With(slog.Int64("scan_id", sc.ID), slog.String("repository", sc.Repository), slog.String("reference", sc.Reference))
	log.Info("Scan started", slog.Int("attempt", job.Attempt))

	err = s.run(ctx, sc, log)
	if err == nil {
		return nil
	}
	reason := err.Error()
	transient := s.Images.IsTransient(err) && job.Attempt < job.MaxAttempts
	if transient {
		log.Warn("Scan attempt failed; will retry", slog.String("reason", reason))
		if markErr := s.Store.MarkScanRetrying(ctx, sc.ID, reason); markErr != nil {
			return errors.Join(err, markErr)
		}
		return err
	}
	log.Warn("Scan failed", slog.String("reason", reason))
	if markErr := s.Store.MarkScanFailed(context.WithoutCancel(ctx), sc.ID, reason); markErr != nil {
		return errors.Join(err, markErr)
	}
	sc.Attempts = job.Attempt
	s.notifyFailed(context.WithoutCancel(ctx), sc, reason)
	return river.JobCancel(err)
}

// run pulls, inventories and matches every platform image of the scan's
// reference, then writes all results with the scan's end in one
// transaction.
func (s *Service) run(ctx context.Context, sc store.Scan, log *slog.Logger) error {
	if sc.RegistryID == nil {
		return errors.New("scan has no registry")
	}
	conn, err := s.Registries.Open(ctx, *sc.RegistryID)
	if err != nil {
		return err
	}
	// Pull exactly the pushed digest when known: the tag may have moved on.
	ref := sc.Reference
	if sc.Digest != "" {
		ref = sc.Digest
	}
	images, err := s.Images.Images(ctx, conn, sc.Repository, ref)
	if err != nil {
		return err
	}
	if len(images) == 0 {
		return errors.New("the reference has no Linux image")
	}

	results := make([]*store.ScanResult, 0, len(images))
	for _, pi := range images {
		res, err := s.scanImage(ctx, pi)
		if err != nil {
			return fmt.Errorf("%s: %w", pi.Platform, err)
		}
		results = append(results, res)
		log.Info("Image inventoried", slog.String("platform", pi.Platform), slog.String("digest", pi.Digest),
			slog.Int("packages", len(res.Packages)), slog.Int("findings", len(res.Findings)))
	}
	return s.save(ctx, sc, conn, images, results)
}

func (s *Service) scanImage(ctx context.Context, pi PlatformImage) (*store.ScanResult, error) {
	inv, err := s.Inventorier.Inventory(ctx, pi.Image)
	if err != nil {
		return nil, err
	}
	prep, err := s.Matcher.Prepare(ctx, ecosystemsOf(inv.Packages))
	if err != nil {
		return nil, err
	}
	findings, unparsable := Match(prep.Index, inv.Packages)
	if unparsable > 0 {
		s.Logger.Debug("Packages with versions their ecosystem cannot order", slog.Int("count", unparsable))
	}
	var size int64
	for _, l := range inv.Layers {
		size += l.SizeBytes
	}
	cfgDigest := ""
	if d, err := pi.Image.ConfigName(); err == nil {
		cfgDigest = d.String()
	}
	return &store.ScanResult{
		Image: store.ImageRecord{
			Digest: pi.Digest, IndexDigest: pi.IndexDigest, Platform: pi.Platform, MediaType: pi.MediaType,
			ConfigDigest: cfgDigest, SizeBytes: size,
			OSID: inv.OS.ID, OSVersion: inv.OS.Version, OSName: inv.OS.Name,
		},
		Layers: inv.Layers, Packages: inv.Packages, Findings: findings, FeedVersionID: prep.FeedVersionID,
	}, nil
}

func (s *Service) save(ctx context.Context, sc store.Scan, conn registries.Connection, images []PlatformImage, results []*store.ScanResult) error {
	since := time.Now()
	var imageIDs []int64
	err := pgx.BeginFunc(ctx, s.Store.Pool(), func(tx pgx.Tx) error {
		repoID, err := s.Store.UpsertRepositoryTx(ctx, tx, conn.ID, sc.Repository)
		if err != nil {
			return err
		}
		refDigest := images[0].IndexDigest
		if refDigest == "" {
			refDigest = images[0].Digest
		}
		if !strings.HasPrefix(sc.Reference, "sha256:") {
			if _, err := s.Store.RecordTagTx(ctx, tx, repoID, sc.Reference, refDigest); err != nil {
				return err
			}
		}
		for _, res := range results {
			res.Image.RepositoryID = repoID
			imageID, err := s.Store.SaveScanResultTx(ctx, tx, res)
			if err != nil {
				return err
			}
			imageIDs = append(imageIDs, imageID)
			if err := s.assess(ctx, tx, imageID, res); err != nil {
				return err
			}
		}
		return s.Store.MarkScanDoneTx(ctx, tx, sc.ID, refDigest)
	})
	if err == nil {
		s.notifyFindings(ctx, sc.ID, imageIDs, since)
	}
	return err
}

// assess updates the image's counts, health and recommendation.
func (s *Service) assess(ctx context.Context, tx pgx.Tx, imageID int64, res *store.ScanResult) error {
	sum, err := s.Store.RefreshImageSummaryTx(ctx, tx, imageID, s.UnhealthyLevels)
	if err != nil {
		return err
	}
	return s.Store.UpsertAssessmentTx(ctx, tx, ImageAssessment(imageID, sum, res))
}

func ecosystemsOf(pkgs []store.PackageRecord) []string {
	var out []string
	for _, p := range pkgs {
		if !slices.Contains(out, p.Ecosystem) {
			out = append(out, p.Ecosystem)
		}
	}
	return out
}
