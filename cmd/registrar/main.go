// Command registrar subscribes every store in STORES_FILE to bcstream's
// Pub/Sub topic: it makes the topic, dead-letter topic, subscriptions and
// IAM grants exist, and each store's BigCommerce webhooks match
// WEBHOOK_SCOPES. It runs once (a Cloud Run job, a CronJob) or as a
// reconcile loop.
//
//	registrar plan   [--json] [--prune]   show what apply would change
//	registrar apply  [--json] [--prune]   make it so
//	registrar status [--json]             every webhook, its status and drift
//	registrar run    [--interval 5m] [--prune]   apply every interval, serve HEALTH_ADDR
//
// Exit status: 0 success (plan: nothing to change), 2 plan has pending
// changes, 1 errors (configuration, Pub/Sub, or any store), like
// `terraform plan -detailed-exitcode`. All settings come from the
// environment; see the README.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sethvargo/go-envconfig"
	"golang.org/x/sync/errgroup"

	"bcstream/internal/buildinfo"
	"bcstream/internal/config"
	"bcstream/internal/health"
	"bcstream/internal/logging"
	"bcstream/internal/telemetry"
	"bcstream/registrar"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1
	exitPending = 2
)

const usage = `usage: registrar <command> [flags]

commands:
  plan    [--json] [--prune]   show what apply would change (exit 0: nothing, 2: changes pending, 1: errors)
  apply   [--json] [--prune]   create the Pub/Sub resources and webhooks, re-activate deactivated ones
  status  [--json]             list every webhook of every store with its status
  run     [--interval D] [--prune]   apply every D until SIGTERM, serving /healthz and /readyz on HEALTH_ADDR

--prune also deletes webhooks to our topic whose scope is not in WEBHOOK_SCOPES;
webhooks with other destinations are never touched. Settings come from the environment.
`

func main() {
	ctx, done := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	done()
	os.Exit(code)
}

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		return exitFailed
	}
	cmd := args[0]
	fs := flag.NewFlagSet("registrar "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	prune := fs.Bool("prune", false, "delete webhooks to our topic whose scope is no longer desired")
	interval := fs.Duration("interval", 5*time.Minute, "run: time between reconcile passes")
	switch cmd {
	case "plan", "apply", "status", "run":
	default:
		fmt.Fprintf(stderr, "registrar: unknown command %q\n\n%s", cmd, usage)
		return exitFailed
	}
	if err := fs.Parse(args[1:]); err != nil {
		return exitFailed
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "registrar %s: unexpected arguments %q\n", cmd, fs.Args())
		return exitFailed
	}

	var cfg registrar.Config
	if err := config.Load(ctx, &cfg, envconfig.OsLookuper()); err != nil {
		fmt.Fprintf(stderr, "registrar: configuration:\n%v\n", err)
		return exitFailed
	}
	logger := logging.New(stderr, slog.Level(cfg.LogLevel), logging.WithProject(cfg.Project))
	version := buildinfo.Version()
	tel, err := telemetry.Setup(ctx, cfg.Telemetry, version, telemetry.WithErrorLogger(logger))
	if err != nil {
		fmt.Fprintf(stderr, "registrar: telemetry: %v\n", err)
		return exitFailed
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			logger.WarnContext(ctx, "telemetry shutdown", "error", err)
		}
	}()

	reg, closeFn, err := registrar.Open(ctx, cfg, logger)
	if err != nil {
		fmt.Fprintf(stderr, "registrar: %v\n", err)
		return exitFailed
	}
	defer closeFn()

	write := func(p *registrar.Plan, all bool) {
		if *asJSON {
			p.WriteJSON(stdout)
		} else {
			p.WriteText(stdout, all)
		}
	}
	switch cmd {
	case "plan", "status":
		p, err := reg.Plan(ctx, *prune)
		if err != nil {
			fmt.Fprintf(stderr, "registrar: %v\n", err)
			return exitFailed
		}
		write(p, cmd == "status")
		switch {
		case p.Failed():
			return exitFailed
		case cmd == "plan" && p.Pending() > 0:
			return exitPending
		}
		return exitOK
	case "apply":
		p, err := reg.Apply(ctx, *prune)
		if err != nil {
			fmt.Fprintf(stderr, "registrar: %v\n", err)
			return exitFailed
		}
		write(p, false)
		if p.Failed() {
			return exitFailed
		}
		return exitOK
	}
	if err := run(ctx, reg, cfg, *interval, *prune, logger); err != nil {
		fmt.Fprintf(stderr, "registrar: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// run reconciles every interval and serves the health endpoints.
func run(ctx context.Context, reg *registrar.Registrar, cfg registrar.Config, interval time.Duration, prune bool, logger *slog.Logger) error {
	if interval <= 0 {
		return errors.New("--interval must be > 0")
	}
	hs := health.New(cfg.HealthAddr, logger)
	if err := hs.Listen(); err != nil {
		return err
	}
	tracker := registrar.NewHealth(3*interval + time.Minute)
	hs.AddCheck("reconcile", tracker.Check)
	hs.SetReady(true)
	logger.InfoContext(ctx, "registrar reconciling", "interval", interval.String(), "prune", prune,
		"destination", reg.Destination(), "health_addr", hs.Addr())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return hs.Serve(gctx) })
	g.Go(func() error {
		return reg.Run(gctx, interval, prune, func(p registrar.Pass) {
			tracker.Observe(p)
			logPass(gctx, logger, p)
		})
	})
	return g.Wait()
}

// logPass logs one line per pass, at error level when something failed.
func logPass(ctx context.Context, logger *slog.Logger, p registrar.Pass) {
	failed := 0
	for _, sp := range p.Plan.Stores {
		if sp.Failed() {
			failed++
			logger.ErrorContext(ctx, "store reconcile failed", "store_hash", sp.Store, "error", firstErr(sp))
		}
	}
	level := slog.LevelInfo
	if p.Plan.Failed() {
		level = slog.LevelError
	}
	logger.Log(ctx, level, "reconcile pass finished", "changes", p.Plan.Pending(), "stores", len(p.Plan.Stores),
		"stores_failed", failed, "pubsub_error", p.Plan.GCPErr, "duration", time.Since(p.Start).String())
}

func firstErr(sp *registrar.StorePlan) string {
	if sp.Err != "" {
		return sp.Err
	}
	for _, c := range sp.Hooks {
		if c.Err != "" {
			return c.Scope + ": " + c.Err
		}
	}
	return ""
}
