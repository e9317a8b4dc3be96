package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/sethvargo/go-envconfig"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
	"bcstream/internal/buildinfo"
	"bcstream/internal/config"
	"bcstream/internal/worker"
	"bcstream/pipeline"
	"bcstream/pipeline/enrich"
	"bcstream/registrar"
	"bcstream/sink"

	// The sinks the demo can write to (SINKS, default sqlite).
	_ "bcstream/sink/bigquery"
	_ "bcstream/sink/jsonl"
	_ "bcstream/sink/sqlite"
)

const demoProject = "bcstream-demo"

// exampleQuery is printed and run at the end: what happened, per entity,
// and how much of it came back enriched.
const exampleQuery = `SELECT entity_type, enrichment, count(*) AS events, count(DISTINCT store_hash) AS stores
FROM events GROUP BY entity_type, enrichment ORDER BY events DESC LIMIT 10;`

// orderQuery shows enriched entities: the latest orders' state as fetched.
const orderQuery = `SELECT store_hash, entity_id, scope, json_extract(entity, '$.orders.status') AS status,
json_extract(entity, '$.orders.total_inc_tax') AS total FROM events
WHERE entity_type = 'order' AND enrichment = 'ok' ORDER BY received_at DESC LIMIT 5;`

// published counts what was published, by kind.
type published struct {
	mu sync.Mutex
	counts
	done bool
}

// counts are the messages published: new events of registered stores,
// re-sent duplicates, malformed payloads, and events of a store that is
// not in the registry.
type counts struct {
	total, unique, dups, bads, strangers int
}

func (p *published) snapshot() (counts, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts, p.done
}

// result is what a demo run published and what the worker did with it.
type result struct {
	counts
	stats        pipeline.Stats
	enrich       enrich.Stats
	apiRequests  int64
	api429s      int64
	deadByReason map[string]int
}

func run(ctx context.Context, o options) (result, error) {
	var res result
	if !o.keepDB {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(o.dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return res, err
			}
		}
	}
	kind, fake, stopPubSub, err := startPubSub(ctx, o)
	if err != nil {
		return res, err
	}
	defer stopPubSub()

	client, err := pubsub.NewClient(ctx, demoProject)
	if err != nil {
		return res, err
	}
	defer client.Close()

	dir, err := os.MkdirTemp("", "bcstream-demo-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	stores, err := startStores(o, dir)
	if err != nil {
		return res, err
	}
	defer stores.close()
	fmt.Fprintf(os.Stderr, "BigCommerce: %d simulated stores at %s (%d API requests per 30 s each)\n", o.stores, stores.srv.URL, o.quota)

	top := registrar.DefaultTopology()
	if fake {
		// The in-process fake mishandles dead-letter policies (it forwards
		// the same message again and again); the worker's own
		// dead-lettering does not need one.
		top.MaxDeliveryAttempts = 0
	}
	if err := stores.register(ctx, client, top, os.Stderr); err != nil {
		return res, err
	}

	// The worker reads its settings like in production: the demo's Pub/Sub
	// names and stores win, then the environment, then the demo's defaults.
	forced := envconfig.MapLookuper(map[string]string{
		"GOOGLE_CLOUD_PROJECT":     demoProject,
		"PUBSUB_SUBSCRIPTION":      top.Subscription,
		"PUBSUB_DEAD_LETTER_TOPIC": top.DeadLetterTopic,
		"STORES_FILE":              stores.file,
		"BIGCOMMERCE_API_URL":      stores.srv.URL,
	})
	demoDefaults := map[string]string{
		"SINKS":          "sqlite",
		"SQLITE_PATH":    o.dbPath,
		"PUBSUB_STREAMS": "8",     // the emulator serves ~2,000 msg/s per stream
		"LOG_LEVEL":      "error", // the summary counts dead letters by reason
	}
	if o.bigQuery {
		bqEnv, stopBQ, err := startBigQuery(ctx)
		if err != nil {
			return res, err
		}
		defer stopBQ()
		for k, v := range bqEnv {
			demoDefaults[k] = v
		}
	}
	env := envconfig.MultiLookuper(forced, envconfig.OsLookuper(), envconfig.MapLookuper(demoDefaults))
	lookup := func(k string) string { v, _ := env.Lookup(k); return v }
	var cfg worker.Config
	if err := config.Load(ctx, &cfg, env); err != nil {
		return res, fmt.Errorf("worker configuration:\n%w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.Level(cfg.LogLevel)}))
	w, err := worker.New(ctx, cfg, worker.Deps{Logger: logger, Lookuper: env, Version: buildinfo.Version()})
	if err != nil {
		return res, err
	}
	defer w.Close()

	fmt.Fprintf(os.Stderr, "Pub/Sub: %s\nsinks: %s\n", kind, strings.Join(cfg.Sinks, ", "))
	workerCtx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	workerDone := make(chan error, 1)
	go func() { workerDone <- w.Run(workerCtx) }()

	pub := &published{}
	pubErr := make(chan error, 1)
	go func() { pubErr <- publish(ctx, client, top.Topic, o, stores, pub) }()

	start := time.Now()
	if err := watch(ctx, w, stores, pub, pubErr, workerDone); err != nil {
		return res, err
	}
	stopWorker()
	if err := <-workerDone; err != nil {
		return res, err
	}
	elapsed := time.Since(start)
	if err := w.Close(); err != nil {
		return res, err
	}

	res.counts, _ = pub.snapshot()
	res.stats = w.Stats()
	res.enrich, _ = w.EnrichStats()
	res.apiRequests, res.api429s = stores.requests()
	res.deadByReason = deadLetters(ctx, client, top.DeadLetterSubscription, int(res.stats.DeadLettered))
	printSummary(os.Stdout, o, res, elapsed)
	if slices.Contains(cfg.Sinks, "bigquery") {
		if err := printBigQuery(ctx, os.Stdout, lookup); err != nil {
			return res, err
		}
	}
	return res, printQuery(os.Stdout, o.dbPath, cfg.Sinks)
}

// publish sends about o.events messages at o.rate per second, the way
// BigCommerce would: the stores' changes (sim.Mutate) go out through the
// webhooks the registrar created, and only for the scopes they cover. Mixed
// in are re-sends of earlier messages (Pub/Sub and BigCommerce deliver at
// least once), malformed payloads, and events of a store that is not in
// the registry, in the configured proportions.
func publish(ctx context.Context, client *pubsub.Client, topic string, o options, st *simulatedStores, pub *published) error {
	gen := bctest.NewGenerator(o.seed, []bctest.Store{st.stranger})
	rng := rand.New(rand.NewPCG(uint64(o.seed), 7))
	p := client.Publisher(topic)
	defer p.Stop()
	seen := map[string]bool{} // event IDs delivered so far
	var sent [][]byte         // bodies delivered so far, for re-sends
	tick := time.Now()
	for {
		c, _ := pub.snapshot()
		if c.total >= o.events {
			break
		}
		// One step: up to 100 messages.
		var changes []bctest.Envelope
		var direct [][]byte
		var step counts
		for range min(100, o.events-c.total) {
			switch r := rng.Float64(); {
			case r < o.badRate:
				direct = append(direct, gen.Malformed())
				step.bads++
			case r < o.badRate+o.dupRate && len(sent) > 0:
				direct = append(direct, sent[rng.IntN(len(sent))])
				step.dups++
			case r < o.badRate+o.dupRate+o.strangerRate:
				direct = append(direct, gen.Next())
				step.strangers++
			default:
				envs, err := st.sim.Mutate(st.hashes[rng.IntN(len(st.hashes))], 1)
				if err != nil {
					return err
				}
				for _, e := range envs {
					if st.covered(e.Scope) { // no webhook, no message
						changes = append(changes, e)
					}
				}
			}
		}
		d, err := st.sim.Deliver(ctx, client, changes)
		if err != nil {
			return fmt.Errorf("deliver webhooks: %w", err)
		}
		if d.Published != len(changes) {
			return fmt.Errorf("the simulator delivered %d of %d changes; are the webhooks active?", d.Published, len(changes))
		}
		for _, e := range changes {
			ev, err := bigcommerce.Decode(e.Body)
			if err != nil {
				return fmt.Errorf("simulator envelope: %w", err)
			}
			// Two changes of one entity within a second can make the same
			// envelope; the worker keeps one.
			if id := pipeline.EventID(&ev); seen[id] {
				step.dups++
			} else {
				seen[id] = true
				step.unique++
			}
			sent = append(sent, e.Body)
		}
		results := make([]*pubsub.PublishResult, len(direct))
		for i, data := range direct {
			results[i] = p.Publish(ctx, &pubsub.Message{Data: data})
		}
		for _, r := range results {
			if _, err := r.Get(ctx); err != nil {
				return fmt.Errorf("publish: %w", err)
			}
		}
		step.total = len(changes) + len(direct)
		pub.mu.Lock()
		pub.total += step.total
		pub.unique += step.unique
		pub.dups += step.dups
		pub.bads += step.bads
		pub.strangers += step.strangers
		pub.mu.Unlock()
		if o.rate > 0 {
			tick = tick.Add(time.Duration(step.total) * time.Second / time.Duration(o.rate))
			if d := time.Until(tick); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
	}
	pub.mu.Lock()
	pub.done = true
	pub.mu.Unlock()
	return nil
}

// watch prints a progress line until every published message is settled.
func watch(ctx context.Context, w *worker.Worker, st *simulatedStores, pub *published, pubErr, workerDone <-chan error) error {
	tty := isTerminal(os.Stderr)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	lastPrint := time.Time{}
	var lastSettled int64
	lastAt := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-pubErr:
			if err != nil {
				return err
			}
			pubErr = nil
		case err := <-workerDone:
			return fmt.Errorf("worker stopped early: %v", err)
		case now := <-t.C:
			c, done := pub.snapshot()
			s := w.Stats()
			rate := float64(s.Settled()-lastSettled) / now.Sub(lastAt).Seconds()
			lastSettled, lastAt = s.Settled(), now
			requests, _ := st.requests()
			line := fmt.Sprintf("published %6d  received %6d  written %6d  duplicates %5d  dead-lettered %4d  API requests %5d  %6.0f msg/s",
				c.total, s.Received, s.Written, s.Duplicates, s.DeadLettered, requests, rate)
			finished := done && s.Settled() >= int64(c.total)
			switch {
			case tty:
				fmt.Fprintf(os.Stderr, "\r%s", line)
				if finished {
					fmt.Fprintln(os.Stderr)
				}
			case finished || now.Sub(lastPrint) >= 2*time.Second:
				fmt.Fprintln(os.Stderr, line)
				lastPrint = now
			}
			if finished {
				return nil
			}
		}
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// deadLetters reads the dead-letter subscription and counts by reason,
// so the summary shows what Pub/Sub really holds, not what the worker
// believes it sent.
func deadLetters(ctx context.Context, client *pubsub.Client, sub string, want int) map[string]int {
	byReason := map[string]int{}
	if want == 0 {
		return byReason
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_ = client.Subscriber(sub).Receive(rctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		mu.Lock()
		defer mu.Unlock()
		id := m.Attributes[pipeline.AttrOriginalMessageID]
		if seen[id] {
			return
		}
		seen[id] = true
		byReason[m.Attributes[pipeline.AttrReason]]++
		if len(seen) >= want {
			cancel()
		}
	})
	return byReason
}

func printSummary(out io.Writer, o options, res result, elapsed time.Duration) {
	s := res.stats
	fmt.Fprintf(out, "\nbcstream demo: %d messages from %d stores in %.1f s\n\n", res.total, o.stores, elapsed.Seconds())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "published\t%d\t(%d unique events, %d re-sent duplicates, %d malformed, %d from an unregistered store)\n",
		res.total, res.unique, res.dups, res.bads, res.strangers)
	fmt.Fprintf(tw, "received\t%d\t\n", s.Received)
	fmt.Fprintf(tw, "written\t%d\t(%d with a scope the catalog does not know)\n", s.Written, s.UnknownScopes)
	by := res.enrich.ByOutcome
	fmt.Fprintf(tw, "  enrichment\t\tok %d, not_found %d, deleted %d, skipped %d, failed %d\n",
		by[sink.EnrichmentOK], by[sink.EnrichmentNotFound], by[sink.EnrichmentDeleted], by[sink.EnrichmentSkipped], by[sink.EnrichmentFailed])
	perEvent := 0.0
	if s.Written > 0 {
		perEvent = float64(res.apiRequests) / float64(s.Written)
	}
	fmt.Fprintf(tw, "API requests\t%d\t(%.2f per event; %d events served by a shared fetch, batch or cache; %d answered 429)\n",
		res.apiRequests, perEvent, res.enrich.Coalesced, res.api429s)
	fmt.Fprintf(tw, "duplicates\t%d\tacked without writing\n", s.Duplicates)
	fmt.Fprintf(tw, "dead-lettered\t%d\t\n", s.DeadLettered)
	reasons := make([]string, 0, len(res.deadByReason))
	for r := range res.deadByReason {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		fmt.Fprintf(tw, "  %s\t%d\t\n", r, res.deadByReason[r])
	}
	if busy := s.LastSettled.Sub(s.FirstReceived); busy > 0 {
		fmt.Fprintf(tw, "throughput\t%.0f msg/s\t(first receive to last ack; publishing paced at %s)\n", float64(s.Settled())/busy.Seconds(), rateText(o.rate))
	}
	tw.Flush()
	if int64(res.unique) != s.Written || int64(res.bads+res.strangers) != s.DeadLettered {
		fmt.Fprintf(out, "\nWARNING: expected %d written and %d dead-lettered\n", res.unique, res.bads+res.strangers)
	}
}

func rateText(rate int) string {
	if rate == 0 {
		return "full speed"
	}
	return fmt.Sprintf("%d msg/s", rate)
}

// printQuery shows the example queries and their answers from the SQLite
// file.
func printQuery(out io.Writer, dbPath string, sinks []string) error {
	if !slices.Contains(sinks, "sqlite") {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(out, "\nThe event history is in %s. Example queries:\n", dbPath)
	for _, q := range []string{exampleQuery, orderQuery} {
		fmt.Fprintf(out, "\n  sqlite3 -header -column %s \"%s\"\n\n", dbPath, strings.ReplaceAll(q, "\n", " "))
		if err := printRows(out, db, q); err != nil {
			return err
		}
	}
	return nil
}

// printRows prints a query's answer as a table.
func printRows(out io.Writer, db *sql.DB, query string) error {
	rows, err := db.Query(query)
	if err != nil {
		return fmt.Errorf("example query: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  "+strings.Join(cols, "\t")+"\t")
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = v.String
			if !v.Valid {
				cells[i] = "NULL"
			}
		}
		fmt.Fprintln(tw, "  "+strings.Join(cells, "\t")+"\t")
	}
	tw.Flush()
	return rows.Err()
}
