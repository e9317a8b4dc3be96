// Command bcload measures the worker against a bare Pub/Sub consumer on the
// same emulator backlog, in one run, and prints throughput, client CPU,
// peak RSS and the ratios between them.
//
//	go run ./cmd/bcload                      # 100k events, worker defaults
//	go run ./cmd/bcload -events 50000 -streams 16 -rounds 3
//
// It starts the Pub/Sub emulator (or uses PUBSUB_EMULATOR_HOST), creates a
// topic with one subscription per consumer, publishes the backlog once
// (so both consumers read the very same messages), then runs each consumer
// as a child process and reads its CPU time and peak RSS from the kernel.
// The bare consumer is this binary re-executed as "bcload drain"; the
// worker is the real cmd/worker binary with the jsonl sink.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "drain":
		err = drainMain(ctx, os.Args[2:])
	case len(os.Args) > 1 && os.Args[1] == "enrich":
		err = enrichMain(ctx, os.Args[2:])
	default:
		err = benchMain(ctx, os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bcload:", err)
		os.Exit(1)
	}
}

// options are the benchmark's flags.
type options struct {
	events      int
	dupRate     float64
	streams     int
	outstanding int
	rounds      int
	workerBin   string
	seed        int64
	cpuProfile  string
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bcload", flag.ContinueOnError)
	fs.IntVar(&o.events, "events", 100_000, "messages in the backlog (keep ≤ 100k: past that the emulator, not the consumer, is measured)")
	fs.Float64Var(&o.dupRate, "dup", 0.10, "fraction of messages that repeat an earlier event")
	fs.IntVar(&o.streams, "streams", 4, "StreamingPull streams for both consumers (the worker's default is 4)")
	fs.IntVar(&o.outstanding, "outstanding", 1000, "max outstanding messages per stream for both consumers (the worker's default)")
	fs.IntVar(&o.rounds, "rounds", 1, "rounds; each publishes a fresh backlog and runs both consumers, alternating who goes first")
	fs.StringVar(&o.workerBin, "worker", "", "worker binary (default: go build ./cmd/worker into a temp dir)")
	fs.Int64Var(&o.seed, "seed", 1, "event generator seed")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "directory for a CPU profile of each run (worker-round-N.pprof, bare-round-N.pprof)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.events <= 0 || o.rounds <= 0 || o.streams <= 0 || o.outstanding <= 0 || o.dupRate < 0 || o.dupRate >= 1 {
		return o, fmt.Errorf("-events, -rounds, -streams and -outstanding must be > 0 and -dup in [0, 1)")
	}
	return o, nil
}
