package pipeline_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/sethvargo/go-envconfig"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	_ "modernc.org/sqlite"

	"bcstream/bigcommerce"
	"bcstream/pipeline"
	"bcstream/registrar"
	"bcstream/sink"
	_ "bcstream/sink/sqlite"
)

const project = "test-project"

// fixture is a pstest server with bcstream's topology, a pipeline config
// pointing at it, and a real SQLite sink.
type fixture struct {
	srv    *pstest.Server
	client *pubsub.Client
	top    registrar.Topology
	dbPath string
	sink   sink.Sink
	cfg    pipeline.Config
	// enricher, when set, is the pipeline's Enricher (default PassThrough).
	enricher pipeline.Enricher
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := pstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client, err := pubsub.NewClient(t.Context(), project, option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	top := registrar.DefaultTopology()
	// pstest ignores retry backoff and re-publishes dead letters in a loop
	// (see golibs.md §1.8); the worker's own dead-lettering is under test.
	top.MaxDeliveryAttempts = 0
	top.MinBackoff, top.MaxBackoff = 0, 0
	if err := registrar.EnsureTopology(t.Context(), client, top); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "events.db")
	s, err := sink.Open(t.Context(), []string{"sqlite"}, envconfig.MapLookuper(map[string]string{"SQLITE_PATH": dbPath}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })

	var cfg pipeline.Config
	if err := envconfig.ProcessWith(t.Context(), &envconfig.Config{Target: &cfg, Lookuper: envconfig.MapLookuper(map[string]string{
		"PUBSUB_SUBSCRIPTION":      top.Subscription,
		"PUBSUB_DEAD_LETTER_TOPIC": top.DeadLetterTopic,
		"PUBSUB_STREAMS":           "2",
		"BATCH_MAX_DELAY":          "10ms",
		"EXIT_WHEN_IDLE":           "0",
	})}); err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, client: client, top: top, dbPath: dbPath, sink: s, cfg: cfg}
}

func (f *fixture) publish(t *testing.T, msgs ...[]byte) {
	t.Helper()
	for _, m := range msgs {
		f.srv.Publish("projects/"+project+"/topics/"+f.top.Topic, m, nil)
	}
}

// run starts the pipeline with sink s and returns a stop function that
// cancels it and returns Run's error.
func (f *fixture) run(t *testing.T, s sink.Sink) (*pipeline.Pipeline, func() error) {
	t.Helper()
	p, err := pipeline.New(f.cfg, pipeline.Deps{
		Client: f.client, Sink: s, WorkerVersion: "test", Enricher: f.enricher,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() { cancel(); runErr = <-done })
		return runErr
	}
	t.Cleanup(func() { stop() })
	return p, stop
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func event(store, scope string, id int, hash string, createdAt int64) []byte {
	return fmt.Appendf(nil, `{"scope":%q,"store_id":"1001","data":{"type":"order","id":%d},"hash":%q,"created_at":%d,"producer":"stores/%s"}`,
		scope, id, hash, createdAt, store)
}

func hashOf(i int) string { return fmt.Sprintf("%040x", i+1) }

func countRows(t *testing.T, dbPath, where string, args ...any) int {
	t.Helper()
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM events "+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// deadLetters pulls everything from the dead-letter keep subscription.
func (f *fixture) deadLetters(t *testing.T, want int) []*pubsub.Message {
	t.Helper()
	var mu sync.Mutex
	var got []*pubsub.Message
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	sub := f.client.Subscriber(f.top.DeadLetterSubscription)
	err := sub.Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		mu.Lock()
		got = append(got, m)
		if len(got) >= want {
			cancel()
		}
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestPipelineWritesUniqueEventsAndDeadLettersPoison(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var msgs [][]byte
	for i := range 200 {
		msgs = append(msgs, event("abc123", "store/order/created", i, hashOf(i), 1_760_000_000+int64(i)))
	}
	// Duplicates: exact re-sends of ten events.
	msgs = append(msgs, msgs[:10]...)
	// Same hash and scope but a different created_at: a genuine second event.
	msgs = append(msgs, event("abc123", "store/order/created", 0, hashOf(0), 1_760_009_999))
	// Poison.
	msgs = append(msgs, []byte(`{not json`), event("abc123", "orders/created", 1, hashOf(1), 1))
	f.publish(t, msgs...)

	p, stop := f.run(t, f.sink)
	waitFor(t, "every message settled", 15*time.Second, func() bool { return p.Stats().Settled() == int64(len(msgs)) })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	s := p.Stats()
	if s.Written != 201 || s.Duplicates != 10 || s.DeadLettered != 2 {
		t.Fatalf("stats = %+v, want 201 written, 10 duplicates, 2 dead-lettered", s)
	}
	if n := countRows(t, f.dbPath, ""); n != 201 {
		t.Fatalf("sqlite rows = %d, want 201", n)
	}
	dl := f.deadLetters(t, 2)
	reasons := map[string]bool{}
	for _, m := range dl {
		reasons[m.Attributes[pipeline.AttrReason]] = true
		for _, k := range []string{pipeline.AttrOriginalMessageID, pipeline.AttrSubscription, pipeline.AttrPublishTime, pipeline.AttrError} {
			if m.Attributes[k] == "" {
				t.Errorf("dead letter %q lacks attribute %s: %v", m.Data, k, m.Attributes)
			}
		}
	}
	if !reasons["invalid_json"] || !reasons["malformed_scope"] {
		t.Fatalf("dead-letter reasons = %v, want invalid_json and malformed_scope", reasons)
	}
	for _, m := range f.srv.Messages() {
		if m.Topic == "projects/"+project+"/topics/"+f.top.Topic && m.Acks == 0 {
			t.Errorf("message %s (%.40q) was never acked (deliveries %d, modacks %v)", m.ID, m.Data, m.Deliveries, m.Modacks)
		}
	}
}

// flakySink fails every write until healthy is set, then delegates to the
// real sink. It is fault injection around the real thing, not a mock.
// A failing write takes failDelay, as a write to an unreachable
// destination does: with instant failures a batch is flushed, failed and
// nacked within microseconds, and a test polling for messages in flight
// may never see one.
type flakySink struct {
	sink.Sink
	failDelay time.Duration
	healthy   atomic.Bool
	failed    atomic.Int64
}

func (s *flakySink) Write(ctx context.Context, recs []sink.Record) error {
	if !s.healthy.Load() {
		s.failed.Add(1)
		select {
		case <-time.After(s.failDelay):
		case <-ctx.Done():
		}
		return errors.New("injected: destination unavailable")
	}
	return s.Sink.Write(ctx, recs)
}

func TestPipelineNacksWhileSinkFailsThenWritesOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 100 {
		f.publish(t, event("abc123", "store/product/updated", i, hashOf(i), 1_760_000_000))
	}
	fs := &flakySink{Sink: f.sink, failDelay: 20 * time.Millisecond}
	// Memory is bounded by flow control: with 2 streams x 20 outstanding,
	// no more than 40 messages (and so records) are ever in flight, however
	// long the sink fails.
	f.cfg.MaxOutstandingMessages = 20
	f.cfg.BatchMaxRows = 10
	p, stop := f.run(t, fs)
	maxInFlight := int64(0)
	waitFor(t, "nacks while the sink fails", 10*time.Second, func() bool {
		s := p.Stats()
		maxInFlight = max(maxInFlight, s.Received-s.Settled()-s.Nacked)
		return s.Nacked >= 300 && fs.failed.Load() >= 3
	})
	if limit := int64(f.cfg.MaxOutstandingMessages * f.cfg.Streams); maxInFlight > limit {
		t.Fatalf("%d messages in flight while the sink failed, want <= %d (flow control must bound memory)", maxInFlight, limit)
	}
	if maxInFlight == 0 {
		t.Fatal("never saw a message in flight: the bound was not exercised")
	}
	if n := countRows(t, f.dbPath, ""); n != 0 {
		t.Fatalf("rows written while failing = %d", n)
	}
	fs.healthy.Store(true)
	waitFor(t, "all written after recovery", 15*time.Second, func() bool { return p.Stats().Written == 100 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, f.dbPath, ""); n != 100 {
		t.Fatalf("rows = %d, want 100", n)
	}
	if s := p.Stats(); s.DeadLettered != 0 {
		t.Fatalf("transient sink failures dead-lettered %d messages", s.DeadLettered)
	}
}

// rejectingSink rejects records for one entity ID permanently.
type rejectingSink struct{ sink.Sink }

func (s rejectingSink) Write(ctx context.Context, recs []sink.Record) error {
	errs := make([]error, len(recs))
	var good []sink.Record
	var idx []int
	for i, r := range recs {
		if r.EntityID == "13" {
			errs[i] = fmt.Errorf("%w: injected schema violation", sink.ErrRejected)
			continue
		}
		good = append(good, r)
		idx = append(idx, i)
	}
	if err := s.Sink.Write(ctx, good); err != nil {
		for j, i := range idx {
			errs[i] = sink.RecordErr(err, j)
		}
	}
	for _, e := range errs {
		if e != nil {
			return &sink.BatchError{Errs: errs}
		}
	}
	return nil
}

func TestPipelineDeadLettersOnlyRejectedRecords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 50 {
		f.publish(t, event("abc123", "store/order/updated", i, hashOf(i), 1_760_000_000))
	}
	p, stop := f.run(t, rejectingSink{f.sink})
	waitFor(t, "all settled", 15*time.Second, func() bool { return p.Stats().Settled() == 50 })
	stop()
	if s := p.Stats(); s.Written != 49 || s.DeadLettered != 1 || s.DeadLetteredByReason["sink_rejected"] != 1 {
		t.Fatalf("stats = %+v, want 49 written and 1 dead-lettered as sink_rejected", s)
	}
	if n := countRows(t, f.dbPath, ""); n != 49 {
		t.Fatalf("rows = %d, want 49", n)
	}
	dl := f.deadLetters(t, 1)
	if got := dl[0].Attributes[pipeline.AttrReason]; got != "sink_rejected" {
		t.Fatalf("reason = %q", got)
	}
}

// When the dead-letter topic cannot take the message, the message is
// nacked, not acked and lost.
func TestPipelineNacksPoisonWhenDeadLetterPublishFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p, stop := f.run(t, f.sink)
	waitFor(t, "receiving", 5*time.Second, p.Running)
	if err := f.client.TopicAdminClient.DeleteTopic(t.Context(), &pubsubpb.DeleteTopicRequest{Topic: "projects/" + project + "/topics/" + f.top.DeadLetterTopic}); err != nil {
		t.Fatal(err)
	}
	f.publish(t, []byte(`{"scope":`))
	waitFor(t, "a nack", 10*time.Second, func() bool { return p.Stats().Nacked >= 1 })
	stop()
	if s := p.Stats(); s.DeadLettered != 0 {
		t.Fatalf("counted %d dead-lettered although the publish failed", s.DeadLettered)
	}
	for _, m := range f.srv.Messages() {
		if m.Acks > 0 {
			t.Fatalf("poison message acked although its dead-letter publish failed")
		}
	}
}

func TestPipelineFailsFastOnMissingResources(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, sub, dlq, want string
	}{
		{"subscription", "no-such-sub", "", "no-such-sub (PUBSUB_SUBSCRIPTION)"},
		{"dead-letter topic", "", "no-such-topic", "no-such-topic (PUBSUB_DEAD_LETTER_TOPIC)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if tc.sub != "" {
				f.cfg.Subscription = tc.sub
			}
			if tc.dlq != "" {
				f.cfg.DeadLetterTopic = tc.dlq
			}
			p, err := pipeline.New(f.cfg, pipeline.Deps{Client: f.client, Sink: f.sink, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			err = p.Run(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run error = %v, want one naming %q", err, tc.want)
			}
		})
	}
}

// slowSink delays every write, so a shutdown lands mid-stream.
type slowSink struct {
	sink.Sink
	delay time.Duration
}

func (s slowSink) Write(ctx context.Context, recs []sink.Record) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Sink.Write(ctx, recs)
}

// A shutdown in the middle of a stream acks exactly what was written: no
// acked message is missing from the sink.
func TestPipelineShutdownAcksOnlyWrittenEvents(t *testing.T) {
	t.Parallel()
	for _, drain := range []time.Duration{5 * time.Second, 30 * time.Millisecond} {
		t.Run(fmt.Sprint("drain=", drain), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.cfg.DrainTimeout = drain
			f.cfg.BatchMaxRows = 50
			for i := range 2000 {
				f.publish(t, event("abc123", "store/order/created", i, hashOf(i), 1_760_000_000))
			}
			p, stop := f.run(t, slowSink{Sink: f.sink, delay: 40 * time.Millisecond})
			waitFor(t, "some writes", 10*time.Second, func() bool { return p.Stats().Written >= 200 })
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			written := map[string]bool{}
			db, err := sql.Open("sqlite", f.dbPath)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rows, err := db.Query("SELECT event_id FROM events")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id string
				rows.Scan(&id)
				written[id] = true
			}
			acked := 0
			for _, m := range f.srv.Messages() {
				if m.Acks == 0 {
					continue
				}
				acked++
				ev, err := bigcommerce.Decode(m.Data)
				if err != nil {
					t.Fatal(err)
				}
				if !written[pipeline.EventID(&ev)] {
					t.Errorf("message %s acked but its event is not in the sink", m.ID)
				}
			}
			if acked == 0 || acked == 2000 {
				t.Fatalf("acked %d of 2000: the shutdown did not land mid-stream", acked)
			}
			// A write that completes just as the budget runs out can leave
			// an event in the sink whose message was nacked (it will be
			// redelivered and rewritten idempotently), never the reverse.
			if acked > len(written) {
				t.Errorf("acked %d messages but the sink holds only %d events", acked, len(written))
			}
		})
	}
}

// Concurrent deliveries of one event collapse: one write, the rest acked
// as duplicates, each delivery counted once.
func TestPipelineConcurrentDuplicatesCollapse(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ev := event("abc123", "store/cart/updated", 5, hashOf(5), 1_760_000_000)
	for range 20 {
		f.publish(t, ev)
	}
	p, stop := f.run(t, slowSink{Sink: f.sink, delay: 200 * time.Millisecond})
	waitFor(t, "all settled", 10*time.Second, func() bool { return p.Stats().Settled() == 20 })
	stop()
	if s := p.Stats(); s.Received != 20 || s.Written != 1 || s.Duplicates != 19 {
		t.Fatalf("stats = %+v, want 20 received, 1 written, 19 duplicates", s)
	}
	if n := countRows(t, f.dbPath, ""); n != 1 {
		t.Fatalf("rows = %d, want 1", n)
	}
}

// slowEnricher leaves every event to its blocking step, which takes a
// while, as a store API call does.
type slowEnricher struct{ delay time.Duration }

func (slowEnricher) Prepare(*bigcommerce.Event, *sink.Record) (bool, error) { return false, nil }

func (e slowEnricher) Enrich(ctx context.Context, _ *bigcommerce.Event, rec *sink.Record) error {
	select {
	case <-time.After(e.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	rec.Enrichment = sink.EnrichmentSkipped
	return nil
}

// An enriched record joins its batch from the callback goroutine, after
// the CPU goroutine's last look at the batcher. With the writers idle it
// must be written at once, not after BATCH_MAX_DELAY (an hour here): a
// quiet store's events would otherwise each wait the full delay.
func TestPipelineWritesEnrichedRecordsWithoutWaitingForTheDelay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.cfg.BatchMaxDelay = time.Hour
	f.enricher = slowEnricher{delay: 20 * time.Millisecond}
	p, _ := f.run(t, f.sink)

	f.publish(t, event("abc123", "store/order/updated", 1, hashOf(1), 1_700_000_000))
	waitFor(t, "the enriched event to be written", 10*time.Second, func() bool {
		return p.Stats().Written == 1
	})
	if n := countRows(t, f.dbPath, ""); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
}
