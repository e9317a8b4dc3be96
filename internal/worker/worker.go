// Package worker assembles the bcstream worker from its parts: telemetry,
// the Pub/Sub client, the sinks named in SINKS and the pipeline. Both
// cmd/worker and the local demo run it, so they cannot drift apart.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/sethvargo/go-envconfig"

	"bcstream/bigcommerce"
	"bcstream/internal/health"
	"bcstream/internal/stores"
	"bcstream/internal/telemetry"
	"bcstream/pipeline"
	"bcstream/pipeline/enrich"
	"bcstream/sink"
)

// closeBudget bounds closing the sinks and flushing telemetry after the
// pipeline has drained; with DRAIN_TIMEOUT's default of 7 s the total stays
// inside Cloud Run's 10 s SIGTERM window.
const closeBudget = 2500 * time.Millisecond

// Deps are what the caller provides besides the configuration.
type Deps struct {
	Logger *slog.Logger
	// Lookuper is where sinks read their settings (the same environment
	// the Config came from).
	Lookuper envconfig.Lookuper
	// Version is recorded in every row and in telemetry.
	Version string
	// Enricher overrides the enricher the configuration selects (the
	// enrichment stage with STORES_FILE, else pass-through).
	Enricher pipeline.Enricher
	// Credentials, when set, supply store tokens instead of the registry
	// (tests, the demo); the registry still says which stores are known.
	Credentials bigcommerce.Credentials
}

// Worker is an assembled worker, ready to Run.
type Worker struct {
	cfg       Config
	logger    *slog.Logger
	providers *telemetry.Providers
	client    *pubsub.Client
	sink      sink.Sink
	pipeline  *pipeline.Pipeline
	enrich    *enrich.Stage // nil without a store registry
	health    *health.Server

	closeOnce sync.Once
	closeErr  error
}

// New opens the worker's clients and sinks. On error everything opened so
// far is closed. Close releases them after Run.
func New(ctx context.Context, cfg Config, deps Deps) (_ *Worker, err error) {
	w := &Worker{cfg: cfg, logger: deps.Logger}
	if w.logger == nil {
		w.logger = slog.Default()
	}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()

	if cfg.Telemetry.ServiceName == "" {
		cfg.Telemetry.ServiceName = "bcstream-worker"
	}
	w.providers, err = telemetry.Setup(ctx, cfg.Telemetry, deps.Version)
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}

	// The library's own tracing gives each message a "process" span that
	// the pipeline's stage spans nest under; it is only worth its cost
	// when traces are exported.
	w.client, err = pubsub.NewClientWithConfig(ctx, cfg.Project, &pubsub.ClientConfig{
		EnableOpenTelemetryTracing: w.providers.TracingEnabled,
	})
	if err != nil {
		return nil, fmt.Errorf("pubsub client: %w", err)
	}

	w.sink, err = sink.Open(ctx, cfg.Sinks, deps.Lookuper)
	if err != nil {
		return nil, fmt.Errorf("sinks: %w", err)
	}

	enricher := deps.Enricher
	if enricher == nil {
		if enricher, err = w.newEnricher(cfg, deps); err != nil {
			return nil, err
		}
	}

	pd := pipeline.Deps{
		Client:        w.client,
		Sink:          w.sink,
		Enricher:      enricher,
		Logger:        w.logger,
		MeterProvider: w.providers.MeterProvider,
		WorkerVersion: deps.Version,
	}
	if w.providers.TracingEnabled {
		pd.TracerProvider = w.providers.TracerProvider
	}
	w.pipeline, err = pipeline.New(cfg.Pipeline, pd)
	if err != nil {
		return nil, err
	}

	if cfg.HealthAddr != "" {
		w.health = health.New(cfg.HealthAddr, w.logger)
		w.health.AddCheck("pipeline", func(context.Context) error {
			if !w.pipeline.Running() {
				return errors.New("not receiving")
			}
			return nil
		})
	}
	return w, nil
}

// newEnricher builds the enrichment stage from the store registry, or
// the pass-through enricher (with a warning) when there is none.
func (w *Worker) newEnricher(cfg Config, deps Deps) (pipeline.Enricher, error) {
	if cfg.StoresFile == "" {
		w.logger.Warn("STORES_FILE is not set: events from any store are recorded without their entity (enrichment=skipped)")
		return pipeline.PassThrough{}, nil
	}
	reg, err := stores.Load(cfg.StoresFile, nil)
	if err != nil {
		return nil, fmt.Errorf("store registry (STORES_FILE):\n%w", err)
	}
	creds := deps.Credentials
	if creds == nil {
		creds = reg
	}
	opts := []bigcommerce.Option{
		bigcommerce.WithLogger(w.logger),
		bigcommerce.WithMeterProvider(w.providers.MeterProvider),
		bigcommerce.WithMaxInFlight(cfg.Enrich.StoreConcurrency),
		bigcommerce.WithUserAgent("bcstream-worker/" + deps.Version),
	}
	if w.providers.TracingEnabled {
		opts = append(opts, bigcommerce.WithTracerProvider(w.providers.TracerProvider))
	}
	client, err := bigcommerce.NewClient(cfg.APIURL, creds, opts...)
	if err != nil {
		return nil, fmt.Errorf("BigCommerce client (BIGCOMMERCE_API_URL): %w", err)
	}
	w.enrich, err = enrich.New(cfg.Enrich, enrich.Deps{
		Client:        client,
		Registered:    func(hash string) bool { _, ok := reg.Lookup(hash); return ok },
		Logger:        w.logger,
		MeterProvider: w.providers.MeterProvider,
	})
	if err != nil {
		return nil, err
	}
	w.logger.Info("enriching events", "stores", len(reg.Stores()), "api", cfg.APIURL)
	return w.enrich, nil
}

// Stats returns the pipeline's counters (for progress lines and tests).
func (w *Worker) Stats() pipeline.Stats { return w.pipeline.Stats() }

// EnrichStats returns the enrichment stage's counters, and false when
// the worker does not enrich (no STORES_FILE).
func (w *Worker) EnrichStats() (enrich.Stats, bool) {
	if w.enrich == nil {
		return enrich.Stats{}, false
	}
	return w.enrich.Stats(), true
}

// Run receives and writes events until ctx is done, then drains. It logs a
// summary of what it did before returning, and returns only after
// everything it started (the health server included) has stopped.
func (w *Worker) Run(ctx context.Context) error {
	var healthDone chan error
	if w.health != nil {
		if err := w.health.Listen(); err != nil {
			return fmt.Errorf("health listener on %s (HEALTH_ADDR): %w", w.cfg.HealthAddr, err)
		}
		w.health.SetReady(true)
		hctx, stopHealth := context.WithCancel(ctx)
		healthDone = make(chan error, 1)
		go func() { healthDone <- w.health.Serve(hctx) }()
		defer func() {
			stopHealth()
			<-healthDone
		}()
	}

	err := w.pipeline.Run(ctx)
	w.logSummary(ctx)
	if w.health != nil {
		w.health.SetReady(false)
	}
	return err
}

func (w *Worker) logSummary(ctx context.Context) {
	s := w.pipeline.Stats()
	attrs := []any{
		"received", s.Received, "written", s.Written, "duplicates", s.Duplicates,
		"dead_lettered", s.DeadLettered, "dead_lettered_by_reason", s.DeadLetteredByReason,
		"nacked", s.Nacked, "unknown_scopes", s.UnknownScopes,
	}
	if !s.FirstReceived.IsZero() && s.LastSettled.After(s.FirstReceived) {
		busy := s.LastSettled.Sub(s.FirstReceived)
		attrs = append(attrs,
			"first_received", s.FirstReceived.UTC().Format(time.RFC3339Nano),
			"last_settled", s.LastSettled.UTC().Format(time.RFC3339Nano),
			"busy_seconds", busy.Seconds(),
			"settled_per_second", float64(s.Settled())/busy.Seconds())
	}
	if w.enrich != nil {
		e := w.enrich.Stats()
		attrs = append(attrs, "enrichment", e.ByOutcome, "enrich_fetches", e.Fetches, "enrich_batch_fetches", e.BatchFetches,
			"enrich_coalesced", e.Coalesced, "enrich_shed", e.Shed, "enrich_timed_out", e.TimedOut)
	}
	w.logger.InfoContext(ctx, "worker stopped", attrs...)
}

// Close closes the sinks and the Pub/Sub client and flushes telemetry,
// within a short budget of its own. Calls after the first return the
// first one's result.
func (w *Worker) Close() error {
	w.closeOnce.Do(func() { w.closeErr = w.close() })
	return w.closeErr
}

func (w *Worker) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeBudget)
	defer cancel()
	var errs []error
	if w.enrich != nil {
		w.enrich.Close() // after the pipeline: nothing waits for it any more
	}
	if w.sink != nil {
		if err := w.sink.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close sinks: %w", err))
		}
	}
	if w.client != nil {
		if err := w.client.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close pubsub client: %w", err))
		}
	}
	if w.providers != nil {
		if err := w.providers.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("flush telemetry: %w", err))
		}
	}
	return errors.Join(errs...)
}
