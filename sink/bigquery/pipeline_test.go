package bigquery_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/sethvargo/go-envconfig"
	"google.golang.org/grpc/codes"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
	"bcstream/internal/pubsubtest"
	"bcstream/pipeline"
	"bcstream/registrar"
	"bcstream/sink/bigquery/bqfake"
)

// These tests drive the real pipeline (Pub/Sub from pstest) into the
// sink, writing to the Storage Write fake, to prove what the sink's
// errors mean end to end: transient failures are nacked and redelivered
// until written, row errors dead-letter exactly those messages, and no
// event is lost or (without ambiguous timeouts) written twice.

const psProject = "bq-pipeline"

type pipelineFixture struct {
	srv    *pstest.Server
	client *pubsub.Client
	top    registrar.Topology
	cfg    pipeline.Config
}

func newPipelineFixture(t *testing.T) *pipelineFixture {
	t.Helper()
	srv := pstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	client := pubsubtest.NewClient(t, srv.Addr, psProject)
	top := registrar.DefaultTopology()
	// pstest re-publishes dead letters in a loop and ignores backoff;
	// the worker's own dead-lettering is what is under test.
	top.MaxDeliveryAttempts = 0
	top.MinBackoff, top.MaxBackoff = 0, 0
	if err := registrar.EnsureTopology(t.Context(), client, top); err != nil {
		t.Fatal(err)
	}
	var cfg pipeline.Config
	if err := envconfig.ProcessWith(t.Context(), &envconfig.Config{Target: &cfg, Lookuper: envconfig.MapLookuper(map[string]string{
		"PUBSUB_SUBSCRIPTION":      top.Subscription,
		"PUBSUB_DEAD_LETTER_TOPIC": top.DeadLetterTopic,
		"PUBSUB_STREAMS":           "2",
		"BATCH_MAX_DELAY":          "10ms",
		"BATCH_MAX_ROWS":           "100",
	})}); err != nil {
		t.Fatal(err)
	}
	return &pipelineFixture{srv: srv, client: client, top: top, cfg: cfg}
}

// publish publishes n generated events, about dup of them re-sent, and
// returns the event IDs of the unique ones with their entity IDs.
func (f *pipelineFixture) publish(t *testing.T, n int, dup float64) map[string]string {
	t.Helper()
	gen := bctest.NewGenerator(7, bctest.DefaultStores(4))
	unique := map[string]string{}
	for i := range n {
		var data []byte
		if i > 0 && float64(i%100) < dup*100 {
			data = gen.Redeliver()
		} else {
			data = gen.Next()
			ev, err := bigcommerce.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			unique[pipeline.EventID(&ev)] = ev.EntityID
		}
		f.srv.Publish("projects/"+psProject+"/topics/"+f.top.Topic, data, nil)
	}
	return unique
}

func (f *pipelineFixture) run(t *testing.T, srv *bqfake.Server) (*pipeline.Pipeline, func()) {
	t.Helper()
	s := openFake(t, srv, "events")
	p, err := pipeline.New(f.cfg, pipeline.Deps{
		Client: f.client, Sink: s, WorkerVersion: "test",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("pipeline Run() = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return p, stop
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storedIDs counts the fake's rows per event ID.
func storedIDs(srv *bqfake.Server) map[string]int {
	ids := map[string]int{}
	for _, r := range srv.Rows(tableParent("events")) {
		ids[r["event_id"].(string)]++
	}
	return ids
}

// While BigQuery is unavailable every batch is nacked and redelivered;
// once it is back, every unique event is written exactly once and
// nothing is dead-lettered.
func TestPipelineRedeliversThroughOutage(t *testing.T) {
	t.Parallel()
	f := newPipelineFixture(t)
	srv := startFake(t)
	var healthy atomic.Bool
	srv.SetFault(func(bqfake.Append) bqfake.Fault {
		if healthy.Load() {
			return bqfake.Fault{}
		}
		return bqfake.Fault{Code: codes.Unavailable, Message: "injected outage"}
	})
	unique := f.publish(t, 400, 0.1)
	p, stop := f.run(t, srv)
	// Each failed batch takes the client library's 4 attempts (~2 s).
	waitUntil(t, "nacks during the outage", 30*time.Second, func() bool { return p.Stats().Nacked >= 10 })
	if n := len(srv.Rows(tableParent("events"))); n != 0 {
		t.Fatalf("%d rows stored during the outage", n)
	}
	healthy.Store(true)
	waitUntil(t, "every unique event written", 60*time.Second, func() bool { return len(storedIDs(srv)) == len(unique) })
	stop()

	ids := storedIDs(srv)
	for id := range unique {
		if ids[id] != 1 {
			t.Errorf("event %s stored %d times, want once", id, ids[id])
		}
	}
	if len(ids) != len(unique) {
		t.Errorf("stored %d distinct events, want %d", len(ids), len(unique))
	}
	s := p.Stats()
	if s.DeadLettered != 0 {
		t.Errorf("a transient outage dead-lettered %d messages", s.DeadLettered)
	}
	t.Logf("stats: %d received, %d written, %d duplicates, %d nacked", s.Received, s.Written, s.Duplicates, s.Nacked)
}

// Rows BigQuery refuses are dead-lettered with reason sink_rejected and
// BigQuery's row error in dlq_error; their batch-mates are written once.
func TestPipelineDeadLettersRowErrors(t *testing.T) {
	t.Parallel()
	f := newPipelineFixture(t)
	srv := startFake(t)
	unique := f.publish(t, 300, 0)
	// Refuse every event whose entity ID ends in 7.
	refused := map[string]bool{}
	for id, entity := range unique {
		if strings.HasSuffix(entity, "7") {
			refused[id] = true
		}
	}
	if len(refused) == 0 || len(refused) == len(unique) {
		t.Fatalf("bad test data: %d of %d refused", len(refused), len(unique))
	}
	srv.SetFault(func(a bqfake.Append) bqfake.Fault {
		f := bqfake.Fault{RowErrors: map[int]string{}}
		for i, r := range a.Rows {
			if refused[r["event_id"].(string)] {
				f.RowErrors[i] = "injected: field value out of range"
			}
		}
		return f
	})
	p, stop := f.run(t, srv)
	waitUntil(t, "every message settled", 60*time.Second, func() bool { return p.Stats().Settled() >= int64(len(unique)) })
	stop()

	s := p.Stats()
	if s.DeadLettered != int64(len(refused)) || s.DeadLetteredByReason["sink_rejected"] != int64(len(refused)) {
		t.Errorf("dead-lettered %d (%v), want the %d refused as sink_rejected", s.DeadLettered, s.DeadLetteredByReason, len(refused))
	}
	ids := storedIDs(srv)
	for id := range unique {
		want := 1
		if refused[id] {
			want = 0
		}
		if ids[id] != want {
			t.Errorf("event %s stored %d times, want %d", id, ids[id], want)
		}
	}

	// The dead letters carry the row error.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	got := 0
	_ = f.client.Subscriber(f.top.DeadLetterSubscription).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		mu.Lock()
		defer mu.Unlock()
		got++
		if r := m.Attributes[pipeline.AttrReason]; r != "sink_rejected" {
			t.Errorf("dead letter reason %q", r)
		}
		if e := m.Attributes[pipeline.AttrError]; !strings.Contains(e, "field value out of range") {
			t.Errorf("dead letter error %q lacks BigQuery's row error", e)
		}
		if got == len(refused) {
			cancel()
		}
	})
	if got != len(refused) {
		t.Errorf("%d dead letters, want %d", got, len(refused))
	}
}
