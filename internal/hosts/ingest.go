package hosts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/palisadesec/palisade/internal/hostbench"
	"github.com/palisadesec/palisade/internal/hostsnapshot"
	"github.com/palisadesec/palisade/internal/recommend"
	"github.com/palisadesec/palisade/internal/store"
)

// SnapshotHistory is how many snapshots are kept per host, the latest
// included. A snapshot can reach hostsnapshot.MaxBytes, so the history is
// short; the results always come from the latest.
const SnapshotHistory = 10

// Evaluation is what one evaluation of a host stored.
type Evaluation struct {
	HostID          int64
	SnapshotID      int64
	Results         int
	FailingControls int
	FailingResults  int
	Healthy         bool
}

// Ingest stores a snapshot for the host (found by the caller from the
// agent's credential, never from the snapshot), evaluates it, and stores
// the results, the host's summary and its assessment, all in one
// transaction: a snapshot is never stored without its results. The
// snapshot must have passed hostsnapshot.Decode.
func (s *Service) Ingest(ctx context.Context, hostID int64, snap *hostsnapshot.Snapshot) (Evaluation, error) {
	start := time.Now()
	doc, err := json.Marshal(snap)
	if err != nil {
		return Evaluation{}, fmt.Errorf("encode snapshot: %w", err)
	}
	if hasNUL(doc) {
		// PostgreSQL's jsonb cannot hold U+0000, and no field the
		// benchmark reads has a reason to.
		return Evaluation{}, fmt.Errorf("%w: a string holds a NUL character", hostsnapshot.ErrInvalid)
	}
	var ev Evaluation
	err = s.store.InTx(ctx, func(tx pgx.Tx) error {
		h, err := s.store.LockHostTx(ctx, tx, hostID)
		if err != nil {
			return err
		}
		if h.Revoked() {
			// Revoked between authentication and now.
			return ErrBadCredential
		}
		row, err := s.store.InsertHostSnapshotTx(ctx, tx, store.HostSnapshot{
			HostID: hostID, CollectedAt: snap.CollectedAt, AgentVersion: snap.AgentVersion, Doc: doc,
		}, SnapshotHistory)
		if err != nil {
			return err
		}
		ev, err = s.evaluateTx(ctx, tx, row, snap)
		return err
	})
	if err != nil {
		return Evaluation{}, err
	}
	s.log.Info("Host snapshot evaluated", slog.Int64("host_id", hostID), slog.Int64("snapshot_id", ev.SnapshotID),
		slog.Int("snapshot_bytes", len(doc)), slog.Int("results", ev.Results),
		slog.Int("failing_controls", ev.FailingControls), slog.Duration("took", time.Since(start)))
	return ev, nil
}

// reevaluateTx evaluates the host's latest snapshot again, after its
// exemptions changed. A host without a snapshot has nothing to evaluate.
func (s *Service) reevaluateTx(ctx context.Context, tx pgx.Tx, hostID int64) error {
	row, err := s.store.LatestHostSnapshotTx(ctx, tx, hostID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var snap hostsnapshot.Snapshot
	if err := json.Unmarshal(row.Doc, &snap); err != nil {
		return fmt.Errorf("read stored snapshot %d: %w", row.ID, err)
	}
	_, err = s.evaluateTx(ctx, tx, row, &snap)
	return err
}

// evaluateTx runs the benchmark with the host's exemptions and stores what
// it found.
func (s *Service) evaluateTx(ctx context.Context, tx pgx.Tx, row store.HostSnapshot, snap *hostsnapshot.Snapshot) (Evaluation, error) {
	xs, err := s.store.HostExemptionsTx(ctx, tx, row.HostID)
	if err != nil {
		return Evaluation{}, err
	}
	rep, err := hostbench.Evaluate(snap, hostbench.Options{Exemptions: s.benchExemptions(row.HostID, xs)})
	if err != nil {
		return Evaluation{}, fmt.Errorf("evaluate snapshot %d: %w", row.ID, err)
	}
	if err := s.store.ReplaceHostResultsTx(ctx, tx, row.HostID, row.ID, results(rep)); err != nil {
		return Evaluation{}, err
	}
	sum := summarise(row, snap, rep)
	if err := s.store.UpdateHostSummaryTx(ctx, tx, sum); err != nil {
		return Evaluation{}, err
	}
	a, err := assessment(row, rep)
	if err != nil {
		return Evaluation{}, err
	}
	if err := s.store.UpsertAssessmentTx(ctx, tx, a); err != nil {
		return Evaluation{}, err
	}
	return Evaluation{
		HostID: row.HostID, SnapshotID: row.ID, Results: len(rep.Results),
		FailingControls: sum.FailingControls, FailingResults: sum.FailingResults,
		Healthy: a.Status == "healthy",
	}, nil
}

// benchExemptions turns stored exemptions into hostbench's. One that no
// longer names a control (after a catalogue change) is left out, not
// allowed to stop the evaluation.
func (s *Service) benchExemptions(hostID int64, xs []store.HostExemption) []hostbench.Exemption {
	out := make([]hostbench.Exemption, 0, len(xs))
	for _, x := range xs {
		bx := hostbench.Exemption{ControlID: x.ControlID, Resource: x.Resource, Justification: x.Justification}
		if err := bx.Validate(); err != nil {
			s.log.Warn("Exemption ignored", slog.Int64("host_id", hostID), slog.Int64("exemption_id", x.ID),
				slog.Any("error", err))
			continue
		}
		out = append(out, bx)
	}
	return out
}

func results(rep *hostbench.Report) []store.HostResult {
	out := make([]store.HostResult, len(rep.Results))
	for i, r := range rep.Results {
		out[i] = store.HostResult{
			Position: i, ControlID: r.ControlID, Section: r.Section, Title: r.Title, Level: r.Level,
			ResourceKind: string(r.Resource.Kind), ResourceID: r.Resource.ID, ResourceName: r.Resource.Name,
			Status: string(r.Status), Evidence: r.Evidence, Remediation: r.Remediation,
			Exempt: r.Exempt, Justification: r.Justification,
		}
	}
	return out
}

// summarise is the host row's view of a snapshot and its evaluation.
func summarise(row store.HostSnapshot, snap *hostsnapshot.Snapshot, rep *hostbench.Report) store.HostSummary {
	sum := store.HostSummary{
		HostID: row.HostID, AgentVersion: snap.AgentVersion,
		SnapshotAt: row.ReceivedAt, CollectedAt: snap.CollectedAt,
	}
	if info := snap.Engine.Info; info.OK() && info.Value != nil {
		sum.DockerVersion, sum.OS, sum.Kernel = info.Value.ServerVersion, info.Value.OperatingSystem, info.Value.KernelVersion
	}
	if v := snap.Engine.Version; v.OK() && v.Value != nil {
		if v.Value.Version != "" {
			sum.DockerVersion = v.Value.Version
		}
		if sum.Kernel == "" {
			sum.Kernel = v.Value.KernelVersion
		}
	}
	if ims := snap.Engine.Images; ims.OK() {
		n := len(ims.Value)
		sum.Images = &n
	}
	if cs := snap.Engine.Containers; cs.OK() {
		n := len(cs.Value)
		sum.Containers = &n
	}
	failing := rep.Failing()
	controls := map[string]bool{}
	for _, r := range failing {
		controls[r.ControlID] = true
	}
	sum.FailingControls, sum.FailingResults = len(controls), len(failing)
	for _, r := range rep.Results {
		if r.Exempt && r.Status == hostbench.StatusFail {
			sum.ExemptResults++
		}
	}
	return sum
}

// assessment is the host's "Container hosts should be configured
// securely": unhealthy while any failed result is not exempt, with the
// failing controls in benchmark order and what each fails for.
func assessment(row store.HostSnapshot, rep *hostbench.Report) (store.Assessment, error) {
	d := recommend.HostDetails{Benchmark: rep.Benchmark, SnapshotID: row.ID, FailingControls: []recommend.FailingControl{}}
	index := map[string]int{}
	for _, r := range rep.Results {
		if r.Status != hostbench.StatusFail {
			continue
		}
		if r.Exempt {
			d.ExemptResults++
			continue
		}
		i, ok := index[r.ControlID]
		if !ok {
			i = len(d.FailingControls)
			index[r.ControlID] = i
			d.FailingControls = append(d.FailingControls, recommend.FailingControl{
				ControlID: r.ControlID, Title: r.Title, Section: r.Section,
			})
		}
		fc := &d.FailingControls[i]
		res := recommend.AffectedResource{ID: r.Resource.ID, Name: r.Resource.Name}
		switch r.Resource.Kind {
		case hostbench.KindContainer:
			fc.Containers = append(fc.Containers, res)
		case hostbench.KindImage:
			fc.Images = append(fc.Images, res)
		default:
			fc.Host = true
		}
	}
	details, err := json.Marshal(d)
	if err != nil {
		return store.Assessment{}, fmt.Errorf("encode host assessment: %w", err)
	}
	status := "healthy"
	if len(d.FailingControls) > 0 {
		status = "unhealthy"
	}
	return store.Assessment{
		RecommendationID: recommend.HostConfiguration.ID, ResourceKind: recommend.HostConfiguration.ResourceKind,
		ResourceID: row.HostID, Status: status, Severity: recommend.HostConfiguration.Severity, Details: details,
	}, nil
}

// hasNUL reports whether JSON text holds the escape \u0000 (encoding/json
// writes NUL no other way), telling it apart from an escaped backslash
// followed by "u0000".
func hasNUL(doc []byte) bool {
	const esc = `\u0000`
	for i := 0; ; {
		j := bytes.Index(doc[i:], []byte(esc))
		if j < 0 {
			return false
		}
		at := i + j
		backslashes := 0
		for k := at - 1; k >= 0 && doc[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return true
		}
		i = at + len(esc)
	}
}
