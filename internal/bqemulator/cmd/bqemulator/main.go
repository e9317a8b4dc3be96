// Command bqemulator builds goccy/bigquery-emulator into the local cache
// if it is not there yet (see internal/bqemulator), printing progress, and
// prints the binary's path. With -run it then runs the emulator on the
// given ports until interrupted, printing the variables that point the
// worker's BigQuery sink at it.
//
// CI runs it before the tests, so that the long first build shows its
// progress and does not count against a test's timeout.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"bcstream/internal/bqemulator"
)

func main() {
	run := flag.Bool("run", false, "run the emulator after ensuring it is built")
	project := flag.String("project", "bcstream-local", "project the emulator serves (with -run)")
	restPort := flag.Int("port", 9050, "REST port (with -run; 0 for a free one)")
	grpcPort := flag.Int("grpc-port", 9060, "gRPC port (with -run; 0 for a free one)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	bin, err := bqemulator.Ensure(ctx, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bqemulator:", err)
		os.Exit(1)
	}
	fmt.Println(bin)
	if !*run {
		return
	}
	p, err := bqemulator.Start(ctx, bqemulator.Options{Binary: bin, Project: *project, RESTPort: *restPort, GRPCPort: *grpcPort})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bqemulator:", err)
		os.Exit(1)
	}
	fmt.Printf("BigQuery emulator running (pid %d); for the worker:\n  %s\n", p.Pid(), strings.Join(p.Env(), "\n  "))
	select {
	case <-ctx.Done():
	case <-p.Done():
		fmt.Fprintln(os.Stderr, "bqemulator: the emulator exited")
	}
	if err := p.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "bqemulator:", err)
		os.Exit(1)
	}
}
