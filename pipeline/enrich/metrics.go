package enrich

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const meterName = "bcstream/pipeline/enrich"

// metrics are the stage's OpenTelemetry instruments plus plain counters
// for Stats (the local run and the load tool read them without an
// exporter). Per-request figures — requests, 429s, retries, limiter wait,
// open circuits — are the API client's (bcstream.bigcommerce.*).
type metrics struct {
	fetches, batchFetches, coalesced, cacheHits, shed, timedOut atomic.Int64

	mu       sync.Mutex
	byStatus map[string]int64

	mEvents    metric.Int64Counter
	mFetches   metric.Int64Counter
	mCoalesced metric.Int64Counter
	mShed      metric.Int64Counter
	mWait      metric.Float64Histogram
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	m := &metrics{byStatus: map[string]int64{}}
	meter := mp.Meter(meterName)
	var err error
	counter := func(name, desc, unit string) metric.Int64Counter {
		if err != nil {
			return nil
		}
		var c metric.Int64Counter
		c, err = meter.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit(unit))
		return c
	}
	m.mEvents = counter("bcstream.enrich.events", "Events enriched, by outcome (ok, not_found, deleted, skipped, failed, unknown_store, store_unauthorized, retry).", "{event}")
	m.mFetches = counter("bcstream.enrich.fetches", "Fetches made for events (one per entity, or one per batch), by kind (single, batch).", "{fetch}")
	m.mCoalesced = counter("bcstream.enrich.coalesced", "Events served without a fetch of their own: by a shared fetch, a batch or the cache (API calls saved), by how.", "{event}")
	m.mShed = counter("bcstream.enrich.shed", "Messages nacked because their store already had ENRICH_STORE_MAX_PENDING waiting, or they waited ENRICH_MAX_WAIT, by cause.", "{message}")
	if err != nil {
		return nil, err
	}
	m.mWait, err = meter.Float64Histogram("bcstream.enrich.wait", metric.WithDescription("Time an event waited for its entity (queue, quota and request)."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60))
	return m, err
}

func (m *metrics) outcome(ctx context.Context, status string) {
	m.mu.Lock()
	m.byStatus[status]++
	m.mu.Unlock()
	m.mEvents.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", status)))
}

func (m *metrics) fetch(ctx context.Context, batch bool) {
	kind := "single"
	if batch {
		kind = "batch"
		m.batchFetches.Add(1)
	}
	m.fetches.Add(1)
	m.mFetches.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", kind)))
}

func (m *metrics) saved(ctx context.Context, how string) {
	if how == "cache" {
		m.cacheHits.Add(1)
	}
	m.coalesced.Add(1)
	m.mCoalesced.Add(ctx, 1, metric.WithAttributes(attribute.String("how", how)))
}

func (m *metrics) shedOne(ctx context.Context, cause string) {
	if cause == "max_wait" {
		m.timedOut.Add(1)
	} else {
		m.shed.Add(1)
	}
	m.mShed.Add(ctx, 1, metric.WithAttributes(attribute.String("cause", cause)))
}

func (m *metrics) waited(ctx context.Context, d time.Duration) { m.mWait.Record(ctx, d.Seconds()) }

// Stats is a snapshot of the stage's counters.
type Stats struct {
	// ByOutcome counts events by enrichment status, plus unknown_store,
	// store_unauthorized and retry (nacked).
	ByOutcome map[string]int64
	// Fetches counts fetches made (a batch counts once); BatchFetches is
	// how many of them were batches.
	Fetches, BatchFetches int64
	// Coalesced counts events served by another event's fetch, a batch or
	// the cache; CacheHits is the cache's share.
	Coalesced, CacheHits int64
	// Shed counts messages nacked because their store had too many
	// waiting; TimedOut those nacked after ENRICH_MAX_WAIT.
	Shed, TimedOut int64
}

func (m *metrics) snapshot() Stats {
	m.mu.Lock()
	by := make(map[string]int64, len(m.byStatus))
	for k, v := range m.byStatus {
		by[k] = v
	}
	m.mu.Unlock()
	return Stats{ByOutcome: by, Fetches: m.fetches.Load(), BatchFetches: m.batchFetches.Load(),
		Coalesced: m.coalesced.Load(), CacheHits: m.cacheHits.Load(), Shed: m.shed.Load(), TimedOut: m.timedOut.Load()}
}
