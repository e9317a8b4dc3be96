package main

// The enrich benchmark: the worker's enrichment stage against BigCommerce's
// real quota, with a product burst on one store and orders on the others.
//
//	go run ./cmd/bcload enrich                        # the sizes
//	go run ./cmd/bcload enrich -burst 5000 -products 500 -quiet 60s
//
// It runs the worker in-process (internal/worker.New, the same assembly
// cmd/worker uses, with STORES_FILE and BIGCOMMERCE_API_URL pointing at an
// in-process bctest simulator) and a measuring sink that stamps every
// record when its batch's Write returns. PUBSUB_* and ENRICH_* variables
// in the environment tune the worker as they would cmd/worker.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/sethvargo/go-envconfig"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
	"bcstream/internal/config"
	"bcstream/internal/emulator"
	"bcstream/internal/worker"
	"bcstream/pipeline"
	"bcstream/pipeline/enrich"
	"bcstream/registrar"
)

// enrichOptions are the enrich benchmark's flags.
type enrichOptions struct {
	stores       int
	products     int
	burst        int
	burstRate    float64
	bursts       int
	orderRate    float64
	quiet        time.Duration
	burstTimeout time.Duration
	stall        time.Duration
	quota        int
	window       time.Duration
	minBackoff   time.Duration
	maxBackoff   time.Duration
	maxAttempts  int
	seed         int64
}

func parseEnrichOptions(args []string) (enrichOptions, error) {
	var o enrichOptions
	fs := flag.NewFlagSet("bcload enrich", flag.ContinueOnError)
	fs.IntVar(&o.stores, "stores", 20, "stores: one hot store takes the product burst, the others the order stream")
	fs.IntVar(&o.products, "products", 2000, "distinct products the burst updates")
	fs.IntVar(&o.burst, "burst", 20_000, "store/product/updated events in the burst (rounds over -products)")
	fs.Float64Var(&o.burstRate, "burst-rate", 2000, "events per second the store fires the burst at, each round's events created when published (2000: one round over -products per second); 0: the whole burst generated at startup and published at once, as a backlog")
	fs.IntVar(&o.bursts, "bursts", 3, "bursts, one after the other (each once the last is written), for more orders to compare with the burst")
	fs.Float64Var(&o.orderRate, "order-rate", 4, "orders per second, in total, spread at random over the quiet stores (each costs 4 API calls)")
	fs.DurationVar(&o.quiet, "quiet", 150*time.Second, "how long the order stream runs alone before the burst")
	fs.DurationVar(&o.burstTimeout, "burst-timeout", 15*time.Minute, "give up waiting for the burst after this long (the report then says so)")
	fs.DurationVar(&o.stall, "stall", 3*time.Minute, "give up waiting for the burst when no burst event has been written for this long")
	fs.IntVar(&o.quota, "quota", bctest.DefaultQuota, "API requests per window per store (BigCommerce Standard/Plus: 150)")
	fs.DurationVar(&o.window, "window", bctest.DefaultWindow, "quota window (BigCommerce: 30s)")
	def := registrar.DefaultTopology()
	fs.DurationVar(&o.minBackoff, "min-backoff", def.MinBackoff, "subscription's minimum redelivery backoff after a nack (production default)")
	fs.DurationVar(&o.maxBackoff, "max-backoff", def.MaxBackoff, "subscription's maximum redelivery backoff")
	fs.IntVar(&o.maxAttempts, "max-attempts", def.MaxDeliveryAttempts, "subscription's dead-letter policy: deliveries before a message is dead-lettered")
	fs.Int64Var(&o.seed, "seed", 1, "simulator seed")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.stores < 2:
		return o, errors.New("-stores must be at least 2 (one hot store, one quiet)")
	case o.products <= 0 || o.burst <= 0 || o.orderRate <= 0 || o.quiet <= 0 || o.burstTimeout <= 0 || o.stall <= 0:
		return o, errors.New("-products, -burst, -order-rate, -quiet, -burst-timeout and -stall must be > 0")
	case o.burstRate < 0 || o.bursts < 1:
		return o, errors.New("-burst-rate must not be negative and -bursts at least 1")
	case o.quota <= 0 || o.window <= 0:
		return o, errors.New("-quota and -window must be > 0")
	}
	return o, nil
}

// Phases of the order stream.
const (
	phaseWarmup = iota // one order per quiet store, before measuring
	phaseAlone         // orders only
	phaseBurst         // orders alongside the hot store's burst
)

// enrichRun is everything one run measured, for the report.
type enrichRun struct {
	o               enrichOptions
	hot             string
	quiet           []string
	bursts          []*burstRun
	aloneStart      time.Time
	orders          map[string]order // event ID → order
	rows            map[string]row   // event ID → first write
	repeated        int
	hotStats        bctest.Stats
	storeStats      map[string]bctest.Stats
	quietAloneCalls int64 // quiet stores' API requests during phaseAlone
	quietBurstCalls int64
	stage, stageB0  enrich.Stats // at the end; at the burst's start
	pipe            pipeline.Stats
	deadLetters     map[string]int // reason → count ("policy": the subscription's dead-letter policy)
	deadHot         int
}

// burstRun is one burst.
type burstRun struct {
	ids       []string
	start     time.Time // first message handed to the publisher
	published time.Time // every message accepted by Pub/Sub
	complete  bool
	requests  int64 // the hot store's API requests for it
}

// order is one published order event.
type order struct {
	store string
	phase int
	at    time.Time // handed to the publisher
}

func enrichMain(ctx context.Context, args []string) error {
	o, err := parseEnrichOptions(args)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "bcload-enrich-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	if os.Getenv("PUBSUB_EMULATOR_HOST") == "" {
		logf("starting the Pub/Sub emulator …")
		emu, err := emulator.Start(ctx, emulator.Options{LogDir: tmp})
		if err != nil {
			return err
		}
		defer emu.Stop()
		os.Setenv("PUBSUB_EMULATOR_HOST", emu.Host())
		// An emulator wedged by a nack storm stops answering, and the
		// Pub/Sub client's shutdown then waits for it forever: after a
		// signal, give the orderly shutdown a while, then stop the
		// emulator and leave.
		go func() {
			<-ctx.Done()
			time.Sleep(30 * time.Second)
			logf("shutdown stuck for 30s (is the emulator answering?); stopping it and exiting")
			emu.Stop()
			os.RemoveAll(tmp)
			os.Exit(1)
		}()
	}
	client, err := pubsub.NewClient(ctx, project)
	if err != nil {
		return err
	}
	defer client.Close()

	// The production subscription policies (registrar's defaults): nacked
	// messages come back after 10 s–600 s, and go to the dead-letter
	// topic after 10 deliveries.
	suffix := time.Now().Format("150405")
	top := registrar.DefaultTopology()
	top.Topic, top.DeadLetterTopic = "enrich-"+suffix, "enrich-"+suffix+"-dlq"
	top.Subscription, top.DeadLetterSubscription = "enrich-"+suffix+"-worker", "enrich-"+suffix+"-dlq-keep"
	top.MinBackoff, top.MaxBackoff, top.MaxDeliveryAttempts = o.minBackoff, o.maxBackoff, o.maxAttempts
	if err := registrar.EnsureTopology(ctx, client, top); err != nil {
		return err
	}

	// The simulator: every store at the given quota. UniqueHashes keeps
	// the burst's repeated updates of one product distinct events (each
	// round a second later) rather than byte-identical re-sends that the
	// worker's dedupe would drop before enrichment.
	simOpts := bctest.Options{Seed: o.seed, UniqueHashes: true}
	for _, st := range bctest.DefaultStores(o.stores) {
		simOpts.Stores = append(simOpts.Stores, bctest.StoreConfig{Store: st, Quota: o.quota, Window: o.window})
	}
	sim := bctest.NewSimulator(simOpts)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cfgs := sim.Stores()
	r := &enrichRun{o: o, hot: cfgs[0].Hash, orders: map[string]order{}, deadLetters: map[string]int{}}
	for _, c := range cfgs[1:] {
		r.quiet = append(r.quiet, c.Hash)
	}

	// The hot store's products exist before the burst updates them.
	if _, err := sim.BulkUpdateProducts(r.hot, o.products, 0); err != nil {
		return err
	}
	var backlog []bctest.Envelope
	if o.burstRate == 0 {
		if backlog, err = burstEvents(sim, r.hot, o, o.burst*o.bursts); err != nil {
			return err
		}
	}
	logf("%d stores at %d requests / %v; hot store %s: %d store/product/updated events over %d products",
		o.stores, o.quota, o.window, r.hot, o.burst, o.products)

	w, err := startWorker(ctx, o, tmp, srv.URL, cfgs, top)
	if err != nil {
		return err
	}
	wctx, cancelWorker := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- w.Run(wctx) }()
	stopWorker := sync.OnceValue(func() error {
		cancelWorker()
		return errors.Join(<-runDone, w.Close())
	})
	defer stopWorker()

	dlDone := collectDeadLetters(wctx, client, top.DeadLetterSubscription, r)

	// The order stream, from warm-up to the burst's end.
	pub := client.Publisher(top.Topic)
	pub.PublishSettings.DelayThreshold = 2 * time.Millisecond
	defer stopPublisher(pub)
	s := &orderStream{sim: sim, pub: pub, stores: r.quiet, rng: rand.New(rand.NewPCG(uint64(o.seed), 7)), orders: r.orders}

	// Warm-up: one order per quiet store, so that every store's limiter
	// has learnt its quota before anything is measured.
	if err := s.warmUp(ctx); err != nil {
		return err
	}
	if err := waitWritten(ctx, "warm-up orders", s.ids(phaseWarmup), time.Minute, time.Minute); err != nil {
		return err
	}
	for _, h := range cfgs {
		sim.ResetStats(h.Hash)
	}

	streamCtx, stopStream := context.WithCancel(ctx)
	streamDone := make(chan error, 1)
	s.phase.Store(phaseAlone)
	r.aloneStart = time.Now()
	go func() { streamDone <- s.run(streamCtx, o.orderRate) }()
	logf("phase 1: orders alone for %v at %.1f orders/s", o.quiet, o.orderRate)
	progress := sync.OnceFunc(startProgress(ctx, r, sim, w, s))
	defer progress()
	select {
	case <-time.After(o.quiet):
	case <-ctx.Done():
		stopStream()
		return ctx.Err()
	}

	// The bursts, with the orders still running.
	r.quietAloneCalls = quietCalls(sim, r.quiet)
	r.stageB0, _ = w.EnrichStats()
	s.phase.Store(phaseBurst)
	var hotCalls int64
	for i := range o.bursts {
		logf("phase 2: publishing burst %d of %d (%d events), orders continue", i+1, o.bursts, o.burst)
		b := &burstRun{start: time.Now()}
		r.bursts = append(r.bursts, b)
		var chunk []bctest.Envelope
		if backlog != nil {
			chunk = backlog[i*o.burst : (i+1)*o.burst]
		}
		if err := publishBurst(ctx, client.Publisher(top.Topic), sim, r, b, chunk); err != nil {
			stopStream()
			return fmt.Errorf("publish burst: %w", err)
		}
		b.published = time.Now()
		werr := waitWritten(ctx, fmt.Sprintf("burst %d", i+1), b.ids, o.burstTimeout, o.stall)
		b.complete = werr == nil
		n := sim.Stats(r.hot).Requests
		b.requests, hotCalls = n-hotCalls, n
		if werr != nil {
			if ctx.Err() != nil {
				stopStream()
				return werr
			}
			logf("%v; reporting what was written", werr)
		}
	}
	stopStream()
	if err := <-streamDone; err != nil {
		return err
	}
	r.quietBurstCalls = quietCalls(sim, r.quiet) - r.quietAloneCalls
	// Let the last orders in: they are what the fairness figures are.
	if err := waitWritten(ctx, "last orders", s.ids(phaseBurst), 2*time.Minute, time.Minute); err != nil {
		logf("%v; reporting what was written", err)
	}
	progress()

	r.hotStats = sim.Stats(r.hot)
	r.storeStats = map[string]bctest.Stats{}
	for _, h := range cfgs {
		r.storeStats[h.Hash] = sim.Stats(h.Hash)
	}
	r.stage, _ = w.EnrichStats()
	time.Sleep(2 * time.Second) // the last dead letters
	if err := stopWorker(); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	<-dlDone
	r.pipe = w.Stats()
	r.rows, r.repeated = measured.snapshot()
	printEnrichReport(os.Stdout, r)
	return nil
}

// burstEvents updates the hot store's -products products round by round
// and returns the first n store/product/updated events.
func burstEvents(sim *bctest.Simulator, hot string, o enrichOptions, n int) ([]bctest.Envelope, error) {
	rounds := (n + o.products - 1) / o.products
	all, err := sim.BulkUpdateProducts(hot, o.products, rounds)
	if err != nil {
		return nil, err
	}
	out := make([]bctest.Envelope, 0, n)
	for _, e := range all {
		if e.Scope == "store/product/updated" && len(out) < n {
			out = append(out, e)
		}
	}
	return out, nil
}

// publishBurst publishes the burst: the backlog at once if there is one,
// else round by round at -burst-rate, each round's changes made (and its
// events created) just before it is published, as a bulk update firing
// webhooks would. It fills b.ids and stops pub.
func publishBurst(ctx context.Context, pub *pubsub.Publisher, sim *bctest.Simulator, r *enrichRun, b *burstRun, backlog []bctest.Envelope) error {
	defer stopPublisher(pub)
	pub.PublishSettings.CountThreshold = 1000
	pub.PublishSettings.DelayThreshold = 5 * time.Millisecond
	send := func(evs []bctest.Envelope) error {
		for _, e := range evs {
			id, err := eventID(e.Body)
			if err != nil {
				return err
			}
			b.ids = append(b.ids, id)
		}
		_, err := bctest.Publish(ctx, pub, evs)
		return err
	}
	if backlog != nil {
		return send(backlog)
	}
	o := r.o
	for sent := 0; sent < o.burst; {
		evs, err := burstEvents(sim, r.hot, o, min(o.products, o.burst-sent))
		if err != nil {
			return err
		}
		if err := send(evs); err != nil {
			return err
		}
		sent += len(evs)
		if sent >= o.burst {
			break
		}
		next := b.start.Add(time.Duration(float64(sent) / o.burstRate * float64(time.Second)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(next)):
		}
	}
	return nil
}

func eventID(body []byte) (string, error) {
	ev, err := bigcommerce.Decode(body)
	if err != nil {
		return "", err
	}
	return pipeline.EventID(&ev), nil
}

// startWorker assembles the worker as cmd/worker does, from variables:
// the store registry with token_env entries (the tokens set in this
// process's environment), the simulator's URL, the measuring sink.
func startWorker(ctx context.Context, o enrichOptions, tmp, apiURL string, cfgs []bctest.StoreConfig, top registrar.Topology) (*worker.Worker, error) {
	var reg strings.Builder
	reg.WriteString("stores:\n")
	for _, c := range cfgs {
		name := "BCLOAD_TOKEN_" + strings.ToUpper(c.Hash)
		fmt.Fprintf(&reg, "  - hash: %s\n    token_env: %s\n", c.Hash, name)
		os.Setenv(name, c.Token)
	}
	storesFile := filepath.Join(tmp, "stores.yaml")
	if err := os.WriteFile(storesFile, []byte(reg.String()), 0o600); err != nil {
		return nil, err
	}
	env := envconfig.MultiLookuper(envconfig.MapLookuper(map[string]string{
		"GOOGLE_CLOUD_PROJECT":     project,
		"PUBSUB_SUBSCRIPTION":      top.Subscription,
		"PUBSUB_DEAD_LETTER_TOPIC": top.DeadLetterTopic,
		"SINKS":                    measureSinkName,
		"STORES_FILE":              storesFile,
		"BIGCOMMERCE_API_URL":      apiURL,
	}), envconfig.OsLookuper())
	var cfg worker.Config
	if err := config.Load(ctx, &cfg, env); err != nil {
		return nil, fmt.Errorf("worker configuration:\n%w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	logf("worker (in-process): %d streams x %d outstanding; enrich %+v", cfg.Pipeline.Streams, cfg.Pipeline.MaxOutstandingMessages, cfg.Enrich)
	return worker.New(ctx, cfg, worker.Deps{Logger: logger, Lookuper: env, Version: "bcload"})
}

// collectDeadLetters counts the dead-letter topic's messages by reason
// until ctx is done; the returned channel closes when it has stopped.
func collectDeadLetters(ctx context.Context, client *pubsub.Client, sub string, r *enrichRun) <-chan struct{} {
	done := make(chan struct{})
	var mu sync.Mutex
	go func() {
		defer close(done)
		client.Subscriber(sub).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
			reason := m.Attributes[pipeline.AttrReason]
			if reason == "" {
				reason = "policy" // the subscription's max delivery attempts
			}
			ev, err := bigcommerce.Decode(m.Data)
			mu.Lock()
			r.deadLetters[reason]++
			if err == nil && ev.StoreHash == r.hot {
				r.deadHot++
			}
			mu.Unlock()
			m.Ack()
		})
	}()
	return done
}

// orderStream publishes store/order/created events of the quiet stores,
// each for an order the simulator has just created.
type orderStream struct {
	sim    *bctest.Simulator
	pub    *pubsub.Publisher
	stores []string
	rng    *rand.Rand
	phase  atomic.Int32

	mu      sync.Mutex
	orders  map[string]order
	results []*pubsub.PublishResult
}

// publish creates one order in store and publishes its order/created
// event (the stock events that come with it are left out: each order
// should cost the four requests of an order's enrichment).
func (s *orderStream) publish(ctx context.Context, store string) error {
	evs, err := s.sim.MutateKind(store, "order_created", 1)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if e.Scope != "store/order/created" {
			continue
		}
		id, err := eventID(e.Body)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.orders[id] = order{store: store, phase: int(s.phase.Load()), at: time.Now()}
		s.mu.Unlock()
		res := s.pub.Publish(ctx, &pubsub.Message{Data: e.Body}) // may block on a stuck emulator: not under mu
		s.mu.Lock()
		s.results = append(s.results, res)
		s.mu.Unlock()
	}
	return nil
}

func (s *orderStream) warmUp(ctx context.Context) error {
	s.phase.Store(phaseWarmup)
	for _, h := range s.stores {
		if err := s.publish(ctx, h); err != nil {
			return err
		}
	}
	return s.check(ctx)
}

// run publishes rate orders per second, each in a store drawn at random,
// until ctx is done, then checks every publish.
func (s *orderStream) run(ctx context.Context, rate float64) error {
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return s.check(context.WithoutCancel(ctx))
		case <-t.C:
			if err := s.publish(ctx, s.stores[s.rng.IntN(len(s.stores))]); err != nil {
				return err
			}
		}
	}
}

// check waits for every publish so far.
func (s *orderStream) check(ctx context.Context) error {
	s.mu.Lock()
	rs := s.results
	s.results = nil
	s.mu.Unlock()
	for _, res := range rs {
		if _, err := res.Get(ctx); err != nil {
			return fmt.Errorf("publish order: %w", err)
		}
	}
	return nil
}

// ids returns the event IDs of the orders of phase.
func (s *orderStream) ids(phase int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, o := range s.orders {
		if o.phase == phase {
			ids = append(ids, id)
		}
	}
	return ids
}

// count returns the orders published so far.
func (s *orderStream) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.orders)
}

// stopPublisher stops pub, giving up after a while: Stop waits for every
// outstanding publish, and an emulator that has stopped answering would
// hold bcload forever.
func stopPublisher(pub *pubsub.Publisher) {
	done := make(chan struct{})
	go func() { pub.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		logf("publisher did not stop within 15s (the emulator is not answering); leaving it")
	}
}

// waitWritten waits until every event of ids is written, or timeout, or
// stall passes without one more written.
func waitWritten(ctx context.Context, what string, ids []string, timeout, stall time.Duration) error {
	start := time.Now()
	last, lastAt := -1, start
	for {
		n := measured.written(ids)
		if n == len(ids) {
			return nil
		}
		now := time.Now()
		if n != last {
			last, lastAt = n, now
		}
		switch {
		case now.Sub(start) > timeout:
			return fmt.Errorf("%s: %d of %d events written after %v", what, n, len(ids), timeout)
		case now.Sub(lastAt) > stall:
			return fmt.Errorf("%s: %d of %d events written; none more for %v", what, n, len(ids), stall)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// quietCalls sums the quiet stores' API requests so far.
func quietCalls(sim *bctest.Simulator, quiet []string) int64 {
	var n int64
	for _, h := range quiet {
		n += sim.Stats(h).Requests
	}
	return n
}

// startProgress prints a line every 10 s until the returned stop is
// called.
func startProgress(ctx context.Context, r *enrichRun, sim *bctest.Simulator, w *worker.Worker, s *orderStream) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			hs := sim.Stats(r.hot)
			ps := w.Stats()
			es, _ := w.EnrichStats()
			quietWritten := 0
			for _, h := range r.quiet {
				quietWritten += measured.storeCount(h)
			}
			logf("%5.0fs  burst %d/%d written, hot store %d requests (%d 429s, max %d/window)  orders %d/%d written  nacked %d  shed %d  timed out %d  fetches %d (%d batches)",
				time.Since(start).Seconds(), measured.storeCount(r.hot), r.o.burst*r.o.bursts, hs.Requests, hs.REST.RateLimited, hs.REST.MaxPerWindow,
				quietWritten-len(r.quiet), s.count()-len(r.quiet), ps.Nacked, es.Shed, es.TimedOut, es.Fetches, es.BatchFetches)
		}
	}()
	return func() { cancel(); <-done }
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
