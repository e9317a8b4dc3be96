package bigquery_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"bcstream/sink"
	"bcstream/sink/bigquery"
	"bcstream/sink/bigquery/bqfake"
	"bcstream/sink/sinktest"
)

// TestConformanceFake runs the shared sink suite against the in-process
// Storage Write fake, one table per subtest.
func TestConformanceFake(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	var mu sync.Mutex
	tables := map[*testing.T]string{}
	tableFor := func(t *testing.T) string {
		mu.Lock()
		defer mu.Unlock()
		name, ok := tables[t]
		if !ok {
			name = "t" + strings.NewReplacer("/", "_", "-", "_").Replace(t.Name())
			tables[t] = name
		}
		return name
	}
	sinktest.Run(t, func(t *testing.T) sink.Sink {
		return openFake(t, srv, tableFor(t))
	}, sinktest.Options{
		ReadAll: func(t *testing.T) []sink.Record {
			return recordsOf(t, srv.Rows(tableParent(tableFor(t))))
		},
		RejectsInvalid: true,
		TimePrecision:  time.Microsecond,
	})
}

// A Write that BigQuery keeps answering with Unavailable fails as a whole
// with a plain, transient error — not a rejection — so that the pipeline
// nacks every message; after the outage the same records are written.
func TestUnavailableFailsWholeBatchThenRecovers(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	s := openFake(t, srv, "events")
	srv.SetFault(func(bqfake.Append) bqfake.Fault {
		return bqfake.Fault{Code: codes.Unavailable, Message: "injected outage"}
	})
	recs := sinktest.Records(t.Name(), 20)
	err := s.Write(t.Context(), recs)
	if err == nil {
		t.Fatal("Write() during an outage = nil")
	}
	var be *sink.BatchError
	if errors.As(err, &be) || errors.Is(err, sink.ErrRejected) {
		t.Fatalf("Write() during an outage = %v, want a plain transient error", err)
	}
	if !strings.Contains(err.Error(), "transient") {
		t.Errorf("error %q does not say it is transient", err)
	}
	if a := srv.Stats().Appends; a < 2 {
		t.Errorf("the fake saw %d appends, want the client's retries (EnableWriteRetries)", a)
	}
	if n := len(srv.Rows(tableParent("events"))); n != 0 {
		t.Fatalf("%d rows stored during the outage", n)
	}

	srv.SetFault(nil)
	if err := s.Write(t.Context(), recs); err != nil {
		t.Fatalf("Write() after the outage = %v", err)
	}
	if diff := sinktest.Diff(recs, recordsOf(t, srv.Rows(tableParent("events"))), time.Microsecond); diff != "" {
		t.Fatal(diff)
	}
}

// ResourceExhausted other than the throughput quota is not retried by the
// client library; the sink still reports it as transient (nack).
func TestResourceExhaustedIsTransient(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	s := openFake(t, srv, "events")
	srv.SetFault(func(bqfake.Append) bqfake.Fault {
		return bqfake.Fault{Code: codes.ResourceExhausted, Message: "injected quota"}
	})
	err := s.Write(t.Context(), sinktest.Records(t.Name(), 5))
	if err == nil || errors.Is(err, sink.ErrRejected) || !strings.Contains(err.Error(), "transient") {
		t.Fatalf("Write() = %v, want a transient error", err)
	}
}

// A writer whose appends keep failing is replaced: with
// BIGQUERY_RECREATE_AFTER=2, two failed Writes make the next one open a
// new stream (a GetWriteStream call).
func TestWriterRecreatedAfterRepeatedFailures(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	s := openFake(t, srv, "events", "BIGQUERY_RECREATE_AFTER", "2")
	if got := s.StreamsOpened(); got != 1 {
		t.Fatalf("StreamsOpened() after Open = %d, want 1", got)
	}
	srv.SetFault(func(bqfake.Append) bqfake.Fault {
		return bqfake.Fault{Code: codes.ResourceExhausted, Message: "injected"}
	})
	for i := range 2 {
		if err := s.Write(t.Context(), sinktest.Records(t.Name(), 3)); err == nil {
			t.Fatalf("Write %d succeeded under the fault", i)
		}
	}
	srv.SetFault(nil)
	recs := sinktest.Records(t.Name()+"/after", 3)
	if err := s.Write(t.Context(), recs); err != nil {
		t.Fatalf("Write() after recovery = %v", err)
	}
	if got := s.StreamsOpened(); got != 2 {
		t.Errorf("StreamsOpened() = %d, want 2 (the failing writer replaced once)", got)
	}
	if got := srv.Stats().GetWriteStream; got != 2 {
		t.Errorf("fake saw %d GetWriteStream calls, want 2", got)
	}
}

// A stream broken by the server (the connection drops mid-append) is
// reopened by the client library and the append retried: the Write
// succeeds and nothing is lost.
func TestBrokenStreamIsRetried(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	s := openFake(t, srv, "events")
	var once sync.Once
	srv.SetFault(func(bqfake.Append) bqfake.Fault {
		var f bqfake.Fault
		once.Do(func() { f = bqfake.Fault{Code: codes.Unavailable, Message: "connection reset", BreakStream: true} })
		return f
	})
	recs := sinktest.Records(t.Name(), 30)
	if err := s.Write(t.Context(), recs); err != nil {
		t.Fatalf("Write() across a broken stream = %v", err)
	}
	if st := srv.Stats(); st.Streams < 2 {
		t.Errorf("fake saw %d AppendRows streams, want a reconnect", st.Streams)
	}
	if diff := sinktest.Diff(recs, recordsOf(t, srv.Rows(tableParent("events"))), time.Microsecond); diff != "" {
		t.Fatal(diff)
	}
}

// Row errors reject only the rows BigQuery named: the request is sent
// again without them, and the others are stored once.
func TestRowErrorsRejectOnlyThoseRows(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	s := openFake(t, srv, "events")
	recs := sinktest.Records(t.Name(), 10)
	bad := map[string]bool{recs[2].EventID: true, recs[7].EventID: true}
	srv.SetFault(func(a bqfake.Append) bqfake.Fault {
		f := bqfake.Fault{RowErrors: map[int]string{}}
		for i, r := range a.Rows {
			if bad[r["event_id"].(string)] {
				f.RowErrors[i] = "injected: value out of range"
			}
		}
		return f
	})
	err := s.Write(t.Context(), recs)
	var want []sink.Record
	for i, r := range recs {
		got := sink.RecordErr(err, i)
		switch {
		case bad[r.EventID] && !errors.Is(got, sink.ErrRejected):
			t.Errorf("record %d: %v, want a rejection", i, got)
		case bad[r.EventID] && !strings.Contains(got.Error(), "value out of range"):
			t.Errorf("record %d: %v, want BigQuery's row error in it", i, got)
		case !bad[r.EventID] && got != nil:
			t.Errorf("record %d: %v, want nil", i, got)
		case !bad[r.EventID]:
			want = append(want, r)
		}
	}
	if diff := sinktest.Diff(want, recordsOf(t, srv.Rows(tableParent("events"))), time.Microsecond); diff != "" {
		t.Fatal(diff)
	}
}

// An append slower than BIGQUERY_APPEND_TIMEOUT fails the Write with a
// deadline error (transient: nack) on time. BigQuery may still apply such
// an append, so the redelivery can store the rows a second time — the
// at-least-once contract — but never loses them.
func TestSlowAppendTimesOut(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	s := openFake(t, srv, "events", "BIGQUERY_APPEND_TIMEOUT", "200ms")
	var once sync.Once
	srv.SetFault(func(bqfake.Append) bqfake.Fault {
		var f bqfake.Fault
		once.Do(func() { f.Delay = time.Second })
		return f
	})
	recs := sinktest.Records(t.Name(), 4)
	start := time.Now()
	err := s.Write(t.Context(), recs)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write() = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("Write() took %v, want about the 200ms append timeout", d)
	}
	// Redeliveries: the stream answers in order, so they queue behind the
	// slow append and time out too. After BIGQUERY_RECREATE_AFTER (3)
	// timeouts in a row the sink replaces the writer, and the next
	// redelivery succeeds on a new stream.
	for attempt := 1; ; attempt++ {
		if err = s.Write(t.Context(), recs); err == nil {
			break
		}
		t.Logf("redelivery %d: %v", attempt, err)
		if attempt == 20 {
			t.Fatalf("Write() still failing after %d redeliveries: %v", attempt, err)
		}
	}
	copies := map[string]int{}
	got := recordsOf(t, srv.Rows(tableParent("events")))
	for _, r := range got {
		copies[r.EventID]++
	}
	for _, r := range recs {
		if copies[r.EventID] < 1 {
			t.Errorf("event %s lost", r.EventID)
		}
	}
	if diff := sinktest.Diff(recs, dedupe(got), time.Microsecond); diff != "" {
		t.Fatal(diff)
	}
	if got := s.StreamsOpened(); got != 2 {
		t.Errorf("StreamsOpened() = %d, want 2 (the stuck writer replaced)", got)
	}
	t.Logf("rows stored: %d for %d events; fake stats %+v", len(got), len(recs), srv.Stats())
}

// dedupe keeps the first record per EventID, as the events_dedup view does.
func dedupe(recs []sink.Record) []sink.Record {
	seen := map[string]bool{}
	var out []sink.Record
	for _, r := range recs {
		if !seen[r.EventID] {
			seen[r.EventID] = true
			out = append(out, r)
		}
	}
	return out
}

// Write after Close fails; Close waits for a Write in flight.
func TestCloseWaitsForWrites(t *testing.T) {
	t.Parallel()
	srv := startFake(t)
	s, err := bigquery.New(t.Context(), fakeEnv(srv, "events"))
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFault(func(bqfake.Append) bqfake.Fault { return bqfake.Fault{Delay: 300 * time.Millisecond} })
	recs := sinktest.Records(t.Name(), 3)
	done := make(chan error, 1)
	go func() { done <- s.Write(t.Context(), recs) }()
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(t.Context()); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Write() in flight during Close = %v, want nil (Close waits)", err)
		}
	default:
		t.Fatal("Close returned before the Write in flight")
	}
	if err := s.Write(t.Context(), recs); err == nil {
		t.Fatal("Write() after Close = nil")
	}
}
