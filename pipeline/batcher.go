package pipeline

import (
	"context"
	"errors"
	"sync"
	"time"

	"bcstream/sink"

	"go.opentelemetry.io/otel/trace"
)

// errBatcherClosed is returned to records added after shutdown began.
var errBatcherClosed = errors.New("batcher closed")

// batch is a group of records written to the sink in one call. Each
// callback that added a record waits for the batch (on done, or on its
// slot's channel) and then reads its own outcome with
// sink.RecordErr(err, index).
type batch struct {
	recs  []sink.Record
	bytes int
	timer *time.Timer
	done  chan struct{}
	err   error // set before done is closed
	// slots are the records' slots, for those added with one; each is
	// signalled after done is closed.
	slots []*slot
	// links are the span contexts of the messages in the batch, so the
	// batch's write span can link to them.
	links []trace.SpanContext
}

// slot is a record's place in a batch, for a caller that adds the record
// on one goroutine and waits for the batch on another. addTo fills b and
// idx under the batcher's lock, before any writer can see the batch, and
// the writer sends on done once the batch is written: the waiter needs no
// separate hand-off from the goroutine that added the record.
type slot struct {
	b    *batch
	idx  int
	done chan<- struct{} // buffered(1): the writer never blocks on it
	key  eventKey        // the record's dedupe claim, settled by the writer
}

// batcher groups records from concurrent callbacks into batches and hands
// full (or old enough) batches to a fixed set of writer goroutines.
//
// Memory is bounded without a queue of its own: a callback blocks in add
// until its record is in a batch, and then waits for the batch's result,
// so the records held here never exceed Pub/Sub's outstanding-message
// limit. When every writer is busy, handing off a full batch blocks the
// callback that filled it, which holds its flow-control slot: that is the
// backpressure to Pub/Sub.
type batcher struct {
	maxRows  int
	maxBytes int
	maxDelay time.Duration

	mu      sync.Mutex
	current *batch
	closed  bool
	// draining is set once receiving stops: from then on no batch waits
	// for rows or for maxDelay (see drain).
	draining bool

	ready chan *batch // full batches waiting for a writer
	// sending counts goroutines between detaching a batch and handing it
	// to a writer; close waits for them before closing ready.
	sending sync.WaitGroup
	write   func(ctx context.Context, b *batch)
	wg      sync.WaitGroup

	// spare holds the slices of written batches for new ones. At the
	// default 500 rows a batch's records take ~175 KiB: allocating and
	// zeroing that per batch was a tenth of the worker's allocations.
	spare sync.Pool // of *batchSlices
}

// batchSlices are a batch's reusable slices.
type batchSlices struct {
	recs  []sink.Record
	slots []*slot
}

func newBatcher(maxRows, maxBytes int, maxDelay time.Duration, write func(context.Context, *batch)) *batcher {
	return &batcher{
		maxRows:  maxRows,
		maxBytes: maxBytes,
		maxDelay: maxDelay,
		ready:    make(chan *batch),
		write:    write,
	}
}

// start runs n writer goroutines until close. ctx bounds the writes; it
// must outlive the Receive context so that in-flight batches finish after
// SIGTERM.
func (bt *batcher) start(ctx context.Context, n int) {
	for range n {
		bt.wg.Go(func() {
			for b := range bt.ready {
				for b != nil {
					bt.write(ctx, b)
					close(b.done)
					for _, s := range b.slots {
						s.done <- struct{}{}
					}
					bt.recycle(b)
					b = bt.takeIfDraining()
				}
			}
		})
	}
}

// add puts rec into the current batch and returns the batch and the
// record's index in it. It flushes the batch when it is full.
func (bt *batcher) add(rec *sink.Record, link trace.SpanContext) (*batch, int, error) {
	return bt.addTo(rec, link, nil)
}

// addTo is add that also fills in s, if not nil, and has the writer
// signal it. Once addTo returned without error, s belongs to its waiter:
// it may already have been signalled.
func (bt *batcher) addTo(rec *sink.Record, link trace.SpanContext, s *slot) (*batch, int, error) {
	size := rec.Size()
	bt.mu.Lock()
	if bt.closed {
		bt.mu.Unlock()
		return nil, 0, errBatcherClosed
	}
	b := bt.current
	if b != nil && len(b.recs) > 0 && b.bytes+size > bt.maxBytes {
		// rec would push the batch past its byte limit: send the batch as it is.
		bt.detachLocked(b)
		bt.mu.Unlock()
		bt.send(b)
		bt.mu.Lock()
		if bt.closed {
			bt.mu.Unlock()
			return nil, 0, errBatcherClosed
		}
		b = bt.current
	}
	if b == nil {
		b = bt.newBatch()
		bt.current = b
		b.timer = time.AfterFunc(bt.maxDelay, func() { bt.flushIfCurrent(b) })
	}
	idx := len(b.recs)
	b.recs = append(b.recs, *rec)
	b.bytes += size
	if link.IsValid() {
		b.links = append(b.links, link)
	}
	if s != nil {
		s.b, s.idx = b, idx
		b.slots = append(b.slots, s)
	}
	full := len(b.recs) >= bt.maxRows || b.bytes >= bt.maxBytes
	if full {
		bt.detachLocked(b)
	}
	draining := bt.draining
	bt.mu.Unlock()
	if full {
		bt.send(b)
	} else if draining {
		bt.flushIfIdle()
	}
	return b, idx, nil
}

// newBatch returns an empty batch, reusing a written batch's slices when
// one is spare.
func (bt *batcher) newBatch() *batch {
	b := &batch{done: make(chan struct{})}
	if sl, ok := bt.spare.Get().(*batchSlices); ok {
		b.recs, b.slots = sl.recs, sl.slots
	} else {
		b.recs = make([]sink.Record, 0, bt.maxRows)
	}
	return b
}

// recycle keeps b's slices for a later batch. It runs once b is written
// and its waiters were signalled: they read only b.err and their own
// index, and the Sink contract says Write keeps no reference to the
// records. The slices are cleared so they pin no payloads.
func (bt *batcher) recycle(b *batch) {
	clear(b.recs)
	clear(b.slots)
	bt.spare.Put(&batchSlices{recs: b.recs[:0], slots: b.slots[:0]})
	b.recs, b.slots = nil, nil
}

// flushIfIdle hands the partial batch to a writer if one is idle, and
// otherwise leaves it to fill. The CPU goroutine calls it when it has
// prepared everything queued: waiting for BATCH_MAX_DELAY would only keep
// the batch's callbacks parked, each holding its message and goroutine,
// while a writer sits idle. Under load the writers are busy and batches
// still fill up to BATCH_MAX_ROWS (a slow sink, like BigQuery over the
// network, keeps them busy longest and so gets the largest batches).
//
// There is no minimum age. It used to be 5 ms, when the CPU goroutine
// took one or two jobs at a time and a fast sink got batches of two or
// three records; since it takes what every runnable callback queued
// (~25 jobs, see jobQueue.take), flushing at once measured ~1 µs/msg
// cheaper in bcload than waiting 5 ms (shorter waits keep the waiting
// callbacks' state in cache), at ~3,300 jsonl writes per 100,000
// messages instead of ~750 (counted with a throwaway build).
func (bt *batcher) flushIfIdle() {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	b := bt.current
	if b == nil || bt.closed {
		return
	}
	select {
	case bt.ready <- b: // ready is closed only after closed is set
		bt.current = nil
		b.timer.Stop()
	default:
	}
}

// detachLocked makes b no longer current. Callers hold bt.mu and then
// call send(b) after unlocking.
func (bt *batcher) detachLocked(b *batch) {
	bt.current = nil
	b.timer.Stop()
	bt.sending.Add(1)
}

// send hands a detached batch to a writer, blocking while all are busy.
func (bt *batcher) send(b *batch) {
	bt.ready <- b
	bt.sending.Done()
}

// drain stops the batcher waiting for batches to fill; Run calls it when
// receiving stops. The records still to come belong to messages in
// flight, whose callbacks wait for them to be written before Receive can
// return, and the drain budget (DRAIN_TIMEOUT) may be shorter than
// BATCH_MAX_DELAY. From now on a partial batch goes to a writer as soon
// as one is idle: at once if one is (here, or when a record is added),
// or when a writer finishes its batch (takeIfDraining).
func (bt *batcher) drain() {
	bt.mu.Lock()
	bt.draining = true
	bt.mu.Unlock()
	bt.flushIfIdle()
}

// takeIfDraining detaches the partial batch for the calling writer, which
// has just finished one, if the batcher is draining. After close the
// partial batch is close's to send.
func (bt *batcher) takeIfDraining() *batch {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	b := bt.current
	if !bt.draining || bt.closed || b == nil {
		return nil
	}
	bt.current = nil
	b.timer.Stop()
	return b
}

// flushIfCurrent sends b if it is still the batch being filled: its
// max delay has passed.
func (bt *batcher) flushIfCurrent(b *batch) {
	bt.mu.Lock()
	if bt.current != b {
		bt.mu.Unlock()
		return
	}
	bt.current = nil
	bt.sending.Add(1)
	bt.mu.Unlock()
	bt.send(b)
}

// close stops accepting records, sends the partial batch, and waits until
// the writers have finished every batch or ctx is done.
func (bt *batcher) close(ctx context.Context) error {
	bt.mu.Lock()
	if bt.closed {
		bt.mu.Unlock()
		return nil
	}
	bt.closed = true
	b := bt.current
	if b != nil {
		bt.detachLocked(b)
	}
	bt.mu.Unlock()

	// Senders blocked on bt.ready finish before it is closed: each holds
	// a batch that must be written.
	finished := make(chan struct{})
	go func() {
		if b != nil {
			bt.send(b)
		}
		bt.sending.Wait()
		close(bt.ready)
		bt.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
