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
	// keys holds both states of a key in one map, so the hot path does one
	// lookup: a written key has its expiry (Unix nanoseconds) and a nil
	// claim; a key being processed has a claim.
	keys map[eventKey]dedupeEntry
	// fifo holds seen keys in commit order. The TTL is the same for every
	// key, so this is also expiry order: eviction pops from the front.
	fifo []fifoEntry
	head int
}

type dedupeEntry struct {
	expiry int64
	claim  *claim
}

type fifoEntry struct {
	key    eventKey
	expiry int64
}

// claim is a key being processed. done is made only when a second
// delivery needs to wait for it, so the common case allocates no channel.
type claim struct {
	done chan struct{}
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
		d.shards[i].keys = make(map[eventKey]dedupeEntry)
	}
	return d
}

func (d *deduper) shard(k eventKey) *dedupeShard {
	return &d.shards[binary.LittleEndian.Uint32(k[:4])%dedupeShards]
}

// reserve claims k. If another delivery of k is in flight it waits for
// that one to finish: written → duplicate; failed → the caller claims the
// key and tries itself. A ctx error means the caller must give up (nack).
func (d *deduper) reserve(ctx context.Context, k eventKey) (*claim, reservation, error) {
	for {
		c, res, wait := d.tryReserve(k)
		if wait == nil {
			return c, res, nil
		}
		select {
		case <-wait:
			// Loop: the other delivery was written (duplicate) or failed
			// (claim the key ourselves).
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
}

// tryReserve is reserve without waiting: when another delivery of k is in
// flight it returns a channel that is closed when that delivery is
// settled, and the caller calls again after it.
func (d *deduper) tryReserve(k eventKey) (*claim, reservation, <-chan struct{}) {
	s := d.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.keys[k]
	if ok && e.claim == nil && e.expiry > d.now().UnixNano() {
		return nil, duplicate, nil
	}
	c := e.claim
	if c == nil {
		// New, or written so long ago that it expired: claim it. An
		// expired entry's fifo record no longer matches (see evict).
		c = &claim{}
		s.keys[k] = dedupeEntry{claim: c}
		return c, reserved, nil
	}
	if c.done == nil {
		c.done = make(chan struct{})
	}
	return nil, 0, c.done
}

// commit marks k as written and wakes deliveries waiting on it.
func (d *deduper) commit(k eventKey, c *claim) {
	s := d.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := d.now().UnixNano()
	exp := now + int64(d.ttl)
	s.keys[k] = dedupeEntry{expiry: exp}
	s.fifo = append(s.fifo, fifoEntry{key: k, expiry: exp})
	s.evict(now, d.maxEntries)
	if c.done != nil {
		close(c.done)
	}
}

// release forgets the claim on k after a failed write.
func (d *deduper) release(k eventKey, c *claim) {
	s := d.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, k)
	if c.done != nil {
		close(c.done)
	}
}

// evict drops expired keys and, past the size bound, the oldest ones.
// Callers hold s.mu.
func (s *dedupeShard) evict(now int64, maxEntries int) {
	for s.head < len(s.fifo) {
		e := s.fifo[s.head]
		if e.expiry > now && len(s.fifo)-s.head <= maxEntries {
			break
		}
		// Delete only if the map still holds this entry: the key may
		// have expired and been claimed or written again since.
		if cur, ok := s.keys[e.key]; ok && cur.claim == nil && cur.expiry == e.expiry {
			delete(s.keys, e.key)
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
		for _, e := range s.keys {
			if e.claim == nil {
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}
