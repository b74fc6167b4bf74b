package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/jobs"
)

// markArgs is a job that records its note in a table, so the test can see
// that a worker ran it and that its write landed.
type markArgs struct {
	Note string `json:"note"`
}

func (markArgs) Kind() string { return "test_mark" }

type markWorker struct {
	river.WorkerDefaults[markArgs]
	pool *pgxpool.Pool
}

func (w *markWorker) Work(ctx context.Context, job *river.Job[markArgs]) error {
	_, err := w.pool.Exec(ctx, `INSERT INTO marks (note, job_id) VALUES ($1, $2)`, job.Args.Note, job.ID)
	return err
}

func TestJobInsertedInTransactionRunsAndLands(t *testing.T) {
	ctx := context.Background()
	pool, _ := dbtest.New(t)
	if _, err := pool.Exec(ctx, `CREATE TABLE marks (note text NOT NULL, job_id bigint NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &markWorker{pool: pool})
	log := slog.New(slog.DiscardHandler)
	runner, err := jobs.NewRunner(pool, jobs.Options{Workers: workers, MaxWorkers: 2, Logger: log})
	if err != nil {
		t.Fatal(err)
	}

	// One committed transaction with a job, one rolled back: only the first
	// may ever run.
	var committedID int64
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		res, err := runner.InsertTx(ctx, tx, markArgs{Note: "committed"}, nil)
		if err == nil {
			committedID = res.Job.ID
		}
		return err
	})
	if err != nil {
		t.Fatalf("insert job in transaction: %v", err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runner.InsertTx(ctx, tx, markArgs{Note: "rolled back"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	if err := runner.Start(ctx); err != nil {
		t.Fatalf("start runner: %v", err)
	}
	waitForNotes(t, pool, 1)
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	jobs.Stop(stopCtx, runner, log)

	var count int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM marks`).Scan(&count); err != nil || count != 1 {
		t.Fatalf("marks rows = %d (%v), want exactly 1", count, err)
	}
	var note string
	var jobID int64
	if err := pool.QueryRow(ctx, `SELECT note, job_id FROM marks`).Scan(&note, &jobID); err != nil {
		t.Fatalf("read marks: %v", err)
	}
	if note != "committed" || jobID != committedID {
		t.Errorf("marks = (%q, %d), want (\"committed\", %d)", note, jobID, committedID)
	}
	var state string
	if err := pool.QueryRow(ctx, `SELECT state FROM river_job WHERE id = $1`, committedID).Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != "completed" {
		t.Errorf("job state = %q, want completed", state)
	}
}

// waitForNotes polls until the table holds n rows; the deadline only bounds
// a hung test, it measures nothing.
func waitForNotes(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var got int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM marks`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no worker ran the job within 30s")
}
