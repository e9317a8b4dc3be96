package enrich

import (
	"sync"
	"time"
)

// result is what a fetch found out about one entity.
type result struct {
	status    string // sink.Enrichment*
	entity    []byte // for status ok
	fetchedAt time.Time
	err       error // transient or poison: the waiters' error instead of a status
}

// serves reports whether a fetch sent at fetchedAt may stand for an event
// created at createdAt: it must have been sent at least a second
// (created_at's resolution) after the event, so that it saw the change.
func serves(fetchedAt, createdAt time.Time) bool {
	return createdAt.IsZero() || !fetchedAt.Before(createdAt.Add(time.Second))
}

// cache keeps recent results by fetch key for ttl, within maxBytes of
// entities. Eviction is oldest first: entries are added in fetch order,
// so the oldest is also the first to expire.
type cache struct {
	ttl      time.Duration
	maxBytes int

	mu    sync.Mutex
	byKey map[string]*cacheEntry
	order []*cacheEntry // FIFO; entries may be stale (replaced)
	head  int
	bytes int
}

type cacheEntry struct {
	key     string
	res     result
	expires time.Time
	live    bool // false once replaced or evicted
}

func newCache(ttl time.Duration, maxBytes int) *cache {
	return &cache{ttl: ttl, maxBytes: maxBytes, byKey: make(map[string]*cacheEntry)}
}

// get returns the cached result for key if it is fresh at now and serves
// an event created at createdAt.
func (c *cache) get(key string, createdAt, now time.Time) (result, bool) {
	if c.ttl <= 0 {
		return result{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byKey[key]
	if e == nil || !now.Before(e.expires) || !serves(e.res.fetchedAt, createdAt) {
		return result{}, false
	}
	return e.res, true
}

// put stores r (a result with a status, not an error) under key, unless
// a newer fetch of the key is cached already.
func (c *cache) put(key string, r result) {
	if c.ttl <= 0 || r.err != nil || len(r.entity) > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.byKey[key]; old != nil {
		if old.res.fetchedAt.After(r.fetchedAt) {
			return
		}
		c.drop(old)
	}
	e := &cacheEntry{key: key, res: r, expires: r.fetchedAt.Add(c.ttl), live: true}
	c.byKey[key] = e
	c.order = append(c.order, e)
	c.bytes += len(r.entity)
	c.evict(r.fetchedAt)
}

// evict drops expired entries and, while over maxBytes, the oldest.
func (c *cache) evict(now time.Time) {
	for c.head < len(c.order) {
		e := c.order[c.head]
		if e.live && now.Before(e.expires) && c.bytes <= c.maxBytes {
			break
		}
		if e.live {
			c.drop(e)
		}
		c.order[c.head] = nil
		c.head++
	}
	// Compact the FIFO once its dead prefix dominates.
	if c.head > 1024 && c.head*2 > len(c.order) {
		c.order = append(c.order[:0], c.order[c.head:]...)
		c.head = 0
	}
}

func (c *cache) drop(e *cacheEntry) {
	e.live = false
	c.bytes -= len(e.res.entity)
	if c.byKey[e.key] == e {
		delete(c.byKey, e.key)
	}
}
