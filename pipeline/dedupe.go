package pipeline

import (
	"context"
	"encoding/binary"
	"sync"
	"time"
)

// dedupeShards spreads keys over independent locks; callbacks for
// thousands of outstanding messages hit the deduper concurrently.
const dedupeShards = 64

// deduper remembers which events were written, so that a re-sent or
// redelivered event is acked without being written again.
//
// Its rules keep at-least-once intact:
//   - reserve claims a key before the event is processed; a second
//     delivery of a claimed key waits for the first (concurrent duplicates
//     collapse instead of both being written);
//   - commit marks the key seen, and is called only after the sink
//     confirmed the write;
//   - release forgets the claim when the write failed, so the redelivery
//     is processed again.
//
// Memory is bounded by maxEntries (oldest keys evicted first) and by ttl.
// The store is per process: a duplicate that lands on another replica is
// written twice, which the `event_id` column lets queries collapse.
type deduper struct {
	shards     [dedupeShards]dedupeShard
	ttl        time.Duration
	maxEntries int // per shard
	now        func() time.Time
}

type dedupeShard struct {
	mu sync.Mutex
	// seen maps a written key to its expiry (Unix nanoseconds). It is the
	// worker's largest structure (DEDUPE_MAX_ENTRIES keys), so it holds no
	// pointers: the garbage collector never scans it. Scanning it on
	// every cycle cost the worker about a microsecond per message.
	seen map[eventKey]int64
	// inflight holds the keys being processed (at most the outstanding
	// messages). Its channel is made only when a second delivery waits,
	// so the common case allocates nothing, and is closed when the first
	// delivery is settled.
	inflight map[eventKey]chan struct{}
	// fifo holds seen keys in commit order. The TTL is the same for every
	// key, so this is also expiry order: eviction pops from the front.
	fifo []fifoEntry
	head int
}

type fifoEntry struct {
	key    eventKey
	expiry int64
}

// reservation is the outcome of reserve.
type reservation int

const (
	// reserved: the caller owns the key and must commit or release it.
	reserved reservation = iota
	// duplicate: the event was already written; ack without writing.
	duplicate
)

func newDeduper(ttl time.Duration, maxEntries int) *deduper {
	d := &deduper{ttl: ttl, maxEntries: max(1, maxEntries/dedupeShards), now: time.Now}
	for i := range d.shards {
		d.shards[i].seen = make(map[eventKey]int64)
		d.shards[i].inflight = make(map[eventKey]chan struct{})
	}
	return d
}

func (d *deduper) shard(k eventKey) *dedupeShard {
	return &d.shards[binary.LittleEndian.Uint32(k[:4])%dedupeShards]
}

// reserve claims k. If another delivery of k is in flight it waits for
// that one to finish: written → duplicate; failed → the caller claims the
// key and tries itself. A ctx error means the caller must give up (nack).
func (d *deduper) reserve(ctx context.Context, k eventKey) (reservation, error) {
	for {
		res, wait := d.tryReserve(k)
		if wait == nil {
			return res, nil
		}
		select {
		case <-wait:
			// Loop: the other delivery was written (duplicate) or failed
			// (claim the key ourselves).
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// tryReserve is reserve without waiting: when another delivery of k is in
// flight it returns a channel that is closed when that delivery is
// settled, and the caller calls again after it. A key is owned by one
// delivery at a time, so commit and release need only the key.
func (d *deduper) tryReserve(k eventKey) (reservation, <-chan struct{}) {
	s := d.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.seen[k]; ok && exp > d.now().UnixNano() {
		return duplicate, nil
	}
	// New, or written so long ago that it expired (its stale seen and
	// fifo records are replaced or skipped; see commit and evict).
	done, busy := s.inflight[k]
	if !busy {
		s.inflight[k] = nil
		return reserved, nil
	}
	if done == nil {
		done = make(chan struct{})
		s.inflight[k] = done
	}
	return 0, done
}

// commit marks k, reserved by the caller, as written at at (a time from
// d.now; a batch's writer reads it once for all of the batch's keys) and
// wakes deliveries waiting on it.
func (d *deduper) commit(k eventKey, at time.Time) {
	s := d.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := at.UnixNano()
	exp := now + int64(d.ttl)
	s.seen[k] = exp
	s.fifo = append(s.fifo, fifoEntry{key: k, expiry: exp})
	s.evict(now, d.maxEntries)
	s.settle(k)
}

// release forgets the caller's claim on k after a failed write.
func (d *deduper) release(k eventKey) {
	s := d.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(k)
}

// settle ends k's claim and wakes the deliveries waiting on it. Callers
// hold s.mu.
func (s *dedupeShard) settle(k eventKey) {
	if done := s.inflight[k]; done != nil {
		close(done)
	}
	delete(s.inflight, k)
}

// evict drops expired keys and, past the size bound, the oldest ones.
// Callers hold s.mu.
func (s *dedupeShard) evict(now int64, maxEntries int) {
	for s.head < len(s.fifo) {
		e := s.fifo[s.head]
		if e.expiry > now && len(s.fifo)-s.head <= maxEntries {
			break
		}
		// Delete only if the map still holds this record: the key may
		// have expired and been written again since.
		if cur, ok := s.seen[e.key]; ok && cur == e.expiry {
			delete(s.seen, e.key)
		}
		s.head++
	}
	// Compact once the dead prefix is at least half the slice, so the
	// copy is amortised O(1) per entry.
	if s.head > 1024 && s.head*2 >= len(s.fifo) {
		n := copy(s.fifo, s.fifo[s.head:])
		s.fifo = s.fifo[:n]
		s.head = 0
	}
}

// size returns the number of remembered keys (for tests and metrics).
func (d *deduper) size() int {
	n := 0
	for i := range d.shards {
		s := &d.shards[i]
		s.mu.Lock()
		n += len(s.seen)
		s.mu.Unlock()
	}
	return n
}
