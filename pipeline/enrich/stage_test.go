package enrich_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
	"bcstream/pipeline"
	"bcstream/pipeline/enrich"
	"bcstream/sink"
)

// harness is a simulated BigCommerce with a few stores, an API client for
// it and a stage on top.
type harness struct {
	t      *testing.T
	sim    *bctest.Simulator
	client *bigcommerce.Client
	stage  *enrich.Stage
	stores []bctest.StoreConfig
}

func testConfig() enrich.Config {
	return enrich.Config{CacheTTL: 5 * time.Second, CacheMaxBytes: 1 << 24, BatchWindow: 20 * time.Millisecond,
		StoreConcurrency: 4, StoreMaxFetches: 100, StoreMaxPending: 500, MaxWait: 10 * time.Second}
}

func newHarness(t *testing.T, opts bctest.Options, cfg enrich.Config) *harness {
	t.Helper()
	if len(opts.Stores) == 0 {
		for _, s := range bctest.DefaultStores(3) {
			opts.Stores = append(opts.Stores, bctest.StoreConfig{Store: s})
		}
	}
	sim := bctest.NewSimulator(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	h := &harness{t: t, sim: sim, stores: sim.Stores()}
	tokens := map[string]string{}
	for _, s := range h.stores {
		tokens[s.Hash] = s.Token
	}
	client, err := bigcommerce.NewClient(srv.URL, tokenMap(tokens),
		bigcommerce.WithBackoff(time.Millisecond, 20*time.Millisecond), bigcommerce.WithCircuitCooldown(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	h.client = client
	h.stage, err = enrich.New(cfg, enrich.Deps{
		Client:     client,
		Registered: func(hash string) bool { _, ok := tokens[hash]; return ok },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.stage.Close)
	return h
}

type tokenMap map[string]string

func (m tokenMap) Token(_ context.Context, hash string) (string, error) {
	if tok, ok := m[hash]; ok {
		return tok, nil
	}
	return "", errors.New("no token")
}

// enrich runs ev through the stage the way the pipeline does.
func (h *harness) enrich(ev bigcommerce.Event) (sink.Record, error) {
	var rec sink.Record
	done, err := h.stage.Prepare(&ev, &rec)
	if err == nil && !done {
		err = h.stage.Enrich(context.Background(), &ev, &rec)
	}
	return rec, err
}

// enrichAll runs evs concurrently, as the pipeline's callbacks would.
func (h *harness) enrichAll(evs []bigcommerce.Event) ([]sink.Record, []error) {
	recs := make([]sink.Record, len(evs))
	errs := make([]error, len(evs))
	var wg sync.WaitGroup
	for i := range evs {
		wg.Go(func() { recs[i], errs[i] = h.enrich(evs[i]) })
	}
	wg.Wait()
	return recs, errs
}

func decodeAll(t *testing.T, envs []bctest.Envelope) []bigcommerce.Event {
	t.Helper()
	evs := make([]bigcommerce.Event, len(envs))
	for i, env := range envs {
		ev, err := bigcommerce.Decode(env.Body)
		if err != nil {
			t.Fatalf("decode %s: %v", env.Body, err)
		}
		evs[i] = ev
	}
	return evs
}

func (h *harness) event(hash, scope string) bigcommerce.Event {
	h.t.Helper()
	env, err := h.sim.EventFor(hash, scope)
	if err != nil {
		h.t.Fatal(err)
	}
	return decodeAll(h.t, []bctest.Envelope{env})[0]
}

// withData returns ev with other data (another entity).
func withData(ev bigcommerce.Event, data string) bigcommerce.Event {
	ev.Data = json.RawMessage(data)
	return ev
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 1, Quota: -1}, testConfig())
	hash := h.stores[0].Hash

	product := h.event(hash, "store/product/updated")
	want, err := h.client.Enrich(context.Background(), &product)
	if err != nil {
		t.Fatal(err)
	}
	noCall := ""
	for _, scope := range bigcommerce.Scopes() {
		if spec, _ := bigcommerce.Lookup(scope); spec.Enrich == nil && !spec.Delete {
			noCall = scope
			break
		}
	}
	if noCall == "" {
		t.Fatal("the catalog has no scope without an enrich call to test with")
	}
	skipped := product
	skipped.Scope = noCall
	skipped.Spec, _ = bigcommerce.Lookup(noCall)
	deleted := product
	deleted.Scope = "store/product/deleted"
	deleted.Spec, _ = bigcommerce.Lookup(deleted.Scope)
	stranger := product
	stranger.StoreHash = "zz9zz9zz"
	customer := h.event(hash, "store/customer/updated")

	for _, tc := range []struct {
		name       string
		ev         bigcommerce.Event
		wantStatus string
		wantEntity json.RawMessage
		wantPoison string
	}{
		{name: "ok", ev: product, wantStatus: sink.EnrichmentOK, wantEntity: want.Entity},
		{name: "deleted", ev: deleted, wantStatus: sink.EnrichmentDeleted},
		{name: "no call", ev: skipped, wantStatus: sink.EnrichmentSkipped},
		{name: "product gone", ev: withData(product, `{"type":"product","id":999999}`), wantStatus: sink.EnrichmentNotFound},
		{name: "customer gone (empty lookup)", ev: withData(customer, `{"type":"customer","id":999999}`), wantStatus: sink.EnrichmentNotFound},
		{name: "no id", ev: withData(product, `{"type":"product"}`), wantStatus: sink.EnrichmentFailed},
		{name: "unknown store", ev: stranger, wantPoison: enrich.ReasonUnknownStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := h.enrich(tc.ev)
			if tc.wantPoison != "" {
				var pe *pipeline.PoisonError
				if !errors.As(err, &pe) || pe.Reason != tc.wantPoison {
					t.Fatalf("error %v, want poison %s", err, tc.wantPoison)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.Enrichment != tc.wantStatus {
				t.Errorf("status %q, want %q", rec.Enrichment, tc.wantStatus)
			}
			if string(rec.Entity) != string(tc.wantEntity) {
				t.Errorf("entity %s, want %s", rec.Entity, tc.wantEntity)
			}
			fetched := tc.wantStatus == sink.EnrichmentOK || tc.wantStatus == sink.EnrichmentNotFound
			if fetched == rec.EnrichedAt.IsZero() {
				t.Errorf("enriched_at %v for status %s", rec.EnrichedAt, rec.Enrichment)
			}
		})
	}
}

// TestCoalescesConcurrentEvents: many events about one entity at once
// cost one request.
func TestCoalescesConcurrentEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 2, Quota: -1}, testConfig())
	hash := h.stores[0].Hash
	order := h.event(hash, "store/order/updated")
	order.CreatedAt = time.Time{} // any fetch is new enough
	evs := make([]bigcommerce.Event, 200)
	for i := range evs {
		evs[i] = order
	}
	// Only events that arrive while the fetch is in flight can share it.
	// Over loopback a fetch takes about a millisecond, and under -race on
	// a busy machine a goroutine can start later than that (2 of 15 runs
	// made a second chain); the latency keeps the fetch in flight until
	// all 200 have arrived.
	if err := h.sim.SetFaults(hash, bctest.Faults{Latency: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	h.sim.ResetStats(hash)
	recs, errs := h.enrichAll(evs)
	for i := range evs {
		if errs[i] != nil || recs[i].Enrichment != sink.EnrichmentOK || string(recs[i].Entity) != string(recs[0].Entity) {
			t.Fatalf("event %d: %v, status %q", i, errs[i], recs[i].Enrichment)
		}
	}
	// An order is one chain: the order, its products, addresses, coupons.
	if got := h.sim.Stats(hash).Requests; got > 4 {
		t.Errorf("200 events about one order made %d requests, want one chain (4)", got)
	}
	if st := h.stage.Stats(); st.Coalesced != 199 {
		t.Errorf("Coalesced = %d, want 199", st.Coalesced)
	}
}

// TestBatchesBulkImport: a bulk update of many products is fetched 50 at a
// time, and every event gets its own product.
func TestBatchesBulkImport(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.StoreMaxPending = 1000 // all 600 at once: this test is about batching, not shedding
	h := newHarness(t, bctest.Options{Seed: 3, Quota: -1, UniqueHashes: true}, cfg)
	hash := h.stores[0].Hash
	envs, err := h.sim.BulkUpdateProducts(hash, 200, 3)
	if err != nil {
		t.Fatal(err)
	}
	evs := decodeAll(t, envs)
	for i := range evs {
		evs[i].CreatedAt = time.Time{}
	}
	h.sim.ResetStats(hash)
	recs, errs := h.enrichAll(evs)
	for i, rec := range recs {
		if errs[i] != nil || rec.Enrichment != sink.EnrichmentOK {
			t.Fatalf("event %d (%s): %v, status %q", i, evs[i].EntityID, errs[i], rec.Enrichment)
		}
		var p struct{ ID json.Number }
		if err := json.Unmarshal(rec.Entity, &p); err != nil || p.ID.String() != evs[i].EntityID {
			t.Fatalf("event for product %s got entity with id %q (%v)", evs[i].EntityID, p.ID, err)
		}
	}
	st := h.sim.Stats(hash)
	if perEvent := float64(st.Requests) / float64(len(evs)); perEvent > 0.05 {
		t.Errorf("%d events made %d requests (%.3f per event), want batches of 50", len(evs), st.Requests, perEvent)
	}
	if s := h.stage.Stats(); s.BatchFetches == 0 {
		t.Errorf("no batch fetches: %+v", s)
	}
}

// TestRevokedStore: a store whose token the API rejects has its events
// dead-lettered (store_unauthorized), stops being called, and does not
// hold up another store.
func TestRevokedStore(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 4, Quota: -1}, testConfig())
	bad, good := h.stores[0].Hash, h.stores[1].Hash
	if err := h.sim.SetFaults(bad, bctest.Faults{Revoked: true}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		_, err := h.enrich(h.event(bad, "store/order/updated"))
		var pe *pipeline.PoisonError
		if !errors.As(err, &pe) || pe.Reason != enrich.ReasonStoreUnauthorized {
			t.Fatalf("revoked store, event %d: error %v, want poison %s", i, err, enrich.ReasonStoreUnauthorized)
		}
	}
	if n := h.sim.Stats(bad).Requests; n != 1 {
		t.Errorf("revoked store got %d requests, want 1 (the circuit opens after the first 401)", n)
	}
	rec, err := h.enrich(h.event(good, "store/order/updated"))
	if err != nil || rec.Enrichment != sink.EnrichmentOK {
		t.Errorf("healthy store: %v, status %q", err, rec.Enrichment)
	}
}

// TestHotStoreIsCapped: a store whose API is slow may hold at most
// StoreMaxPending waiting messages; the rest are handed back at once
// (transient errors), and another store is served meanwhile.
func TestHotStoreIsCapped(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.StoreMaxPending = 5
	cfg.StoreConcurrency = 1
	cfg.BatchWindow = 0
	h := newHarness(t, bctest.Options{Seed: 5, Quota: -1, UniqueHashes: true}, cfg)
	hot, quiet := h.stores[0].Hash, h.stores[1].Hash
	if err := h.sim.SetFaults(hot, bctest.Faults{Latency: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	envs, err := h.sim.Mutate(hot, 30)
	if err != nil {
		t.Fatal(err)
	}
	var evs []bigcommerce.Event
	for _, ev := range decodeAll(t, envs) {
		if ev.Spec.Enrich != nil && !ev.Spec.Delete {
			evs = append(evs, ev)
		}
	}

	var shed, served int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ev := range evs {
		wg.Go(func() {
			start := time.Now()
			_, err := h.enrich(ev)
			mu.Lock()
			defer mu.Unlock()
			var pe *pipeline.PoisonError
			switch {
			case errors.As(err, &pe):
				t.Errorf("poison for a slow store: %v", err)
			case err != nil && time.Since(start) < 100*time.Millisecond:
				shed++
			case err == nil:
				served++
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // the hot store's queue is full now
	start := time.Now()
	rec, err := h.enrich(h.event(quiet, "store/product/updated"))
	if err != nil || rec.Enrichment != sink.EnrichmentOK {
		t.Errorf("quiet store: %v, status %q", err, rec.Enrichment)
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("quiet store waited %v behind the hot one", d)
	}
	wg.Wait()
	if shed == 0 || served+shed != len(evs) {
		t.Errorf("%d events: %d served, %d handed back at once; want some handed back and the rest served", len(evs), served, shed)
	}
	if s := h.stage.Stats(); s.Shed != int64(shed) {
		t.Errorf("Stats.Shed = %d, want %d", s.Shed, shed)
	}
}

// TestMaxWait: a message never waits longer than MaxWait for its entity.
func TestMaxWait(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxWait = 150 * time.Millisecond
	h := newHarness(t, bctest.Options{Seed: 6, Quota: -1}, cfg)
	hash := h.stores[0].Hash
	if err := h.sim.SetFaults(hash, bctest.Faults{Latency: time.Second}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := h.enrich(h.event(hash, "store/order/updated"))
	var pe *pipeline.PoisonError
	if err == nil || errors.As(err, &pe) {
		t.Fatalf("error %v, want a transient one", err)
	}
	if d := time.Since(start); d > 600*time.Millisecond {
		t.Errorf("waited %v, want about MaxWait (150ms)", d)
	}
	if s := h.stage.Stats(); s.TimedOut != 1 {
		t.Errorf("TimedOut = %d, want 1", s.TimedOut)
	}
}

// TestServerErrorsAreRetriedNotRecorded: 5xx answers are retried by the
// client; what still fails is a transient error (nack), never a status.
func TestServerErrorsAreRetriedNotRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 7, Quota: -1, UniqueHashes: true}, testConfig())
	hash := h.stores[0].Hash
	if err := h.sim.SetFaults(hash, bctest.Faults{ServerErrors: 0.5, Drop: 0.1}); err != nil {
		t.Fatal(err)
	}
	envs, err := h.sim.Mutate(hash, 60)
	if err != nil {
		t.Fatal(err)
	}
	evs := decodeAll(t, envs)
	recs, errs := h.enrichAll(evs)
	ok := 0
	for i := range evs {
		var pe *pipeline.PoisonError
		switch {
		case errors.As(errs[i], &pe):
			t.Errorf("%s: poison %v", evs[i].Scope, errs[i])
		case errs[i] == nil && recs[i].Enrichment == sink.EnrichmentFailed:
			t.Errorf("%s: recorded as failed under 5xx", evs[i].Scope)
		case errs[i] == nil:
			ok++
		}
	}
	if ok == 0 {
		t.Error("no event survived 50% server errors with retries")
	}
}

// TestFetchBudgetAdmitsSharedFetches: the per-store fetch budget refuses
// messages that need another request, not messages that can share a
// queued one — during a burst of updates to few entities, those cost
// nothing and must not be nacked.
func TestFetchBudgetAdmitsSharedFetches(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.StoreMaxFetches = 1
	cfg.StoreConcurrency = 1
	h := newHarness(t, bctest.Options{Seed: 8, Quota: -1}, cfg)
	hash := h.stores[0].Hash
	if err := h.sim.SetFaults(hash, bctest.Faults{Latency: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	order := h.event(hash, "store/order/updated")
	order.CreatedAt = time.Time{}
	other := withData(order, `{"type":"order","id":1}`)

	same := make([]bigcommerce.Event, 20)
	for i := range same {
		same[i] = order
	}
	var wg sync.WaitGroup
	var sameErrs []error
	var mu sync.Mutex
	for _, ev := range same {
		wg.Go(func() {
			_, err := h.enrich(ev)
			mu.Lock()
			sameErrs = append(sameErrs, err)
			mu.Unlock()
		})
	}
	time.Sleep(50 * time.Millisecond) // the order's fetch is in flight
	_, otherErr := h.enrich(other)
	wg.Wait()
	for i, err := range sameErrs {
		if err != nil {
			t.Errorf("event %d about the order being fetched was refused: %v", i, err)
		}
	}
	var pe *pipeline.PoisonError
	if otherErr == nil || errors.As(otherErr, &pe) {
		t.Errorf("an event needing a second fetch over a budget of one: error %v, want a transient refusal", otherErr)
	}
	if s := h.stage.Stats(); s.Shed != 1 {
		t.Errorf("Shed = %d, want 1", s.Shed)
	}
}

// TestMetrics: the instruments the README lists count what happened.
func TestMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 9, Quota: -1}, testConfig())
	reader := sdkmetric.NewManualReader()
	stage, err := enrich.New(testConfig(), enrich.Deps{
		Client:        h.client,
		Registered:    func(hash string) bool { return hash == h.stores[0].Hash },
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stage.Close)
	h.stage = stage
	order := h.event(h.stores[0].Hash, "store/order/updated")
	order.CreatedAt = time.Time{}
	h.enrichAll([]bigcommerce.Event{order, order, order}) // one fetch
	h.enrich(order)                                       // a cache hit
	stranger := order
	stranger.StoreHash = h.stores[1].Hash
	h.enrich(stranger) // unknown_store

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	waits := uint64(0)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					key := m.Name
					for _, kv := range dp.Attributes.ToSlice() {
						key += " " + string(kv.Key) + "=" + kv.Value.String()
					}
					got[key] += dp.Value
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					waits += dp.Count
				}
			}
		}
	}
	want := map[string]int64{
		"bcstream.enrich.events outcome=ok":            4,
		"bcstream.enrich.events outcome=unknown_store": 1,
		"bcstream.enrich.fetches kind=single":          1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	// Three of the four events about the order were served by the one
	// fetch: shared while it ran, or (a late starter, and the fourth) from
	// the cache.
	shared, cached := got["bcstream.enrich.coalesced how=shared"], got["bcstream.enrich.coalesced how=cache"]
	if shared+cached != 3 || cached < 1 {
		t.Errorf("coalesced: shared %d + cache %d, want 3 with at least 1 from the cache (all: %v)", shared, cached, got)
	}
	if waits != uint64(1+shared) {
		t.Errorf("bcstream.enrich.wait recorded %d waits, want %d (the fetching event and those sharing it; cache hits do not wait)", waits, 1+shared)
	}
}
