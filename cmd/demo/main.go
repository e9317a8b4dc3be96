// Command demo runs bcstream end to end on one machine with no cloud
// account: it starts Pub/Sub (Google's emulator when it is installed,
// otherwise an in-process fake), creates the topic, subscription and
// dead-letter topic, publishes a realistic stream of BigCommerce webhook
// events from several stores (with duplicates and a few malformed ones),
// runs the worker into a local SQLite file, and prints a summary and an
// example query over the event history.
//
//	go run ./cmd/demo
//	go run ./cmd/demo -events 100000 -rate 0
//
// Every worker setting can be overridden through the environment as in
// production (SINKS, BATCH_MAX_ROWS, …); the Pub/Sub names are the demo's.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type options struct {
	events  int
	stores  int
	rate    int
	dupRate float64
	badRate float64
	// strangerRate is the fraction of events from a store missing from
	// the registry (dead-lettered as unknown_store).
	strangerRate float64
	// quota is each simulated store's API quota per 30 s.
	quota int
	// bigQuery writes to the BigQuery emulator instead of SQLite.
	bigQuery  bool
	dbPath    string
	seed      int64
	inProcess bool
	keepDB    bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var o options
	flag.IntVar(&o.events, "events", 10_000, "messages to publish (about)")
	flag.IntVar(&o.stores, "stores", 5, "simulated stores")
	flag.IntVar(&o.rate, "rate", 1_000, "publish rate in messages per second (0: as fast as possible)")
	flag.Float64Var(&o.dupRate, "duplicates", 0.10, "fraction of messages that re-deliver an earlier event")
	flag.Float64Var(&o.badRate, "malformed", 0.01, "fraction of messages that are malformed")
	flag.Float64Var(&o.strangerRate, "strangers", 0.005, "fraction of messages from a store that is not in the registry")
	flag.IntVar(&o.quota, "quota", 3000, "API requests each simulated store allows per 30 s (BigCommerce Standard/Plus: 150, Pro: 450)")
	flag.StringVar(&o.dbPath, "db", "bcstream-demo.db", "SQLite file to write (replaced unless -keep)")
	flag.BoolVar(&o.keepDB, "keep", false, "keep an existing SQLite file and add to it")
	flag.Int64Var(&o.seed, "seed", time.Now().UnixNano(), "event generator seed")
	flag.BoolVar(&o.bigQuery, "bigquery", false, "write to the BigQuery emulator (goccy/bigquery-emulator, built on first use: ~11 min) instead of SQLite")
	flag.BoolVar(&o.inProcess, "in-process", false, "use the in-process Pub/Sub fake even when the emulator is installed")
	flag.Parse()
	if o.events <= 0 || o.stores <= 0 || o.rate < 0 || o.dupRate < 0 || o.badRate < 0 || o.strangerRate < 0 ||
		o.dupRate+o.badRate+o.strangerRate >= 1 || o.quota < 1 {
		fmt.Fprintln(os.Stderr, "demo: -events, -stores and -quota must be > 0, -rate >= 0, and -duplicates + -malformed + -strangers < 1")
		os.Exit(2)
	}
	if _, err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
