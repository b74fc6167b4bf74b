package exempt

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/palisadesec/palisade/internal/store"
)

// lapseBatch is how many expired exemptions one transaction handles.
const lapseBatch = 200

// LapseExpired recounts the images of every exemption that expired and
// was not handled yet, marks them lapsed and records each in the audit
// log, in batches of one transaction each. Pages never wait for this:
// every query already ignores expired exemptions; the job brings the
// stored counts and health in line. It returns how many lapsed.
func (s *Service) LapseExpired(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.lapseBatch(ctx)
		total += n
		if err != nil || n < lapseBatch {
			if total > 0 {
				s.log.Info("Expired exemptions lapsed", slog.Int("count", total))
			}
			return total, err
		}
	}
}

func (s *Service) lapseBatch(ctx context.Context) (int, error) {
	var n int
	err := s.store.InTx(ctx, func(tx pgx.Tx) error {
		list, err := s.store.LockLapsedExemptionsTx(ctx, tx, lapseBatch)
		if err != nil || len(list) == 0 {
			return err
		}
		var images, ids []int64
		for _, e := range list {
			more, err := s.store.ExemptionImagesTx(ctx, tx, e)
			if err != nil {
				return err
			}
			images = append(images, more...)
			ids = append(ids, e.ID)
		}
		if err := s.recountTx(ctx, tx, images); err != nil {
			return err
		}
		if err := s.store.MarkExemptionsLapsedTx(ctx, tx, ids); err != nil {
			return err
		}
		for _, e := range list {
			err := s.store.RecordAuditTx(ctx, tx, store.AuditEntry{
				ActorKind: store.ActorSystem, ActorName: "exemption expiry", Action: "exemption.lapse",
				ResourceKind: "exemption", ResourceID: strconv.FormatInt(e.ID, 10), Details: AuditDetails(e),
			})
			if err != nil {
				return err
			}
		}
		n = len(list)
		return nil
	})
	return n, err
}

// LapseArgs is the periodic job that lapses expired exemptions.
type LapseArgs struct{}

// Kind names the job in the queue.
func (LapseArgs) Kind() string { return "exemption_lapse" }

// InsertOpts keeps one lapse job waiting at a time.
func (LapseArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateScheduled, rivertype.JobStateRetryable,
		}},
	}
}

// LapseWorker runs LapseArgs jobs.
type LapseWorker struct {
	river.WorkerDefaults[LapseArgs]
	Service *Service
}

// Work lapses what expired since the last run.
func (w *LapseWorker) Work(ctx context.Context, job *river.Job[LapseArgs]) error {
	_, err := w.Service.LapseExpired(ctx)
	return err
}

// PeriodicLapse runs the lapse job every minute, and once at start for
// what expired while no worker ran.
func PeriodicLapse() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return LapseArgs{}, nil },
		&river.PeriodicJobOpts{ID: "exemption_lapse", RunOnStart: true})
}
