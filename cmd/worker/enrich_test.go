package main_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
	"bcstream/pipeline"
	"bcstream/pipeline/enrich"
	"bcstream/sink"
)

// frozenClock is the simulators' clock: frozen while the test builds the
// stores' history (so that two simulators with the same seed build the
// same entities, timestamps included), then running in real time (so that
// quota windows pass).
type frozenClock struct {
	base time.Time
	mu   sync.Mutex
	from time.Time // real time when released; zero while frozen
}

func (c *frozenClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.from.IsZero() {
		return c.base
	}
	return c.base.Add(time.Since(c.from))
}

func (c *frozenClock) release() {
	c.mu.Lock()
	c.from = time.Now()
	c.mu.Unlock()
}

// TestIntegration_Enrichment runs the worker binary against the Pub/Sub
// emulator and a simulated BigCommerce with four stores at BigCommerce's
// real quota (150 requests / 30 s): one behind platform-load 429s, server
// errors and dropped connections, one with latency spikes, one whose token
// is revoked mid-run, one healthy; plus events from a store that is not
// in the registry and ~10 % re-sent duplicates. It checks that
//
//   - every event of a registered store is written exactly once, or, for
//     the revoked store after the revocation, dead-lettered as
//     store_unauthorized; the stranger's events as unknown_store;
//   - every row has the right enrichment: the status and entity a
//     fault-free twin simulator (same seed, same history) gives now;
//   - the worker's own traffic stayed inside every store's quota: under
//     1 % of requests rejected by it, never more than the quota in one
//     window.
func TestIntegration_Enrichment(t *testing.T) {
	s := newStack(t)
	clock := &frozenClock{base: time.Now().Truncate(time.Second)}
	stores := bctest.DefaultStores(5)
	registered, stranger := stores[:4], stores[4]
	faulty, spiky, revoked, healthy := registered[0].Hash, registered[1].Hash, registered[2].Hash, registered[3].Hash
	opts := bctest.Options{Seed: 11, Now: clock.Now, UniqueHashes: true}
	for _, st := range registered {
		opts.Stores = append(opts.Stores, bctest.StoreConfig{Store: st, Quota: bctest.DefaultQuota, Window: bctest.DefaultWindow})
	}
	sim := bctest.NewSimulator(opts)
	twinOpts := opts
	twinOpts.Stores = nil
	for _, st := range registered {
		twinOpts.Stores = append(twinOpts.Stores, bctest.StoreConfig{Store: st, Quota: -1})
	}
	twin := bctest.NewSimulator(twinOpts)

	// The stores' history: the same changes in both simulators.
	var envs []bctest.Envelope
	for _, st := range registered {
		a, err := sim.Mutate(st.Hash, 60)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := twin.Mutate(st.Hash, 60); err != nil {
			t.Fatal(err)
		}
		envs = append(envs, a...)
	}
	clock.release()
	gen := bctest.NewGenerator(5, []bctest.Store{stranger})
	strangers := map[string]bool{}
	for range 10 {
		body := gen.Next()
		strangers[string(body)] = true
		envs = append(envs, bctest.Envelope{StoreHash: stranger.Hash, Body: body})
	}

	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	if err := sim.SetFaults(faulty, bctest.Faults{PlatformLoad: 0.05, ServerErrors: 0.1, Drop: 0.02}); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetFaults(spiky, bctest.Faults{Jitter: 400 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}

	// The registry: tokens from environment variables, as in production.
	var reg strings.Builder
	reg.WriteString("stores:\n")
	env := []string{"BIGCOMMERCE_API_URL=" + srv.URL}
	for _, st := range registered {
		cfg, _ := sim.Store(st.Hash)
		name := "BC_TOKEN_" + strings.ToUpper(st.Hash)
		fmt.Fprintf(&reg, "  - hash: %s\n    token_env: %s\n", st.Hash, name)
		env = append(env, name+"="+cfg.Token)
	}
	storesFile := filepath.Join(t.TempDir(), "stores.yaml")
	if err := os.WriteFile(storesFile, []byte(reg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(env, "STORES_FILE="+storesFile)

	// Publish, with ~10 % re-sent.
	want := map[string]bigcommerce.Event{} // event ID → event, registered stores
	bodies := map[string]string{}          // event ID → payload
	byStore := map[string]int{}
	p := s.client.Publisher(s.top.Topic)
	var results []*pubsub.PublishResult
	var resultBody []string
	for i, e := range envs {
		copies := 1
		if i%10 == 3 {
			copies = 2
		}
		for range copies {
			results = append(results, p.Publish(t.Context(), &pubsub.Message{Data: e.Body}))
			resultBody = append(resultBody, string(e.Body))
		}
		if strangers[string(e.Body)] {
			continue
		}
		ev, err := bigcommerce.Decode(e.Body)
		if err != nil {
			t.Fatal(err)
		}
		want[pipeline.EventID(&ev)] = ev
		bodies[pipeline.EventID(&ev)] = string(e.Body)
		byStore[ev.StoreHash]++
	}
	msgIDs := map[string][]string{} // payload → message IDs
	for i, r := range results {
		id, err := r.Get(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		msgIDs[resultBody[i]] = append(msgIDs[resultBody[i]], id)
	}
	p.Stop()
	t.Logf("published %d messages: %d distinct events of registered stores %v, %d from an unregistered store", len(results), len(want), byStore, len(strangers))

	// Dead letters are collected while the worker runs.
	var dlMu sync.Mutex
	deadLetters := map[string]string{} // payload → reason
	dlCtx, stopDL := context.WithCancel(t.Context())
	dlDone := make(chan struct{})
	go func() {
		defer close(dlDone)
		s.client.Subscriber(s.top.DeadLetterSubscription).Receive(dlCtx, func(_ context.Context, m *pubsub.Message) {
			dlMu.Lock()
			deadLetters[string(m.Data)] = m.Attributes[pipeline.AttrReason]
			dlMu.Unlock()
			m.Ack()
		})
	}()
	defer func() { stopDL(); <-dlDone }()

	cmd, out := s.startWorker(t, env...)
	start := time.Now()

	// Revoke one store once some of its events are in.
	revokedAt := time.Time{}
	db, err := sql.Open("sqlite", "file:"+s.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	accounted := func() (int, int) {
		ids, _ := s.stored(t)
		dlMu.Lock()
		defer dlMu.Unlock()
		n := 0
		for id := range want {
			if ids[id] || deadLetters[bodies[id]] != "" {
				n++
			}
		}
		return n, len(ids)
	}
	for {
		if revokedAt.IsZero() {
			var n int
			if db.QueryRow("SELECT count(*) FROM events WHERE store_hash = ?", revoked).Scan(&n) == nil && n >= 10 {
				if err := sim.SetFaults(revoked, bctest.Faults{Revoked: true}); err != nil {
					t.Fatal(err)
				}
				revokedAt = time.Now()
				t.Logf("revoked store %s after %d of its events were written", revoked, n)
			}
		}
		done, rows := accounted()
		if done == len(want) {
			break
		}
		if time.Since(start) > 3*time.Minute {
			ids, _ := s.stored(t)
			missing := map[string]int{}
			dlMu.Lock()
			for id, ev := range want {
				if !ids[id] && deadLetters[bodies[id]] == "" {
					missing[ev.StoreHash+" "+ev.Scope+" "+strings.Join(msgIDs[bodies[id]], "/")]++
				}
			}
			dlMu.Unlock()
			for _, st := range registered {
				t.Logf("store %s: %+v", st.Hash, sim.Stats(st.Hash))
			}
			cmd.Process.Signal(syscall.SIGTERM) // for the worker's summary line
			time.Sleep(10 * time.Second)
			t.Fatalf("after %v only %d of %d events are written or dead-lettered (%d rows); missing by store and scope: %v\nworker output:\n%s",
				time.Since(start), done, len(want), rows, missing, tail(out.String(), 3000))
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("all events settled after %v", time.Since(start).Round(time.Millisecond))
	if revokedAt.IsZero() {
		t.Fatal("the revoked store's events never reached 10 rows: the test did not revoke mid-run")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wait(t, cmd, out, 30*time.Second)
	s.assertDrained(t)
	time.Sleep(time.Second) // let the last dead letters arrive
	stopDL()
	<-dlDone

	// Exactly once, and every dead letter for its reason.
	ids, rows := s.stored(t)
	if rows != len(ids) {
		t.Errorf("%d rows but %d distinct event IDs: an event was written twice", rows, len(ids))
	}
	for id, ev := range want {
		reason := deadLetters[bodies[id]]
		switch {
		case ids[id] && reason != "":
			t.Errorf("%s %s: written and dead-lettered (%s)", ev.StoreHash, ev.Scope, reason)
		case reason != "" && (ev.StoreHash != revoked || reason != enrich.ReasonStoreUnauthorized):
			t.Errorf("%s %s: dead-lettered as %s", ev.StoreHash, ev.Scope, reason)
		}
	}
	for body := range strangers {
		if got := deadLetters[body]; got != enrich.ReasonUnknownStore {
			t.Errorf("event of an unregistered store: dead-letter reason %q, want %s", got, enrich.ReasonUnknownStore)
		}
	}
	for id := range ids {
		if _, ok := want[id]; !ok {
			t.Errorf("unexpected row %s", id)
		}
	}

	// Every row enriched as the fault-free twin says.
	twinSrv := httptest.NewServer(twin)
	t.Cleanup(twinSrv.Close)
	twinClient := newTwinClient(t, twin, twinSrv.URL)
	checked := checkEnrichment(t, db, want, twinClient)
	t.Logf("checked the enrichment of %d rows against the twin", checked)

	// Quota discipline, for the stores without injected platform 429s.
	for _, hash := range []string{spiky, revoked, healthy} {
		st := sim.Stats(hash)
		t.Logf("store %s: %d requests, %d rejected by the quota, max %d per window, statuses %v", hash, st.Requests, st.REST.RateLimited, st.REST.MaxPerWindow, st.ByStatus)
		if r := st.RateLimitedRatio(); r >= 0.01 {
			t.Errorf("store %s: %.1f %% of requests rejected by the quota, want < 1 %%", hash, 100*r)
		}
		if st.REST.MaxPerWindow > bctest.DefaultQuota {
			t.Errorf("store %s: %d requests in one window, quota %d", hash, st.REST.MaxPerWindow, bctest.DefaultQuota)
		}
	}
}

// newTwinClient returns an API client for the twin simulator.
func newTwinClient(t *testing.T, twin *bctest.Simulator, url string) *bigcommerce.Client {
	t.Helper()
	tokens := map[string]string{}
	for _, st := range twin.Stores() {
		tokens[st.Hash] = st.Token
	}
	c, err := bigcommerce.NewClient(url, tokenMap(tokens))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type tokenMap map[string]string

func (m tokenMap) Token(_ context.Context, hash string) (string, error) {
	if tok, ok := m[hash]; ok {
		return tok, nil
	}
	return "", errors.New("no token for " + hash)
}

// checkEnrichment compares each row's enrichment with what the twin
// answers now for its event, and returns the number of rows checked.
func checkEnrichment(t *testing.T, db *sql.DB, want map[string]bigcommerce.Event, twin *bigcommerce.Client) int {
	t.Helper()
	rows, err := db.Query("SELECT event_id, enrichment, entity, enriched_at FROM events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, status string
		var entity, enrichedAt sql.NullString
		if err := rows.Scan(&id, &status, &entity, &enrichedAt); err != nil {
			t.Fatal(err)
		}
		ev := want[id]
		wantStatus, wantEntity := expectedEnrichment(t, &ev, twin)
		if status != wantStatus {
			t.Errorf("%s %s %s: enrichment %q, want %q", ev.StoreHash, ev.Scope, ev.EntityID, status, wantStatus)
			continue
		}
		if wantEntity != nil && !sameJSON(json.RawMessage(entity.String), wantEntity) {
			t.Errorf("%s %s %s: entity\n%s\nwant\n%s", ev.StoreHash, ev.Scope, ev.EntityID, tail(entity.String, 300), tail(string(wantEntity), 300))
		}
		fetched := status == sink.EnrichmentOK || status == sink.EnrichmentNotFound
		if fetched != enrichedAt.Valid {
			t.Errorf("%s %s: enriched_at %v with status %s", ev.StoreHash, ev.Scope, enrichedAt, status)
		}
		n++
	}
	return n
}

// expectedEnrichment is the status (and entity, for ok) an event should
// have, by the catalog and the twin.
func expectedEnrichment(t *testing.T, ev *bigcommerce.Event, twin *bigcommerce.Client) (string, json.RawMessage) {
	t.Helper()
	switch {
	case ev.Spec.Delete:
		return sink.EnrichmentDeleted, nil
	case ev.Spec.Enrich == nil:
		return sink.EnrichmentSkipped, nil
	}
	e, err := twin.Enrich(context.Background(), ev)
	switch {
	case err == nil && e.Call != nil && strings.Contains(e.Call.Query, ":in={") && string(e.Entity) == "[]":
		return sink.EnrichmentNotFound, nil
	case err == nil:
		return sink.EnrichmentOK, e.Entity
	case errors.Is(err, bigcommerce.ErrNotFound):
		return sink.EnrichmentNotFound, nil
	case errors.Is(err, bigcommerce.ErrNoEnrichCall):
		return sink.EnrichmentSkipped, nil
	case bigcommerce.IsRetryable(err) || errors.Is(err, bigcommerce.ErrUnauthorized):
		t.Fatalf("twin simulator: %v", err)
	}
	return sink.EnrichmentFailed, nil
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
