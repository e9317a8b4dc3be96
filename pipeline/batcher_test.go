package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/trace"

	"bcstream/sink"
	"bcstream/sink/jsonl"
)

// recordingWriter is the batcher's write function in tests: it records
// each batch's event IDs and can be told to fail or block.
type recordingWriter struct {
	mu      sync.Mutex
	batches [][]string
	fail    func(recs []sink.Record) error
	gate    chan struct{} // when non-nil, each write waits for a receive
}

func (w *recordingWriter) write(ctx context.Context, b *batch) {
	if w.gate != nil {
		select {
		case <-w.gate:
		case <-ctx.Done():
			b.err = ctx.Err()
			return
		}
	}
	ids := make([]string, len(b.recs))
	for i, r := range b.recs {
		ids[i] = r.EventID
	}
	w.mu.Lock()
	w.batches = append(w.batches, ids)
	w.mu.Unlock()
	if w.fail != nil {
		b.err = w.fail(b.recs)
	}
}

func (w *recordingWriter) sizes() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	var n []int
	for _, b := range w.batches {
		n = append(n, len(b))
	}
	return n
}

func rec(id string, payloadBytes int) *sink.Record {
	return &sink.Record{EventID: id, Payload: make([]byte, payloadBytes)}
}

// addAndWait adds a record and waits for its batch, as a callback does.
func addAndWait(bt *batcher, r *sink.Record) error {
	b, idx, err := bt.add(r, trace.SpanContext{})
	if err != nil {
		return err
	}
	<-b.done
	return sink.RecordErr(b.err, idx)
}

func TestBatcherFlushesOnRows(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := &recordingWriter{}
		bt := newBatcher(10, 1<<20, time.Hour, w.write)
		bt.start(t.Context(), 2)
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Go(func() {
				if err := addAndWait(bt, rec(fmt.Sprint(i), 10)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := w.sizes(); !slices.Equal(got, []int{10, 10, 10}) {
			t.Fatalf("batch sizes = %v, want three batches of 10 (none should wait for the 1h delay)", got)
		}
		bt.close(t.Context())
	})
}

func TestBatcherFlushesOnDelay(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := &recordingWriter{}
		bt := newBatcher(100, 1<<20, 50*time.Millisecond, w.write)
		bt.start(t.Context(), 1)
		start := time.Now()
		if err := addAndWait(bt, rec("a", 10)); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != 50*time.Millisecond {
			t.Fatalf("a lone record was written after %v, want exactly the 50ms max delay", waited)
		}
		bt.close(t.Context())
	})
}

func TestBatcherFlushesOnBytes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := &recordingWriter{}
		one := rec("x", 1000).Size()
		bt := newBatcher(100, 3*one, time.Hour, w.write)
		bt.start(t.Context(), 1)
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() { addAndWait(bt, rec(fmt.Sprint(i), 1000)) })
		}
		wg.Wait()
		if got := w.sizes(); !slices.Equal(got, []int{3, 3}) {
			t.Fatalf("batch sizes = %v, want [3 3] from the byte limit", got)
		}
		bt.close(t.Context())
	})
}

// A record that would push a batch past the byte limit starts a new batch
// instead; a single oversized record still goes out alone.
func TestBatcherByteLimitSplitsBeforeOverflow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := &recordingWriter{}
		small := rec("s", 100).Size()
		bt := newBatcher(100, 2*small+10, 10*time.Millisecond, w.write)
		bt.start(t.Context(), 1)
		b1, _, _ := bt.add(rec("s1", 100), trace.SpanContext{})
		b2, _, _ := bt.add(rec("big", 5000), trace.SpanContext{})
		<-b1.done
		<-b2.done
		if got := w.sizes(); !slices.Equal(got, []int{1, 1}) {
			t.Fatalf("batch sizes = %v, want [1 1]", got)
		}
		bt.close(t.Context())
	})
}

func TestBatcherPerRecordErrors(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		bad := errors.New("bad row")
		w := &recordingWriter{fail: func(recs []sink.Record) error {
			errs := make([]error, len(recs))
			for i, r := range recs {
				if r.EventID == "2" {
					errs[i] = bad
				}
			}
			return &sink.BatchError{Errs: errs}
		}}
		bt := newBatcher(4, 1<<20, time.Hour, w.write)
		bt.start(t.Context(), 1)
		results := make([]error, 4)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() { results[i] = addAndWait(bt, rec(fmt.Sprint(i), 1)) })
		}
		wg.Wait()
		for i, err := range results {
			if (i == 2) != errors.Is(err, bad) {
				t.Errorf("record %d: err = %v", i, err)
			}
		}
		bt.close(t.Context())
	})
}

// With every writer busy, a full batch cannot be handed off: the callback
// that filled it blocks, and so does everything behind it. That is the
// backpressure that keeps Pub/Sub flow-control slots taken.
func TestBatcherBackpressure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := &recordingWriter{gate: make(chan struct{})}
		bt := newBatcher(2, 1<<20, time.Hour, w.write)
		bt.start(t.Context(), 1)
		done := make(chan struct{})
		go func() {
			var wg sync.WaitGroup
			for i := range 6 {
				wg.Go(func() { addAndWait(bt, rec(fmt.Sprint(i), 1)) })
			}
			wg.Wait()
			close(done)
		}()
		synctest.Wait()
		if n := len(w.sizes()); n != 0 {
			t.Fatalf("%d batches written while the writer is gated", n)
		}
		bt.mu.Lock()
		held := 0
		if bt.current != nil {
			held = len(bt.current.recs)
		}
		bt.mu.Unlock()
		if held > 2 {
			t.Fatalf("current batch holds %d records, want at most 2", held)
		}
		for range 3 {
			w.gate <- struct{}{}
		}
		<-done
		if got := w.sizes(); !slices.Equal(got, []int{2, 2, 2}) {
			t.Fatalf("batch sizes = %v, want [2 2 2]", got)
		}
		bt.close(t.Context())
	})
}

func TestBatcherCloseFlushesPartialBatch(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := &recordingWriter{}
		bt := newBatcher(100, 1<<20, time.Hour, w.write)
		bt.start(t.Context(), 1)
		b, _, _ := bt.add(rec("a", 1), trace.SpanContext{})
		if err := bt.close(t.Context()); err != nil {
			t.Fatal(err)
		}
		select {
		case <-b.done:
		default:
			t.Fatal("partial batch not written by close")
		}
		if _, _, err := bt.add(rec("late", 1), trace.SpanContext{}); !errors.Is(err, errBatcherClosed) {
			t.Fatalf("add after close: err = %v, want errBatcherClosed", err)
		}
	})
}

func TestBatcherCloseHonoursDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := &recordingWriter{gate: make(chan struct{})}
		life, stop := context.WithCancel(t.Context())
		bt := newBatcher(100, 1<<20, time.Hour, w.write)
		bt.start(life, 1)
		bt.add(rec("a", 1), trace.SpanContext{})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := bt.close(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("close with a stuck writer: err = %v, want DeadlineExceeded", err)
		}
		stop() // the hard stop releases the writer
		synctest.Wait()
	})
}

func BenchmarkBatcher(b *testing.B) {
	w := func(ctx context.Context, bt *batch) {}
	bt := newBatcher(64, 4<<20, 5*time.Millisecond, w)
	bt.start(context.Background(), 2)
	r := rec("0123456789abcdef0123456789abcdef", 200)
	b.ReportAllocs()
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bb, _, _ := bt.add(r, trace.SpanContext{})
			<-bb.done
		}
	})
	bt.close(context.Background())
}

// BenchmarkBatchAndSink measures a record's way from a callback through
// the batcher into the jsonl sink (writing to /dev/null), with 128
// concurrent callbacks as under load.
func BenchmarkBatchAndSink(b *testing.B) {
	s, err := jsonl.Open(jsonl.Config{Path: os.DevNull})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	write := func(ctx context.Context, bt *batch) { bt.err = s.Write(ctx, bt.recs) }
	bt := newBatcher(100, 4<<20, 5*time.Millisecond, write)
	bt.start(context.Background(), 2)
	now := time.Now()
	r := &sink.Record{
		EventID: "0123456789abcdef0123456789abcdef", StoreHash: "k2x8v4n1", StoreID: "1025646",
		Scope: "store/order/updated", EntityType: "order", EntityID: "4211", EventHash: "9e107d9d372bb6826bd81d3542a419d6a1b2c3d4",
		EventCreatedAt: now, PublishedAt: now, ReceivedAt: now, MessageID: "17343418371823", DeliveryAttempt: 1,
		Payload: []byte(`{"type":"order","id":4211}`), Enrichment: sink.EnrichmentSkipped, WorkerVersion: "bench",
	}
	b.ReportAllocs()
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bb, idx, err := bt.add(r, trace.SpanContext{})
			if err != nil {
				b.Error(err)
				return
			}
			<-bb.done
			if err := sink.RecordErr(bb.err, idx); err != nil {
				b.Error(err)
				return
			}
		}
	})
	bt.close(context.Background())
}

// flushIfIdle hands a partial batch to an idle writer at once, and
// leaves it to fill while every writer is busy.
func TestBatcherFlushIfIdle(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := &recordingWriter{gate: make(chan struct{})}
		bt := newBatcher(100, 1<<20, time.Hour, w.write)
		bt.start(t.Context(), 1)
		synctest.Wait() // the writer is waiting for a batch

		first, _, _ := bt.add(rec("a", 10), trace.SpanContext{})
		bt.flushIfIdle()
		synctest.Wait()
		if bt.current != nil {
			t.Fatal("with the writer idle, flushIfIdle kept the partial batch")
		}
		// The writer is now busy (held by the gate): the next records stay.
		second, _, _ := bt.add(rec("b", 10), trace.SpanContext{})
		bt.add(rec("c", 10), trace.SpanContext{})
		bt.flushIfIdle()
		if bt.current != second {
			t.Fatal("with the writer busy, flushIfIdle sent the partial batch")
		}
		w.gate <- struct{}{} // first written
		<-first.done
		synctest.Wait()
		bt.flushIfIdle()
		if bt.current != nil {
			t.Fatal("once the writer was idle again, flushIfIdle kept the partial batch")
		}
		w.gate <- struct{}{}
		<-second.done
		if got := w.sizes(); !slices.Equal(got, []int{1, 2}) {
			t.Fatalf("batch sizes = %v, want [1 2]", got)
		}
		bt.close(t.Context())
	})
}

// Once draining, no partial batch waits for BATCH_MAX_DELAY: a writer
// that finishes takes it, and a record added while a writer is idle goes
// at once. (In a synctest bubble the hour-long delay would pass in fake
// time; the clock shows whether it did.)
func TestBatcherDrainWritesPartialBatchesWithoutDelay(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := &recordingWriter{gate: make(chan struct{})}
		bt := newBatcher(100, 1<<20, time.Hour, w.write)
		bt.start(t.Context(), 1)
		synctest.Wait()

		start := time.Now()
		first, _, _ := bt.add(rec("a", 10), trace.SpanContext{})
		bt.flushIfIdle()
		synctest.Wait() // the writer holds "a" at the gate
		second, _, _ := bt.add(rec("b", 10), trace.SpanContext{})
		bt.drain() // the writer is busy: "b" stays for now
		if bt.current != second {
			t.Fatal("drain sent the partial batch while the writer was busy")
		}
		w.gate <- struct{}{} // "a" written; the writer takes "b" itself
		<-first.done
		w.gate <- struct{}{}
		<-second.done
		synctest.Wait() // the writer is idle again
		third, _, _ := bt.add(rec("c", 10), trace.SpanContext{})
		synctest.Wait()
		if bt.current != nil {
			t.Fatal("while draining, a record added with the writer idle was kept")
		}
		w.gate <- struct{}{}
		<-third.done
		if waited := time.Since(start); waited >= time.Hour {
			t.Fatalf("the batches waited %v: BATCH_MAX_DELAY still applied while draining", waited)
		}
		if got := w.sizes(); !slices.Equal(got, []int{1, 1, 1}) {
			t.Fatalf("batch sizes = %v, want [1 1 1]", got)
		}
		bt.close(t.Context())
	})
}
