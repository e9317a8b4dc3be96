// Package telemetry sets up OpenTelemetry tracing and metrics from the
// standard OTEL_* environment variables: OTLP/gRPC export (to an OTel
// Collector, or to Google's telemetry.googleapis.com with Application
// Default Credentials), a console exporter for local runs, or noop providers
// that cost next to nothing when nothing is exported.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/oauth"
)

// Providers are the configured tracer and meter providers.
type Providers struct {
	// TracerProvider is an SDK provider when traces are exported and a
	// noop one otherwise.
	TracerProvider trace.TracerProvider
	// MeterProvider is an SDK provider when metrics are exported and a
	// noop one otherwise.
	MeterProvider metric.MeterProvider
	// TracingEnabled reports whether spans are exported at all. Callers
	// use it to switch on costly instrumentation only when it is seen,
	// such as the Pub/Sub client's per-message spans
	// (pubsub.ClientConfig.EnableOpenTelemetryTracing).
	TracingEnabled bool
	// MetricsEnabled reports whether metrics are exported at all.
	MetricsEnabled bool

	shutdown []func(context.Context) error
	once     sync.Once
	err      error
}

// Shutdown flushes pending spans and metrics and stops the exporters. It
// returns when both are done or ctx is done, whichever is first, so give it a
// short deadline inside the platform's SIGTERM budget. Later calls return the
// first call's result. For noop providers it does nothing.
func (p *Providers) Shutdown(ctx context.Context) error {
	p.once.Do(func() {
		var errs []error
		for _, f := range p.shutdown {
			errs = append(errs, f(ctx))
		}
		p.err = errors.Join(errs...)
	})
	return p.err
}

// Option configures Setup beyond what the environment says.
type Option func(*options)

type options struct {
	console     io.Writer
	errorLogger *slog.Logger
}

// WithConsole sets where the console exporters write (default os.Stderr;
// stdout is for the application's logs). Tests pass a buffer.
func WithConsole(w io.Writer) Option { return func(o *options) { o.console = w } }

// WithErrorLogger routes the SDK's internal errors (failed exports) to
// logger as structured ERROR entries instead of OpenTelemetry's default
// plain text on stderr. The handler is process-wide (otel.SetErrorHandler).
func WithErrorLogger(logger *slog.Logger) Option { return func(o *options) { o.errorLogger = logger } }

// Setup builds the providers cfg asks for and installs them globally
// (otel.SetTracerProvider, otel.SetMeterProvider), together with the W3C
// trace-context and baggage propagators: libraries that read the globals,
// such as the Pub/Sub client's own tracing and otelhttp, then use them.
//
// version becomes service.version (pass buildinfo.Version()). The resource
// also carries service.name (cfg.ServiceName), the SDK's name and version,
// and OTEL_RESOURCE_ATTRIBUTES, which is read from the process environment
// by the SDK (set gcp.project_id there when exporting to Google).
//
// Exporters are created lazily connected: Setup does not wait for an OTLP
// endpoint to be reachable. When the endpoint is a *.googleapis.com host,
// Setup attaches Application Default Credentials to every export call and
// fails if none can be found.
//
// Call Shutdown when done, even after an error from a later step.
func Setup(ctx context.Context, cfg Config, version string, opts ...Option) (_ *Providers, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	sampler, _ := cfg.sampler() // validated above

	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if o.errorLogger != nil {
		logger := o.errorLogger
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			logger.Error("opentelemetry", "error", err)
		}))
	}

	p := &Providers{
		TracerProvider: tracenoop.NewTracerProvider(),
		MeterProvider:  metricnoop.NewMeterProvider(),
	}
	defer func() {
		if err != nil {
			_ = p.Shutdown(ctx)
			return
		}
		otel.SetTracerProvider(p.TracerProvider)
		otel.SetMeterProvider(p.MeterProvider)
	}()

	traceExps, metricExps := cfg.tracesExporters(), cfg.metricsExporters()
	if len(traceExps) == 0 && len(metricExps) == 0 {
		return p, nil
	}
	res, err := newResource(ctx, cfg.ServiceName, version)
	if err != nil {
		return nil, err
	}
	console := o.console
	if console == nil {
		console = os.Stderr
	}

	if len(traceExps) > 0 {
		opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(sampler)}
		for _, name := range traceExps {
			exp, err := newSpanExporter(ctx, name, cfg, console)
			if err != nil {
				return nil, err
			}
			// Batching keeps export off the hot path; OTEL_BSP_* tune it.
			opts = append(opts, sdktrace.WithBatcher(exp))
		}
		tp := sdktrace.NewTracerProvider(opts...)
		p.TracerProvider, p.TracingEnabled = tp, true
		p.shutdown = append(p.shutdown, tp.Shutdown)
	}

	if len(metricExps) > 0 {
		opts := []sdkmetric.Option{sdkmetric.WithResource(res)}
		for _, name := range metricExps {
			exp, err := newMetricExporter(ctx, name, cfg, console)
			if err != nil {
				return nil, err
			}
			// OTEL_METRIC_EXPORT_INTERVAL (default 60 s) sets the period.
			opts = append(opts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)))
		}
		mp := sdkmetric.NewMeterProvider(opts...)
		p.MeterProvider, p.MetricsEnabled = mp, true
		p.shutdown = append(p.shutdown, mp.Shutdown)
	}
	return p, nil
}

func newResource(ctx context.Context, serviceName, version string) (*resource.Resource, error) {
	if serviceName == "" {
		// What the SDK's default resource would say.
		serviceName = "unknown_service:" + filepath.Base(os.Args[0])
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(serviceName)}
	if version != "" {
		attrs = append(attrs, semconv.ServiceVersion(version))
	}
	// Later detectors win. WithFromEnv reads the process environment:
	// OTEL_RESOURCE_ATTRIBUTES may add attributes (gcp.project_id,
	// k8s.pod.name from the downward API) and override service.name and
	// service.version, and OTEL_SERVICE_NAME overrides both, as
	// OpenTelemetry specifies. With the OS environment as the lookuper,
	// serviceName already is OTEL_SERVICE_NAME when that is set.
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attrs...),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	return res, nil
}

func newSpanExporter(ctx context.Context, name string, cfg Config, console io.Writer) (sdktrace.SpanExporter, error) {
	switch name {
	case ExporterConsole:
		return stdouttrace.New(stdouttrace.WithWriter(console))
	default: // ExporterOTLP
		var opts []otlptracegrpc.Option
		if ep := firstNonEmpty(cfg.OTLPTracesEndpoint, cfg.OTLPEndpoint); isGoogleEndpoint(ep) {
			creds, err := googleCredentials(ctx)
			if err != nil {
				return nil, err
			}
			opts = append(opts, otlptracegrpc.WithDialOption(grpc.WithPerRPCCredentials(creds)))
		}
		exp, err := otlptracegrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("otlp trace exporter: %w", err)
		}
		return exp, nil
	}
}

func newMetricExporter(ctx context.Context, name string, cfg Config, console io.Writer) (sdkmetric.Exporter, error) {
	switch name {
	case ExporterConsole:
		return stdoutmetric.New(stdoutmetric.WithWriter(console))
	default: // ExporterOTLP
		var opts []otlpmetricgrpc.Option
		if ep := firstNonEmpty(cfg.OTLPMetricsEndpoint, cfg.OTLPEndpoint); isGoogleEndpoint(ep) {
			creds, err := googleCredentials(ctx)
			if err != nil {
				return nil, err
			}
			opts = append(opts, otlpmetricgrpc.WithDialOption(grpc.WithPerRPCCredentials(creds)))
		}
		exp, err := otlpmetricgrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("otlp metric exporter: %w", err)
		}
		return exp, nil
	}
}

// googleCredentials finds Application Default Credentials (the metadata
// server on Cloud Run and GKE with Workload Identity).
func googleCredentials(ctx context.Context) (credentials.PerRPCCredentials, error) {
	creds, err := oauth.NewApplicationDefault(ctx, "https://www.googleapis.com/auth/cloud-platform")
	if err != nil {
		return nil, fmt.Errorf("credentials for the googleapis.com OTLP endpoint: %w", err)
	}
	return creds, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
