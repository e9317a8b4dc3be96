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

	"bcstream/bigcommerce/bctest"
	"bcstream/internal/buildinfo"
	"bcstream/internal/config"
	"bcstream/internal/worker"
	"bcstream/pipeline"
	"bcstream/registrar"

	// The sinks the demo can write to (SINKS, default sqlite).
	_ "bcstream/sink/jsonl"
	_ "bcstream/sink/sqlite"
)

const demoProject = "bcstream-demo"

// exampleQuery is printed and run at the end: what happened, per entity.
const exampleQuery = `SELECT entity_type, scope, count(*) AS events, count(DISTINCT store_hash) AS stores
FROM events GROUP BY entity_type, scope ORDER BY events DESC LIMIT 10;`

// published counts what the publisher sent, by kind.
type published struct {
	mu                        sync.Mutex
	total, unique, dups, bads int
	done                      bool
}

func (p *published) snapshot() (total, unique, dups, bads int, done bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total, p.unique, p.dups, p.bads, p.done
}

// result is what a demo run published and what the worker did with it.
type result struct {
	total, unique, dups, bads int
	stats                     pipeline.Stats
	deadByReason              map[string]int
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
	top := registrar.DefaultTopology()
	if fake {
		// The in-process fake mishandles dead-letter policies (it forwards
		// the same message again and again); the worker's own
		// dead-lettering does not need one.
		top.MaxDeliveryAttempts = 0
	}
	if err := registrar.EnsureTopology(ctx, client, top); err != nil {
		return res, fmt.Errorf("create topics and subscriptions: %w", err)
	}

	// The worker reads its settings like in production: the demo's Pub/Sub
	// names win, then the environment, then the demo's defaults.
	forced := envconfig.MapLookuper(map[string]string{
		"GOOGLE_CLOUD_PROJECT":     demoProject,
		"PUBSUB_SUBSCRIPTION":      top.Subscription,
		"PUBSUB_DEAD_LETTER_TOPIC": top.DeadLetterTopic,
	})
	defaults := envconfig.MapLookuper(map[string]string{
		"SINKS":          "sqlite",
		"SQLITE_PATH":    o.dbPath,
		"PUBSUB_STREAMS": "8", // the emulator serves ~2,000 msg/s per stream
		"LOG_LEVEL":      "warn",
	})
	env := envconfig.MultiLookuper(forced, envconfig.OsLookuper(), defaults)
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
	go func() { pubErr <- publish(ctx, client, top.Topic, o, pub) }()

	start := time.Now()
	if err := watch(ctx, w, pub, pubErr, workerDone); err != nil {
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

	res.total, res.unique, res.dups, res.bads, _ = pub.snapshot()
	res.stats = w.Stats()
	res.deadByReason = deadLetters(ctx, client, top.DeadLetterSubscription, int(res.stats.DeadLettered))
	printSummary(os.Stdout, o, res.stats, elapsed, res.total, res.unique, res.dups, res.bads, res.deadByReason)
	return res, printQuery(os.Stdout, o.dbPath, cfg.Sinks)
}

// publish sends o.events messages at o.rate per second: new events, re-sent
// duplicates and malformed payloads, in the configured proportions.
func publish(ctx context.Context, client *pubsub.Client, topic string, o options, pub *published) error {
	gen := bctest.NewGenerator(o.seed, bctest.DefaultStores(o.stores))
	rng := rand.New(rand.NewPCG(uint64(o.seed), 7))
	p := client.Publisher(topic)
	defer p.Stop()
	var results []*pubsub.PublishResult
	tick := time.Now()
	for i := range o.events {
		var data []byte
		r := rng.Float64()
		pub.mu.Lock()
		switch {
		case r < o.badRate:
			data = gen.Malformed()
			pub.bads++
		case r < o.badRate+o.dupRate && pub.unique > 0:
			data = gen.Redeliver()
			pub.dups++
		default:
			data = gen.Next()
			pub.unique++
		}
		pub.total++
		pub.mu.Unlock()
		results = append(results, p.Publish(ctx, &pubsub.Message{Data: data}))
		if o.rate > 0 && i%100 == 99 {
			// Pace in steps of 100 messages.
			tick = tick.Add(100 * time.Second / time.Duration(o.rate))
			if d := time.Until(tick); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
	}
	pub.mu.Lock()
	pub.done = true
	pub.mu.Unlock()
	return nil
}

// watch prints a progress line until every published message is settled.
func watch(ctx context.Context, w *worker.Worker, pub *published, pubErr, workerDone <-chan error) error {
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
			total, _, _, _, done := pub.snapshot()
			s := w.Stats()
			rate := float64(s.Settled()-lastSettled) / now.Sub(lastAt).Seconds()
			lastSettled, lastAt = s.Settled(), now
			line := fmt.Sprintf("published %6d  received %6d  written %6d  duplicates %5d  dead-lettered %4d  %6.0f msg/s",
				total, s.Received, s.Written, s.Duplicates, s.DeadLettered, rate)
			finished := done && s.Settled() >= int64(total)
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

func printSummary(out io.Writer, o options, s pipeline.Stats, elapsed time.Duration, total, unique, dups, bads int, dead map[string]int) {
	fmt.Fprintf(out, "\nbcstream demo: %d messages from %d stores in %.1f s\n\n", total, o.stores, elapsed.Seconds())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "published\t%d\t(%d unique events, %d re-sent duplicates, %d malformed)\n", total, unique, dups, bads)
	fmt.Fprintf(tw, "received\t%d\t\n", s.Received)
	fmt.Fprintf(tw, "written\t%d\t(%d with a scope the catalog does not know)\n", s.Written, s.UnknownScopes)
	fmt.Fprintf(tw, "duplicates\t%d\tacked without writing\n", s.Duplicates)
	fmt.Fprintf(tw, "dead-lettered\t%d\t\n", s.DeadLettered)
	reasons := make([]string, 0, len(dead))
	for r := range dead {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		fmt.Fprintf(tw, "  %s\t%d\t\n", r, dead[r])
	}
	if busy := s.LastSettled.Sub(s.FirstReceived); busy > 0 {
		fmt.Fprintf(tw, "throughput\t%.0f msg/s\t(first receive to last ack; publishing paced at %s)\n", float64(s.Settled())/busy.Seconds(), rateText(o.rate))
	}
	tw.Flush()
	if int64(unique) != s.Written || int64(bads) != s.DeadLettered {
		fmt.Fprintf(out, "\nWARNING: expected %d written and %d dead-lettered\n", unique, bads)
	}
}

func rateText(rate int) string {
	if rate == 0 {
		return "full speed"
	}
	return fmt.Sprintf("%d msg/s", rate)
}

// printQuery shows the example query and its answer from the SQLite file.
func printQuery(out io.Writer, dbPath string, sinks []string) error {
	if !slices.Contains(sinks, "sqlite") {
		return nil
	}
	fmt.Fprintf(out, "\nThe event history is in %s. Example query:\n\n  sqlite3 %s \"%s\"\n\n", dbPath, dbPath, strings.ReplaceAll(exampleQuery, "\n", " "))
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query(exampleQuery)
	if err != nil {
		return fmt.Errorf("example query: %w", err)
	}
	defer rows.Close()
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "entity_type\tscope\tevents\tstores\t")
	for rows.Next() {
		var entity, scope string
		var events, stores int
		if err := rows.Scan(&entity, &scope, &events, &stores); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t\n", entity, scope, events, stores)
	}
	tw.Flush()
	return rows.Err()
}
