package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"cloud.google.com/go/pubsub/v2"
)

// drainResult is what the bare consumer prints on stdout for the parent.
type drainResult struct {
	Count int64     `json:"count"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// drainMain is the bare consumer: Receive and ack, nothing else. It is
// the baseline the worker's cost is compared with.
func drainMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("drain", flag.ContinueOnError)
	project := fs.String("project", "", "project")
	subID := fs.String("sub", "", "subscription ID")
	n := fs.Int64("n", 0, "stop after this many messages")
	streams := fs.Int("streams", 4, "streams")
	outstanding := fs.Int("outstanding", 1000, "max outstanding messages per stream")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	client, err := pubsub.NewClient(ctx, *project)
	if err != nil {
		return err
	}
	defer client.Close()
	sub := client.Subscriber(*subID)
	sub.ReceiveSettings.NumGoroutines = *streams
	sub.ReceiveSettings.MaxOutstandingMessages = *outstanding
	sub.ReceiveSettings.EnablePerStreamFlowControl = true

	var count, first, last atomic.Int64
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err = sub.Receive(rctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		now := time.Now().UnixNano()
		first.CompareAndSwap(0, now)
		if count.Add(1) == *n {
			last.Store(now)
			cancel()
		}
	})
	if err != nil {
		return err
	}
	if count.Load() < *n {
		return fmt.Errorf("stopped after %d of %d messages", count.Load(), *n)
	}
	return json.NewEncoder(os.Stdout).Encode(drainResult{Count: count.Load(), First: time.Unix(0, first.Load()), Last: time.Unix(0, last.Load())})
}
