package enrich

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"bcstream/bigcommerce"
	"bcstream/pipeline"
	"bcstream/sink"
)

// Poison reasons the stage dead-letters with.
const (
	ReasonUnknownStore      = "unknown_store"
	ReasonStoreUnauthorized = "store_unauthorized"
)

// Deps are the stage's collaborators.
type Deps struct {
	// Client calls the stores' APIs; its credentials know every
	// registered store's token. Required.
	Client *bigcommerce.Client
	// Registered reports whether a store is in the registry. Events of
	// other stores are dead-lettered (unknown_store). Required.
	Registered func(storeHash string) bool
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// MeterProvider defaults to a no-op provider.
	MeterProvider metric.MeterProvider
	// Now defaults to time.Now.
	Now func() time.Time
}

// Stage is the enrichment stage, a pipeline.Enricher. Create it with New
// and Close it after the pipeline has stopped.
type Stage struct {
	cfg        Config
	client     *bigcommerce.Client
	registered func(string) bool
	logger     *slog.Logger
	metrics    *metrics
	cache      *cache
	now        func() time.Time

	// life bounds fetches; Close cancels it.
	life    context.Context
	stop    context.CancelFunc
	runners sync.WaitGroup

	mu     sync.Mutex
	stores map[string]*storeQueue
	failed sync.Map // "store path" already logged as failed
}

var _ pipeline.Enricher = (*Stage)(nil)

// New returns a stage. It starts no goroutines until events arrive.
func New(cfg Config, deps Deps) (*Stage, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("enrich config: %w", err)
	}
	if deps.Client == nil || deps.Registered == nil {
		return nil, errors.New("enrich: a client and a store registry are required")
	}
	s := &Stage{
		cfg:        cfg,
		client:     deps.Client,
		registered: deps.Registered,
		logger:     deps.Logger,
		cache:      newCache(cfg.CacheTTL, cfg.CacheMaxBytes),
		now:        deps.Now,
		stores:     make(map[string]*storeQueue),
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	mp := deps.MeterProvider
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m, err := newMetrics(mp)
	if err != nil {
		return nil, fmt.Errorf("enrich metrics: %w", err)
	}
	s.metrics = m
	s.life, s.stop = context.WithCancel(context.Background())
	return s, nil
}

// Close cancels fetches still running and waits for the stage's
// goroutines. Events still waiting get a transient error (nack).
func (s *Stage) Close() {
	s.stop()
	s.runners.Wait()
}

// Stats returns a snapshot of the stage's counters.
func (s *Stage) Stats() Stats { return s.metrics.snapshot() }

// Prepare settles what needs no request: unknown stores, deletes, scopes
// without a call, stores whose credentials were rejected, cache hits.
func (s *Stage) Prepare(ev *bigcommerce.Event, rec *sink.Record) (bool, error) {
	ctx := context.Background()
	if !s.registered(ev.StoreHash) {
		s.metrics.outcome(ctx, ReasonUnknownStore)
		return false, pipeline.Poison(ReasonUnknownStore, fmt.Errorf(
			"store %s is not in the store registry (STORES_FILE): events of unregistered stores are not trusted", ev.StoreHash))
	}
	switch {
	case ev.Spec.Delete:
		s.setStatus(ctx, rec, sink.EnrichmentDeleted)
		return true, nil
	case ev.Spec.Enrich == nil:
		s.setStatus(ctx, rec, sink.EnrichmentSkipped)
		return true, nil
	}
	if st, ok := s.client.LimiterStats(ev.StoreHash); ok && st.CircuitOpen {
		s.metrics.outcome(ctx, ReasonStoreUnauthorized)
		return false, pipeline.Poison(ReasonStoreUnauthorized, fmt.Errorf(
			"store %s: %w", ev.StoreHash, bigcommerce.ErrStoreUnauthorized))
	}
	if r, ok := s.cache.get(fetchKey(ev), ev.CreatedAt, s.now()); ok {
		s.metrics.saved(ctx, "cache")
		return true, s.apply(ctx, ev, r, rec)
	}
	return false, nil
}

// Enrich waits for the event's entity: from a fetch it shares with
// other events of the same entity, or its own.
func (s *Stage) Enrich(ctx context.Context, ev *bigcommerce.Event, rec *sink.Record) error {
	start := s.now()
	key := fetchKey(ev)
	if r, ok := s.cache.get(key, ev.CreatedAt, start); ok {
		s.metrics.saved(ctx, "cache")
		return s.apply(ctx, ev, r, rec)
	}
	q := s.queue(ev.StoreHash)
	f, err := q.join(key, ev, start)
	if err != nil {
		s.metrics.shedOne(ctx, "store_busy")
		s.metrics.outcome(ctx, "retry")
		return err
	}
	defer q.leave(f)

	timer := time.NewTimer(s.cfg.MaxWait)
	defer timer.Stop()
	select {
	case <-f.done:
	case <-timer.C:
		s.metrics.shedOne(ctx, "max_wait")
		s.metrics.outcome(ctx, "retry")
		return fmt.Errorf("store %s: entity not fetched within ENRICH_MAX_WAIT (%v); the store's API quota is the bottleneck", ev.StoreHash, s.cfg.MaxWait)
	case <-ctx.Done():
		s.metrics.outcome(ctx, "retry")
		return fmt.Errorf("wait for entity: %w", ctx.Err())
	}
	s.metrics.waited(ctx, s.now().Sub(start))
	return s.apply(ctx, ev, f.res, rec)
}

// apply puts a fetch result on rec, or returns its error.
func (s *Stage) apply(ctx context.Context, ev *bigcommerce.Event, r result, rec *sink.Record) error {
	if r.err != nil {
		var pe *pipeline.PoisonError
		if errors.As(r.err, &pe) {
			s.metrics.outcome(ctx, pe.Reason)
		} else {
			s.metrics.outcome(ctx, "retry")
		}
		return r.err
	}
	s.setStatus(ctx, rec, r.status)
	if r.status == sink.EnrichmentOK {
		rec.Entity = r.entity
	}
	if r.status == sink.EnrichmentOK || r.status == sink.EnrichmentNotFound {
		rec.EnrichedAt = r.fetchedAt
	}
	return nil
}

func (s *Stage) setStatus(ctx context.Context, rec *sink.Record, status string) {
	rec.Enrichment = status
	s.metrics.outcome(ctx, status)
}

// queue returns the store's queue, creating it on first use.
func (s *Stage) queue(hash string) *storeQueue {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.stores[hash]
	if q == nil {
		q = &storeQueue{s: s, hash: hash, open: make(map[string]*flight)}
		s.stores[hash] = q
	}
	return q
}

// resultOf turns what the client returned into a result: a status for
// facts about the entity, an error for what the message's fate depends on.
func (s *Stage) resultOf(ctx context.Context, ev *bigcommerce.Event, e bigcommerce.Enrichment, err error, fetchedAt time.Time) result {
	r := result{fetchedAt: fetchedAt}
	switch {
	case err == nil && emptyLookup(e):
		r.status = sink.EnrichmentNotFound
	case err == nil:
		r.status, r.entity = sink.EnrichmentOK, e.Entity
	case errors.Is(err, bigcommerce.ErrNotFound):
		r.status = sink.EnrichmentNotFound
	case errors.Is(err, bigcommerce.ErrUnauthorized):
		r.err = pipeline.Poison(ReasonStoreUnauthorized, fmt.Errorf("store %s: %w", ev.StoreHash, err))
	case errors.Is(err, bigcommerce.ErrNoEnrichCall):
		r.status = sink.EnrichmentSkipped // e.g. a metafield of a resource type without a call
	case bigcommerce.IsRetryable(err) || ctx.Err() != nil:
		r.err = err
	default:
		// The payload cannot name the entity, or the API refused the
		// request for good: keep the event, without its entity.
		r.status = sink.EnrichmentFailed
		tmpl := ""
		if ev.Spec.Enrich != nil {
			tmpl = ev.Spec.Enrich.Path
		}
		if _, seen := s.failed.LoadOrStore(ev.StoreHash+" "+tmpl, true); !seen {
			s.logger.Warn("enrichment failed for good; events are stored with enrichment=failed (logged once per store and call)",
				"store", ev.StoreHash, "scope", ev.Scope, "call", tmpl, "error", err)
		}
	}
	return r
}

// emptyLookup reports an `id:in` lookup that found nothing: the API's way
// of saying not found for calls without a single-entity GET (customers).
func emptyLookup(e bigcommerce.Enrichment) bool {
	return e.Call != nil && strings.Contains(e.Call.Query, ":in={") && string(bytes.TrimSpace(e.Entity)) == "[]"
}

// fetchKey names the request an event's enrichment makes: events with the
// same key get the same entity. It is the call chain's identity plus the
// primary call's expanded path and query (the catalog's Then calls are
// made from the same IDs); events whose call has no single path
// (dispatch, per-item, fan-out) are keyed by their whole data.
func fetchKey(ev *bigcommerce.Event) string {
	call := ev.Spec.Enrich
	if call.DispatchOn == "" && !call.PerItem {
		if path, q, err := bigcommerce.ExpandPath(call, ev.Data, ev.ChannelID); err == nil {
			return ev.StoreHash + " " + callID(call) + " " + path + "?" + q.Encode()
		}
	}
	return ev.StoreHash + " " + ev.Scope + " " + strconv.FormatInt(ev.ChannelID, 10) + " " + string(ev.Data)
}

// callIDs memoizes callID by catalog entry.
var callIDs sync.Map // *bigcommerce.EnrichCall → string

// callID identifies what a call fetches: its path and query and those of
// its Then chain and Alt, so that two scopes share fetches only when
// their entities have the same shape.
func callID(call *bigcommerce.EnrichCall) string {
	if id, ok := callIDs.Load(call); ok {
		return id.(string)
	}
	var b strings.Builder
	var write func(c *bigcommerce.EnrichCall)
	write = func(c *bigcommerce.EnrichCall) {
		b.WriteString(c.Base + c.Path + "?" + c.Query)
		for i := range c.Then {
			b.WriteString(" then ")
			write(&c.Then[i])
		}
		if c.Alt != nil {
			b.WriteString(" alt ")
			write(c.Alt)
		}
	}
	write(call)
	id, _ := callIDs.LoadOrStore(call, b.String())
	return id.(string)
}
