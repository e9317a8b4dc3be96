// Package bqemutest runs goccy/bigquery-emulator for integration tests,
// building it first if this machine has no cached build (see
// internal/bqemulator).
//
// A first build takes about 11 minutes on 2 cores: more than go test's
// default 10-minute timeout. Run the tests with -timeout 30m, or build
// the emulator beforehand with `go run ./internal/bqemulator/cmd/bqemulator`;
// with no cached build and less than 25 minutes left before the test
// binary's timeout, tests skip (fail under CI=true) with that advice rather
// than start a build that the timeout would cut short.
// Where the emulator cannot be built (no clang and no apt-get) tests
// skip — except under CI=true, where they fail: CI must not pass by
// silently skipping its integration tests.
package bqemutest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"bcstream/internal/bqemulator"
	"bcstream/internal/pubsubtest"
)

// Start starts an emulator serving project for tb and stops it at
// cleanup, logging the tail of its output if tb failed. It skips tb under
// -short.
func Start(tb testing.TB, project string) *bqemulator.Process {
	tb.Helper()
	if testing.Short() {
		tb.Skip("skipping: starts the BigQuery emulator (-short)")
	}
	bin := binary(tb)
	ctx, cancel := context.WithTimeout(context.Background(), bqemulator.DefaultStartTimeout)
	defer cancel()
	began := time.Now()
	p, err := bqemulator.Start(ctx, bqemulator.Options{Binary: bin, Project: project, LogDir: tb.TempDir()})
	if err != nil {
		tb.Fatalf("start the BigQuery emulator: %v", err)
	}
	tb.Logf("BigQuery emulator for project %s: REST %s, gRPC %s (pid %d), up in %v",
		project, p.RESTEndpoint(), p.GRPCEndpoint(), p.Pid(), time.Since(began).Round(time.Millisecond))
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("BigQuery emulator log %s, last 4 KiB:\n%s", p.LogPath(), p.LogTail(4096))
		}
		if err := p.Stop(); err != nil {
			tb.Errorf("stopping the BigQuery emulator: %v", err)
		}
	})
	return p
}

// minBuildTime is the test time a first build needs: about 11 minutes on
// an idle 2-core machine, 20 on a busy one, plus the test itself.
const minBuildTime = 25 * time.Minute

var (
	ensureOnce sync.Once
	ensurePath string
	ensureErr  error
)

// binary returns the emulator binary, building it once per test process
// (other processes wait on Ensure's file lock). The build may use what is
// left of the test's deadline, minus a minute for the test itself.
func binary(tb testing.TB) string {
	tb.Helper()
	deadline, hasDeadline := time.Time{}, false
	if t, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		deadline, hasDeadline = t.Deadline()
	}
	if !bqemulator.Ready() && hasDeadline && time.Until(deadline) < minBuildTime {
		// Starting the build would only end in a timeout panic that
		// takes the package's other tests with it.
		msg := fmt.Sprintf("the BigQuery emulator is not built yet and a first build takes longer than this test binary's remaining %v: "+
			"build it first with go run ./internal/bqemulator/cmd/bqemulator, or run go test with -timeout 30m",
			time.Until(deadline).Round(time.Second))
		if pubsubtest.InCI() {
			tb.Fatal(msg)
		}
		tb.Skip(msg + " (set CI=true to make this a failure)")
	}
	ensureOnce.Do(func() {
		ctx := context.Background()
		if hasDeadline {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline.Add(-time.Minute))
			defer cancel()
		}
		// Straight to stderr as well as the test log: go test shows a
		// test's log only at its end, and a first build is long.
		progress := io.MultiWriter(os.Stderr, logWriter{tb})
		ensurePath, ensureErr = bqemulator.Ensure(ctx, progress)
	})
	if ensureErr != nil {
		if errors.Is(ensureErr, bqemulator.ErrUnavailable) && !pubsubtest.InCI() {
			tb.Skipf("BigQuery emulator unavailable (set CI=true to make this a failure): %v", ensureErr)
		}
		if errors.Is(ensureErr, context.DeadlineExceeded) {
			tb.Fatalf("building the BigQuery emulator did not finish within the test timeout; "+
				"run go test with -timeout 30m, or build it first with go run ./internal/bqemulator/cmd/bqemulator: %v", ensureErr)
		}
		tb.Fatalf("BigQuery emulator: %v", ensureErr)
	}
	return ensurePath
}

// logWriter writes progress lines to the log of the test that started
// the build.
type logWriter struct{ tb testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
