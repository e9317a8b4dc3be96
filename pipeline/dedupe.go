package pipeline

import (
	"iter"
	"math"
	"sync"
	"time"
)

// deduper remembers which events were written, so that a re-sent or
// redelivered event is acked without being written again.
//
// Its rules keep at-least-once intact:
//   - tryReserve claims a key before the event is processed; a second
//     delivery of a claimed key waits for the first (concurrent duplicates
//     collapse instead of both being written);
//   - commit marks the key seen, and is called only after the sink
//     confirmed the write;
//   - release forgets the claim when the write failed, so the redelivery
//     is processed again.
//
// Memory is bounded by maxEntries (oldest keys evicted first) and by ttl;
// the key table is sized for maxEntries at startup and grows past that
// only if claimed keys (at most the outstanding messages) fill it over
// half. The store is per process: a duplicate that lands on another replica is
// written twice, which the `event_id` column lets queries collapse.
//
// One mutex guards it all. Its users are few and take it briefly: the CPU
// goroutine claims keys, and the batch writers settle a batch's claims
// under one acquisition.
type deduper struct {
	mu sync.Mutex
	// keys holds every written key (state: its expiry, Unix nanoseconds)
	// and every claimed one (state claimed or waitedOn). It holds no
	// pointers, so the garbage collector never scans it.
	keys keyTable
	// waiters holds, for a claimed key that a second delivery waits on,
	// the channel closed when the claim is settled. It is made only then,
	// so the common case allocates nothing.
	waiters map[eventKey]chan struct{}
	// fifo holds written keys in commit order. The TTL is the same for
	// every key, so this is also expiry order: eviction pops from the
	// front.
	fifo []fifoEntry
	head int
	// touched keeps touch's result, so that its reads are not dead code;
	// claimKeys is settleAll's buffer for the keys it touches.
	touched   int64
	claimKeys []eventKey

	ttl        time.Duration
	maxEntries int
	now        func() time.Time
}

// Key states in keyTable besides an expiry (which is positive).
const (
	claimed  int64 = -1 // in flight, nobody waiting
	waitedOn int64 = -2 // in flight, with a channel in waiters
)

type fifoEntry struct {
	key    eventKey
	expiry int64
}

// reservation is the outcome of tryReserve.
type reservation int

const (
	// reserved: the caller owns the key and must commit or release it.
	reserved reservation = iota
	// duplicate: the event was already written; ack without writing.
	duplicate
)

func newDeduper(ttl time.Duration, maxEntries int) *deduper {
	return &deduper{
		keys:       newKeyTable(maxEntries),
		waiters:    make(map[eventKey]chan struct{}),
		ttl:        ttl,
		maxEntries: max(1, maxEntries),
		now:        time.Now,
	}
}

// touch brings the table slots of keys into the CPU cache, taking their
// misses together; calling it for a batch of keys before claiming or
// settling them one by one saves waiting out one miss per key.
func (d *deduper) touch(keys []eventKey) {
	d.mu.Lock()
	d.touched += d.keys.touch(keys)
	d.mu.Unlock()
}

// tryReserve claims k, or reports why not: the event was written
// (duplicate), or another delivery of k is in flight, and then it returns
// a channel that is closed when that delivery is settled; the caller
// calls again after it (written → duplicate; failed → the caller claims
// the key and tries itself). A key is owned by one
// delivery at a time, so commit and release need only the key.
func (d *deduper) tryReserve(k eventKey) (reservation, <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch state := d.keys.get(k); {
	case state > d.now().UnixNano():
		return duplicate, nil
	case state == claimed:
		done := make(chan struct{})
		d.waiters[k] = done
		d.keys.set(k, waitedOn)
		return 0, done
	case state == waitedOn:
		return 0, d.waiters[k]
	}
	// New, or written so long ago that it expired (its fifo record no
	// longer matches and is skipped; see evict).
	d.keys.set(k, claimed)
	return reserved, nil
}

// commit marks k, reserved by the caller, as written at at (a time from
// d.now; a batch's writer reads it once for all of the batch's keys) and
// wakes deliveries waiting on it.
func (d *deduper) commit(k eventKey, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.commitLocked(k, at.UnixNano())
}

// release forgets the caller's claim on k after a failed write.
func (d *deduper) release(k eventKey) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.releaseLocked(k)
}

// settleAll commits (written) or releases (not written) each claim of a
// batch under one lock acquisition, after touching all of their slots.
// It returns how many it committed.
func (d *deduper) settleAll(claims iter.Seq2[eventKey, bool], at time.Time) (committed int) {
	now := at.UnixNano()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.claimKeys = d.claimKeys[:0]
	for k := range claims {
		d.claimKeys = append(d.claimKeys, k)
	}
	d.touched += d.keys.touch(d.claimKeys)
	for k, written := range claims {
		if written {
			d.commitLocked(k, now)
			committed++
		} else {
			d.releaseLocked(k)
		}
	}
	return committed
}

// commitLocked is commit with d.mu held and the time in Unix nanoseconds.
func (d *deduper) commitLocked(k eventKey, now int64) {
	d.wake(k)
	exp := now + int64(d.ttl)
	if exp <= 0 {
		// A TTL of centuries overflowed: remember the key "forever"
		// rather than store a state that reads as claimed or empty.
		exp = math.MaxInt64
	}
	d.keys.set(k, exp)
	d.fifo = append(d.fifo, fifoEntry{key: k, expiry: exp})
	d.evict(now)
}

// releaseLocked is release with d.mu held.
func (d *deduper) releaseLocked(k eventKey) {
	d.wake(k)
	d.keys.remove(k)
}

// wake closes the channel of deliveries waiting on k's claim, if any.
// Callers hold d.mu.
func (d *deduper) wake(k eventKey) {
	if done, ok := d.waiters[k]; ok {
		close(done)
		delete(d.waiters, k)
	}
}

// evict drops expired keys and, past the size bound, the oldest ones.
// Callers hold d.mu.
func (d *deduper) evict(now int64) {
	for d.head < len(d.fifo) {
		e := d.fifo[d.head]
		if e.expiry > now && len(d.fifo)-d.head <= d.maxEntries {
			break
		}
		// Delete only if the table still holds this record: the key may
		// have expired and been claimed or written again since.
		if d.keys.get(e.key) == e.expiry {
			d.keys.remove(e.key)
		}
		d.head++
	}
	// Compact once the dead prefix is at least half the slice, so the
	// copy is amortised O(1) per entry.
	if d.head > 1024 && d.head*2 >= len(d.fifo) {
		n := copy(d.fifo, d.fifo[d.head:])
		d.fifo = d.fifo[:n]
		d.head = 0
	}
}

// size returns the number of remembered written keys (for tests).
func (d *deduper) size() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, s := range d.keys.slots {
		if s.state > 0 {
			n++
		}
	}
	return n
}
