package notify

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/secrets"
	"github.com/palisadesec/palisade/internal/store"
)

const testSecret = "receiver-secret-0123456789"

// receiver is a webhook endpoint on loopback that checks every
// signature, answers 500 to the first request of each delivery and 200
// to the next, and counts what arrives after a 200.
type receiver struct {
	mu         sync.Mutex
	t          *testing.T
	seen       map[string][][]byte // delivery id -> bodies, in order
	events     map[string]string   // delivery id -> event header
	succeeded  map[string]bool
	duplicates int
	badSig     int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	ts, err := strconv.ParseInt(req.Header.Get(HeaderTimestamp), 10, 64)
	ok := err == nil && time.Since(time.Unix(ts, 0)) < 5*time.Minute &&
		Verify(testSecret, ts, body, req.Header.Get(HeaderSignature))
	id := req.Header.Get(HeaderDelivery)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ok || id == "" || req.Header.Get("Content-Type") != "application/json" {
		r.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.succeeded[id] {
		r.duplicates++
	}
	r.seen[id] = append(r.seen[id], body)
	r.events[id] = req.Header.Get(HeaderEvent)
	if len(r.seen[id]) == 1 {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	r.succeeded[id] = true
	w.WriteHeader(http.StatusNoContent)
}

// soonRetry retries at once, so the test does not wait River's backoff.
type soonRetry struct{}

func (soonRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

func TestDeliveriesAreSignedRetriedAndNeverRepeated(t *testing.T) {
	ctx := context.Background()
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	box, err := secrets.New("notify-test-secret-key-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	rcv := &receiver{t: t, seen: map[string][][]byte{}, events: map[string]string{}, succeeded: map[string]bool{}}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)

	svc := New(Options{Store: st, Box: box, Logger: slog.New(slog.DiscardHandler), Policy: Policy{AllowPrivate: true},
		BaseURL: "http://127.0.0.1:9", Timeout: 5 * time.Second})
	workers := river.NewWorkers()
	worker := &DeliverWorker{Service: svc}
	river.AddWorker(workers, worker)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           workers,
		RetryPolicy:       soonRetry{},
		FetchPollInterval: 100 * time.Millisecond,
		Logger:            slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(stop)
	})
	svc.UseQueue(client)

	hook, secret, err := svc.Create(ctx, Input{Name: "receiver", URL: srv.URL + "/palisade",
		Events: []string{EventScanFailed, EventNewCriticalOrHigh}, Format: FormatJSON, Secret: testSecret, Enabled: true}, "test")
	if err != nil || secret != testSecret {
		t.Fatalf("create webhook: %v (secret %q)", err, secret)
	}
	// A webhook not subscribed to scan.failed hears nothing of it.
	if _, _, err := svc.Create(ctx, Input{Name: "other", URL: srv.URL + "/other", Events: []string{EventAlertNew},
		Format: FormatJSON, Enabled: true}, "test"); err != nil {
		t.Fatal(err)
	}

	imageID := storeImage(t, st)
	since := time.Now().Add(-time.Minute)
	if err := svc.ScanFailed(ctx, store.Scan{ID: 7, Repository: "app", Reference: "1.0", Attempts: 5}, "manifest unknown"); err != nil {
		t.Fatal(err)
	}
	if err := svc.FindingsAdded(ctx, 8, []int64{imageID}, since); err != nil {
		t.Fatal(err)
	}

	deliveries := waitDelivered(t, st, hook.ID, 2)
	time.Sleep(2 * time.Second) // room for a duplicate to show up

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.badSig != 0 {
		t.Errorf("%d requests had a missing or wrong signature", rcv.badSig)
	}
	if rcv.duplicates != 0 {
		t.Errorf("%d requests arrived after a delivery succeeded", rcv.duplicates)
	}
	for _, d := range deliveries {
		bodies := rcv.seen[d.UUID]
		if len(bodies) != 2 || string(bodies[0]) != string(bodies[1]) {
			t.Errorf("delivery %s: %d requests, want 2 with the same body (500, then 200)", d.UUID, len(bodies))
		}
		if len(d.Log) != 2 || d.Log[0].StatusCode == nil || *d.Log[0].StatusCode != 500 ||
			d.Log[1].StatusCode == nil || *d.Log[1].StatusCode != 204 || d.Log[0].Error == "" || d.Attempts != 2 {
			t.Errorf("delivery %s log = %+v, want attempt 1 answered 500 with an error and attempt 2 answered 204", d.UUID, d.Log)
		}
		if rcv.events[d.UUID] != d.Event {
			t.Errorf("delivery %s: event header %q, want %q", d.UUID, rcv.events[d.UUID], d.Event)
		}
	}
	checkPayloads(t, rcv.seen, deliveries)

	// River may run a job again after its answer was recorded (a crash
	// between the two): the worker must not send a delivered one again.
	before := len(rcv.seen[deliveries[0].UUID])
	rcv.mu.Unlock()
	err = worker.Work(ctx, &river.Job[DeliverArgs]{JobRow: &rivertype.JobRow{Attempt: 3, MaxAttempts: MaxDeliveryAttempts},
		Args: DeliverArgs{DeliveryID: deliveries[0].ID}})
	rcv.mu.Lock()
	if err != nil || len(rcv.seen[deliveries[0].UUID]) != before {
		t.Errorf("re-running a delivered job: err %v, requests %d -> %d; want nothing sent", err, before, len(rcv.seen[deliveries[0].UUID]))
	}
}

// storeImage stores one image with a high finding (urllib3 1.26.12,
// PYSEC-2023-192, 8.1) and a medium one, which events must leave out.
func storeImage(t *testing.T, st *store.Store) int64 {
	t.Helper()
	ctx := context.Background()
	reg, err := st.CreateRegistry(ctx, store.Registry{Name: "local", URL: "http://127.0.0.1:5000", AuthKind: "none",
		WebhookToken: "tok", WebhookSecret: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	high, medium := 8.1, 5.0
	res := &store.ScanResult{
		Image:    store.ImageRecord{Digest: "sha256:1111", Platform: "linux/amd64"},
		Packages: []store.PackageRecord{{Type: "python", Ecosystem: "PyPI", Name: "urllib3", Version: "1.26.12"}},
		Findings: []store.FindingRecord{
			{PackageIndex: 0, VulnID: "PYSEC-2023-192", Aliases: []string{"CVE-2023-43804"}, SeverityLevel: "high",
				SeverityScore: &high, SeveritySource: "cvss_v3", FixedVersion: "1.26.17", FixStatus: "fixed"},
			{PackageIndex: 0, VulnID: "PYSEC-2023-212", Aliases: []string{"CVE-2023-45803"}, SeverityLevel: "medium",
				SeverityScore: &medium, SeveritySource: "cvss_v3", FixedVersion: "1.26.18", FixStatus: "fixed"},
		},
	}
	var id int64
	err = st.InTx(ctx, func(tx pgx.Tx) error {
		repo, err := st.UpsertRepositoryTx(ctx, tx, reg.ID, "app")
		if err != nil {
			return err
		}
		res.Image.RepositoryID = repo
		id, err = st.SaveScanResultTx(ctx, tx, res)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func waitDelivered(t *testing.T, st *store.Store, webhookID int64, n int) []store.WebhookDelivery {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := st.WebhookDeliveries(context.Background(), webhookID, 10)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, d := range list {
			if d.State == store.DeliveryDelivered {
				done++
			}
		}
		if len(list) == n && done == n {
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries not delivered within 60s: %+v", list)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func checkPayloads(t *testing.T, seen map[string][][]byte, deliveries []store.WebhookDelivery) {
	t.Helper()
	for _, d := range deliveries {
		var p struct {
			ID    string          `json:"id"`
			Event string          `json:"event"`
			Data  json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(seen[d.UUID][0], &p); err != nil || p.ID != d.UUID || p.Event != d.Event {
			t.Errorf("payload %s: %v %+v", d.UUID, err, p)
			continue
		}
		switch d.Event {
		case EventScanFailed:
			var data ScanFailedData
			if json.Unmarshal(p.Data, &data) != nil || data.ScanID != 7 || data.Reason != "manifest unknown" {
				t.Errorf("scan.failed data = %s", p.Data)
			}
		case EventNewCriticalOrHigh:
			var data NewFindingsData
			if json.Unmarshal(p.Data, &data) != nil || data.High != 1 || data.Critical != 0 || len(data.Findings) != 1 ||
				data.Findings[0].VulnID != "PYSEC-2023-192" || *data.Findings[0].CVSSScore != 8.1 ||
				data.Findings[0].FixedVersion != "1.26.17" || data.ScanID != 8 || data.Repository != "app" {
				t.Errorf("finding data = %s, want one high finding, PYSEC-2023-192 at 8.1, fixed in 1.26.17", p.Data)
			}
		default:
			t.Errorf("unexpected event %s", d.Event)
		}
	}
}

func TestPolicy(t *testing.T) {
	strict, open := Policy{}, Policy{AllowPrivate: true}
	tests := []struct {
		name         string
		url          string
		strict, open bool // allowed
	}{
		{name: "public https", url: "https://hooks.example.com/x", strict: true, open: true},
		{name: "public address", url: "http://93.184.216.34/x", strict: true, open: true},
		{name: "metadata", url: "http://169.254.169.254/latest/meta-data", strict: false, open: false},
		{name: "link-local v6", url: "http://[fe80::1]/", strict: false, open: false},
		{name: "mapped metadata", url: "http://[::ffff:169.254.169.254]/", strict: false, open: false},
		{name: "unspecified", url: "http://0.0.0.0:8080/", strict: false, open: false},
		{name: "loopback", url: "http://127.0.0.1:9000/", strict: false, open: true},
		{name: "localhost", url: "http://localhost:9000/", strict: false, open: true},
		{name: "private", url: "http://10.1.2.3/", strict: false, open: true},
		{name: "shared", url: "http://100.100.100.200/", strict: false, open: true},
		{name: "ftp", url: "ftp://example.com/", strict: false, open: false},
		{name: "credentials", url: "https://user:pw@example.com/", strict: false, open: false},
		{name: "relative", url: "/hook", strict: false, open: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strict.CheckURL(tt.url) == nil; got != tt.strict {
				t.Errorf("strict policy allows %s: %v, want %v", tt.url, got, tt.strict)
			}
			if got := open.CheckURL(tt.url) == nil; got != tt.open {
				t.Errorf("allow-private policy allows %s: %v, want %v", tt.url, got, tt.open)
			}
		})
	}
	// The dialer checks the address a name resolved to.
	if err := strict.CheckAddr(netip.MustParseAddr("127.0.0.1")); err == nil {
		t.Error("strict dialer would dial loopback")
	}
	// A name is checked where it resolves: localhost passes CheckURL only
	// with the flag, but the dialer refuses its address without it.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	if resp, err := strict.Client(time.Second).Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Errorf("strict client reached %s", srv.URL)
	}
	if resp, err := open.Client(time.Second).Get(srv.URL); err != nil {
		t.Errorf("allow-private client could not reach %s: %v", srv.URL, err)
	} else {
		resp.Body.Close()
	}
}

func TestSignature(t *testing.T) {
	body := []byte(`{"event":"scan.failed"}`)
	// Worked out with: printf '1700000000.{"event":"scan.failed"}' | openssl dgst -sha256 -hmac s3cret
	const want = "sha256=38ab7bd30baab7e57f3947fdc83ff215cb2f5aab946034dcad115f516ece130b"
	got := Sign("s3cret", 1700000000, body)
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if !Verify("s3cret", 1700000000, body, got) || Verify("s3cret", 1700000001, body, got) || Verify("other", 1700000000, body, got) {
		t.Error("Verify accepts a wrong timestamp or secret, or refuses the right one")
	}
}
