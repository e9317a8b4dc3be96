package main

import (
	"context"
	"fmt"
	"os"

	"cloud.google.com/go/pubsub/v2/pstest"

	"bcstream/internal/emulator"
)

// startPubSub provides a Pub/Sub endpoint and points PUBSUB_EMULATOR_HOST
// at it, so every client in this process (the worker's included) uses it.
// It prefers an emulator that is already running, then Google's emulator,
// then the in-process fake. The returned func stops what was started.
func startPubSub(ctx context.Context, o options) (kind string, fake bool, stop func(), err error) {
	if host := os.Getenv("PUBSUB_EMULATOR_HOST"); host != "" {
		return "the Pub/Sub emulator at " + host + " (PUBSUB_EMULATOR_HOST)", false, func() {}, nil
	}
	if !o.inProcess {
		if _, availErr := emulator.Available(); availErr == nil {
			fmt.Fprintln(os.Stderr, "starting Google's Pub/Sub emulator (about 10 s) …")
			p, err := emulator.Start(ctx, emulator.Options{})
			if err != nil {
				return "", false, nil, fmt.Errorf("start the Pub/Sub emulator (use -in-process to skip it): %w", err)
			}
			os.Setenv("PUBSUB_EMULATOR_HOST", p.Host())
			return "Google's Pub/Sub emulator at " + p.Host(), false, func() { p.Stop(); os.Unsetenv("PUBSUB_EMULATOR_HOST") }, nil
		} else {
			fmt.Fprintf(os.Stderr, "the Pub/Sub emulator is not installed (%v); using the in-process fake\n", availErr)
		}
	}
	srv := pstest.NewServer()
	os.Setenv("PUBSUB_EMULATOR_HOST", srv.Addr)
	return "the in-process Pub/Sub fake (pstest) at " + srv.Addr, true, func() { srv.Close(); os.Unsetenv("PUBSUB_EMULATOR_HOST") }, nil
}
