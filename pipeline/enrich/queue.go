package enrich

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"bcstream/bigcommerce"
)

// errAbandoned is the result of a flight whose waiters all gave up before
// it was sent: it is dropped rather than spend the store's quota.
var errAbandoned = errors.New("fetch abandoned: no event waits for it")

// flight is one fetch that any number of events wait for.
type flight struct {
	key      string
	ev       bigcommerce.Event // the first event; its IDs name the entity
	batch    bigcommerce.BatchRef
	batchOK  bool
	cost     int // in fetchUnits, against StoreMaxFetches
	queuedAt time.Time

	// Guarded by the queue's mu.
	sent    bool
	sentAt  time.Time
	waiters int

	done chan struct{} // closed when res is set
	res  result
}

// batchGroup says which flights can share a batch request: the same call.
func (f *flight) batchGroup() string { return callID(f.batch.Call) }

// storeQueue is one store's fetches: queued ones in arrival order, at most
// StoreConcurrency running, and the admission count of waiting messages.
type storeQueue struct {
	s    *Stage
	hash string

	mu      sync.Mutex
	pending int                // messages waiting in Enrich
	cost    int                // queued and running flights, in fetchUnits
	queued  []*flight          // not yet sent, oldest first
	open    map[string]*flight // the newest flight per key, queued or running
	running int                // runner goroutines
}

// fetchUnits is what one request counts against StoreMaxFetches: a
// batchable flight costs one unit, since maxBatch of them share a request.
const fetchUnits = maxBatch

// errStoreBusy marks a message handed back because its store is at a cap.
type errStoreBusy struct {
	hash, cap string
	n         int
}

func (e *errStoreBusy) Error() string {
	return fmt.Sprintf("store %s is at %s (%d); handing the message back to Pub/Sub to retry later", e.hash, e.cap, e.n)
}

// join adds one waiting message for key: it shares the open flight for
// key if that flight's answer will be new enough for ev, or queues a new
// one. It fails, for a nack, when the store has StoreMaxPending messages
// waiting, or when the message needs a new fetch and the store's queued
// and running fetches are at StoreMaxFetches. A message that can share a
// fetch is not refused for the fetch budget: it costs no request.
func (q *storeQueue) join(key string, ev *bigcommerce.Event, now time.Time) (*flight, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending >= q.s.cfg.StoreMaxPending {
		return nil, &errStoreBusy{hash: q.hash, cap: "ENRICH_STORE_MAX_PENDING messages waiting", n: q.pending}
	}
	f := q.open[key]
	if f != nil && (!f.sent || serves(f.sentAt, ev.CreatedAt)) {
		q.s.metrics.saved(context.Background(), "shared")
	} else {
		ref, batchable := bigcommerce.BatchOf(ev)
		cost := fetchUnits
		if batchable {
			cost = 1
		}
		if q.cost+cost > q.fetchBudget()*fetchUnits {
			return nil, &errStoreBusy{hash: q.hash, cap: "ENRICH_STORE_MAX_FETCHES requests queued or in flight", n: q.cost / fetchUnits}
		}
		f = &flight{key: key, ev: *ev, queuedAt: now, done: make(chan struct{}), batch: ref, batchOK: batchable, cost: cost}
		q.cost += cost
		q.open[key] = f
		q.queued = append(q.queued, f)
		if q.running < q.s.cfg.StoreConcurrency {
			q.running++
			q.s.runners.Add(1)
			go q.run()
		}
	}
	f.waiters++
	q.pending++
	return f, nil
}

// fetchBudget is the store's StoreMaxFetches: configured, or derived from
// the quota its rate-limit headers reported (what the limiter may spend
// within MaxWait).
func (q *storeQueue) fetchBudget() int {
	if n := q.s.cfg.StoreMaxFetches; n > 0 {
		return n
	}
	st, ok := q.s.client.LimiterStats(q.hash)
	if !ok || !st.Known || st.Window <= 0 {
		return minFetchBudget
	}
	usable := st.Quota - st.Reserve
	return max(minFetchBudget, int(int64(usable)*int64(q.s.cfg.MaxWait)/int64(st.Window)))
}

// leave ends one message's wait for f.
func (q *storeQueue) leave(f *flight) {
	q.mu.Lock()
	f.waiters--
	q.pending--
	q.mu.Unlock()
}

// run sends the queue's flights until it is empty.
func (q *storeQueue) run() {
	defer q.s.runners.Done()
	for {
		fs := q.next()
		if fs == nil {
			return
		}
		q.fetch(fs)
	}
}

// next takes the flights of the next request off the queue and marks them
// sent: the oldest flight, and when it is batchable, up to maxBatch-1
// queued flights of the same call. A batchable flight younger than
// BatchWindow waits for company first (unless a full batch is queued). It
// returns nil, and the runner ends, when the queue is empty or the stage
// is closing (queued flights then fail, transiently).
func (q *storeQueue) next() []*flight {
	q.mu.Lock()
	for {
		if err := q.s.life.Err(); err != nil {
			for _, f := range q.queued {
				q.finishLocked(f, result{err: fmt.Errorf("enrichment stopped: %w", err)})
			}
			q.queued = nil
		}
		for len(q.queued) > 0 && q.queued[0].waiters == 0 {
			q.finishLocked(q.queued[0], result{err: errAbandoned})
			q.queued = q.queued[1:]
		}
		if len(q.queued) == 0 {
			q.running--
			q.mu.Unlock()
			return nil
		}
		head := q.queued[0]
		if !head.batchOK {
			q.queued = q.queued[1:]
			q.markSent(head)
			q.mu.Unlock()
			return []*flight{head}
		}
		wait := head.queuedAt.Add(q.s.cfg.BatchWindow).Sub(q.s.now())
		if wait <= 0 || q.countGroup(head) >= maxBatch {
			fs := q.takeGroup(head)
			q.mu.Unlock()
			return fs
		}
		q.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-q.s.life.Done():
			t.Stop()
		}
		q.mu.Lock() // the queue may have changed: look again
	}
}

// countGroup counts the queued flights that can share head's batch.
func (q *storeQueue) countGroup(head *flight) int {
	g, n := head.batchGroup(), 0
	for _, f := range q.queued {
		if f.batchOK && f.waiters > 0 && f.batchGroup() == g {
			n++
		}
	}
	return n
}

// takeGroup removes head and up to maxBatch-1 more flights of its group
// from the queue, marked sent.
func (q *storeQueue) takeGroup(head *flight) []*flight {
	g := head.batchGroup()
	fs := make([]*flight, 0, min(maxBatch, len(q.queued)))
	rest := q.queued[:0]
	for _, f := range q.queued {
		if len(fs) < maxBatch && f.batchOK && f.waiters > 0 && f.batchGroup() == g {
			q.markSent(f)
			fs = append(fs, f)
			continue
		}
		rest = append(rest, f)
	}
	clear(q.queued[len(rest):])
	q.queued = rest
	return fs
}

func (q *storeQueue) markSent(f *flight) {
	f.sent, f.sentAt = true, q.s.now()
}

// fetch makes the request for fs (one flight, or a batch) and finishes
// every flight.
func (q *storeQueue) fetch(fs []*flight) {
	s := q.s
	ctx, cancel := context.WithTimeout(s.life, s.cfg.MaxWait)
	defer cancel()
	if len(fs) == 1 {
		q.finish(fs[0], q.fetchOne(ctx, fs[0]))
		return
	}
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.batch.ID
	}
	found, err := s.client.EnrichBatch(ctx, q.hash, fs[0].batch.Call, ids)
	s.metrics.fetch(ctx, true)
	for range len(fs) - 1 {
		s.metrics.saved(ctx, "batch")
	}
	for _, f := range fs {
		switch e, ok := found[f.batch.ID]; {
		case err == nil && ok:
			r := s.resultOf(ctx, &f.ev, bigcommerce.Enrichment{Entity: e, Call: f.batch.Call}, nil, f.sentAt)
			q.finish(f, r)
		case err == nil || !bigcommerce.IsRetryable(err) && !errors.Is(err, bigcommerce.ErrUnauthorized):
			// Missing from the answer (gone, or the call's Alt applies)
			// or a batch the API refused: ask for this one alone, which
			// knows the call's not-found semantics.
			q.finish(f, q.fetchOne(ctx, f))
		default:
			q.finish(f, s.resultOf(ctx, &f.ev, bigcommerce.Enrichment{}, err, f.sentAt))
		}
	}
}

// fetchOne fetches one flight's entity with the catalog call.
func (q *storeQueue) fetchOne(ctx context.Context, f *flight) result {
	e, err := q.s.client.Enrich(ctx, &f.ev)
	q.s.metrics.fetch(ctx, false)
	return q.s.resultOf(ctx, &f.ev, e, err, f.sentAt)
}

// finish publishes f's result to its waiters and, when it is a fact about
// the entity, to the cache (before f stops being joinable, so that no
// event misses both).
func (q *storeQueue) finish(f *flight, r result) {
	if r.err == nil {
		q.s.cache.put(f.key, r)
	}
	q.mu.Lock()
	q.finishLocked(f, r)
	q.mu.Unlock()
}

func (q *storeQueue) finishLocked(f *flight, r result) {
	if q.open[f.key] == f {
		delete(q.open, f.key)
	}
	q.cost -= f.cost
	f.res = r
	close(f.done)
}
