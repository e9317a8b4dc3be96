// Command worker pulls BigCommerce webhook events from a Pub/Sub
// subscription and writes them, deduplicated, to the sinks named in SINKS.
// All settings come from the environment; see the README.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sethvargo/go-envconfig"

	"bcstream/internal/buildinfo"
	"bcstream/internal/config"
	"bcstream/internal/logging"
	"bcstream/internal/worker"

	// The sinks compiled into the worker.
	_ "bcstream/sink/bigquery"
	_ "bcstream/sink/jsonl"
	_ "bcstream/sink/sqlite"
)

func main() {
	ctx, done := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	stopProfile := startCPUProfile()
	err := realMain(ctx)
	stopProfile()
	done()
	if err != nil {
		// The logger may not exist yet (bad config): stderr is the fallback.
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context) error {
	env := envconfig.OsLookuper()
	var cfg worker.Config
	if err := config.Load(ctx, &cfg, env); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	logger := logging.New(os.Stdout, slog.Level(cfg.LogLevel), logging.WithProject(cfg.Project))
	slog.SetDefault(logger)
	version := buildinfo.Version()
	logger.InfoContext(ctx, "worker starting", "version", version, "sinks", cfg.Sinks)

	w, err := worker.New(ctx, cfg, worker.Deps{Logger: logger, Lookuper: env, Version: version})
	if err != nil {
		return err
	}
	runErr := w.Run(ctx)
	closeErr := w.Close()
	if runErr != nil {
		return runErr
	}
	return closeErr
}
