package enrich

import (
	"errors"
	"fmt"
	"time"

	"bcstream/bigcommerce"
)

// Config tunes the stage; the variables are read by the worker.
type Config struct {
	// CacheTTL is how long a fetched entity answers later events of the
	// same entity. Short: it absorbs bursts (a bulk import updates a
	// product many times a second), not staleness.
	CacheTTL time.Duration `env:"ENRICH_CACHE_TTL, default=5s"`
	// CacheMaxBytes bounds the cache's entities; the oldest go first.
	CacheMaxBytes int `env:"ENRICH_CACHE_MAX_BYTES, default=16777216"`
	// BatchWindow is how long a batchable fetch waits for others of its
	// kind before it is sent. 0 sends at once (batches still form while
	// the store's quota holds fetches back).
	BatchWindow time.Duration `env:"ENRICH_BATCH_WINDOW, default=20ms"`
	// StoreConcurrency bounds one store's fetches in flight.
	StoreConcurrency int `env:"ENRICH_STORE_CONCURRENCY, default=4"`
	// StoreMaxFetches bounds the API requests one store may have queued or
	// in flight for enrichment. A message whose entity needs another fetch
	// is nacked and comes back later; a message that can share a queued
	// fetch costs nothing and is let in. Batchable fetches count 1/50th
	// each (they go 50 to a request). 0 means what the store's quota, as
	// its rate-limit headers report it, allows within MaxWait (at least
	// minFetchBudget): a fetch queued beyond that would time out anyway.
	// On a Standard plan (135 usable per 30 s) with MaxWait 60 s that is
	// 270 requests.
	StoreMaxFetches int `env:"ENRICH_STORE_MAX_FETCHES, default=0"`
	// StoreMaxPending bounds the messages of one store waiting for its API
	// at once, shared fetches included: it keeps one store from holding
	// every Pub/Sub flow-control slot (4 streams × 1,000 by default).
	StoreMaxPending int `env:"ENRICH_STORE_MAX_PENDING, default=2000"`
	// MaxWait bounds one message's wait for its entity; it is then nacked.
	// It is longer than BigCommerce's 30 s quota window on purpose: a
	// store that spent its quota is paused until the window ends, and its
	// events should wait that out in place rather than be nacked and
	// redelivered (which costs both sides work and, with the
	// subscription's backoff, more time). It also bounds each fetch,
	// limiter wait included.
	MaxWait time.Duration `env:"ENRICH_MAX_WAIT, default=60s"`
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	var errs []error
	if c.CacheTTL < 0 {
		errs = append(errs, fmt.Errorf("ENRICH_CACHE_TTL must not be negative, got %v", c.CacheTTL))
	}
	if c.CacheMaxBytes < 0 {
		errs = append(errs, fmt.Errorf("ENRICH_CACHE_MAX_BYTES must not be negative, got %d", c.CacheMaxBytes))
	}
	if c.BatchWindow < 0 || c.BatchWindow > time.Second {
		errs = append(errs, fmt.Errorf("ENRICH_BATCH_WINDOW must be between 0 and 1s, got %v", c.BatchWindow))
	}
	if c.StoreConcurrency < 1 {
		errs = append(errs, fmt.Errorf("ENRICH_STORE_CONCURRENCY must be at least 1, got %d", c.StoreConcurrency))
	}
	if c.StoreMaxFetches < 0 {
		errs = append(errs, fmt.Errorf("ENRICH_STORE_MAX_FETCHES must not be negative (0: derived from the quota), got %d", c.StoreMaxFetches))
	}
	if c.StoreMaxPending < 1 {
		errs = append(errs, fmt.Errorf("ENRICH_STORE_MAX_PENDING must be at least 1, got %d", c.StoreMaxPending))
	}
	if c.MaxWait <= 0 {
		errs = append(errs, fmt.Errorf("ENRICH_MAX_WAIT must be positive, got %v", c.MaxWait))
	}
	return errors.Join(errs...)
}

// maxBatch is the most entities one batch fetch asks for.
const maxBatch = bigcommerce.MaxBatchIDs

// minFetchBudget is the fetch budget (in requests) of a store whose quota
// is not known yet, and the least a derived budget can be.
const minFetchBudget = 100
