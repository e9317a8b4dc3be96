package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sethvargo/go-envconfig"
	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"bcstream/internal/config"
)

// Tests that call Setup don't run in parallel: Setup installs global
// providers and propagators.

func load(t *testing.T, env map[string]string) Config {
	t.Helper()
	var cfg Config
	if err := config.Load(t.Context(), &cfg, envconfig.MapLookuper(env)); err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	return cfg
}

func TestExporterDefaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		env         map[string]string
		wantTraces  []string
		wantMetrics []string
	}{
		{name: "nothing set", env: nil},
		{
			name:        "endpoint set",
			env:         map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"},
			wantTraces:  []string{"otlp"},
			wantMetrics: []string{"otlp"},
		},
		{
			name:       "traces endpoint only",
			env:        map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4317"},
			wantTraces: []string{"otlp"},
		},
		{
			name:        "metrics endpoint only",
			env:         map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://collector:4317"},
			wantMetrics: []string{"otlp"},
		},
		{
			name: "explicit none beats endpoint",
			env: map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
				"OTEL_TRACES_EXPORTER":        "none", "OTEL_METRICS_EXPORTER": "None",
			},
		},
		{
			name:        "explicit lists",
			env:         map[string]string{"OTEL_TRACES_EXPORTER": "console, otlp,console", "OTEL_METRICS_EXPORTER": "CONSOLE"},
			wantTraces:  []string{"console", "otlp"},
			wantMetrics: []string{"console"},
		},
		{
			name: "SDK disabled",
			env: map[string]string{
				"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console",
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := load(t, tc.env)
			if diff := cmp.Diff(tc.wantTraces, cfg.tracesExporters()); diff != "" {
				t.Errorf("traces exporters (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantMetrics, cfg.metricsExporters()); diff != "" {
				t.Errorf("metrics exporters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	var cfg Config
	err := config.Load(t.Context(), &cfg, envconfig.MapLookuper(map[string]string{
		"OTEL_TRACES_EXPORTER":    "jaeger",
		"OTEL_METRICS_EXPORTER":   "none,console",
		"OTEL_TRACES_SAMPLER":     "parentbased_traceidratio",
		"OTEL_TRACES_SAMPLER_ARG": "1.5",
	}))
	want := []string{
		`OTEL_TRACES_EXPORTER: unknown exporter "jaeger" (want otlp, console or none)`,
		`OTEL_METRICS_EXPORTER: "none,console" combines none with other exporters`,
		`OTEL_TRACES_SAMPLER_ARG: want a ratio in [0, 1], got "1.5"`,
	}
	if diff := cmp.Diff(want, strings.Split(errString(err), "\n")); diff != "" {
		t.Errorf("config.Load() errors (-want +got):\n%s", diff)
	}
	if _, err := Setup(t.Context(), cfg, "v1"); err == nil {
		t.Error("Setup() with an invalid config = nil error")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSampler(t *testing.T) {
	t.Parallel()
	cases := []struct {
		sampler, arg string
		want         string // Sampler.Description
		wantErr      bool
	}{
		{sampler: "", want: "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"},
		{sampler: "always_on", want: "AlwaysOnSampler"},
		{sampler: "ALWAYS_OFF", want: "AlwaysOffSampler"},
		{sampler: "traceidratio", arg: "0.25", want: "TraceIDRatioBased{0.25}"},
		{sampler: "traceidratio", want: "TraceIDRatioBased{1}"},
		{sampler: "parentbased_traceidratio", arg: " 0.1 ", want: "ParentBased{root:TraceIDRatioBased{0.1},remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"},
		{sampler: "parentbased_always_off", want: "ParentBased{root:AlwaysOffSampler,remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"},
		{sampler: "always_on", arg: "junk", want: "AlwaysOnSampler"}, // arg ignored
		{sampler: "traceidratio", arg: "-0.1", wantErr: true},
		{sampler: "traceidratio", arg: "half", wantErr: true},
		{sampler: "jaeger_remote", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.sampler+"/"+tc.arg, func(t *testing.T) {
			t.Parallel()
			s, err := Config{Sampler: tc.sampler, SamplerArg: tc.arg}.sampler()
			if (err != nil) != tc.wantErr {
				t.Fatalf("sampler() error = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && s.Description() != tc.want {
				t.Errorf("sampler() = %s, want %s", s.Description(), tc.want)
			}
		})
	}
}

func TestIsGoogleEndpoint(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"https://telemetry.googleapis.com":      true,
		"telemetry.googleapis.com:443":          true,
		"https://TELEMETRY.googleapis.com.:443": true,
		"http://localhost:4317":                 false,
		"collector.monitoring.svc:4317":         false,
		"https://googleapis.com.evil.example":   false,
		"https://notgoogleapis.com":             false,
		"":                                      false,
	}
	for ep, want := range cases {
		if got := isGoogleEndpoint(ep); got != want {
			t.Errorf("isGoogleEndpoint(%q) = %v, want %v", ep, got, want)
		}
	}
}

func TestSetupNone(t *testing.T) {
	p, err := Setup(t.Context(), load(t, nil), "v1")
	if err != nil {
		t.Fatal(err)
	}
	if p.TracingEnabled || p.MetricsEnabled {
		t.Errorf("TracingEnabled, MetricsEnabled = %v, %v; want false, false", p.TracingEnabled, p.MetricsEnabled)
	}
	if _, ok := p.TracerProvider.(tracenoop.TracerProvider); !ok {
		t.Errorf("TracerProvider is %T, want noop", p.TracerProvider)
	}
	if _, ok := p.MeterProvider.(metricnoop.MeterProvider); !ok {
		t.Errorf("MeterProvider is %T, want noop", p.MeterProvider)
	}
	_, span := otel.Tracer("test").Start(t.Context(), "s")
	if span.IsRecording() || span.SpanContext().IsValid() {
		t.Error("global tracer records spans with exporters none")
	}
	span.End()
	if err := p.Shutdown(t.Context()); err != nil {
		t.Errorf("Shutdown() = %v", err)
	}
	fields := otel.GetTextMapPropagator().Fields()
	if diff := cmp.Diff([]string{"baggage", "traceparent", "tracestate"}, fields, sortStrings); diff != "" {
		t.Errorf("global propagator fields (-want +got):\n%s", diff)
	}
}

var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })

func TestSetupConsole(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "gcp.project_id=proj-1,deployment.environment.name=test")
	var buf bytes.Buffer
	cfg := load(t, map[string]string{"OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "console"})
	cfg.ServiceName = "bcstream-test"
	p, err := Setup(t.Context(), cfg, "v1.2.3", WithConsole(&buf))
	if err != nil {
		t.Fatal(err)
	}
	if !p.TracingEnabled || !p.MetricsEnabled {
		t.Fatalf("TracingEnabled, MetricsEnabled = %v, %v; want true, true", p.TracingEnabled, p.MetricsEnabled)
	}
	if otel.GetTracerProvider() != p.TracerProvider {
		t.Error("global tracer provider not set")
	}

	ctx, span := otel.Tracer("bcstream/test").Start(t.Context(), "decode")
	if !span.SpanContext().IsSampled() {
		t.Error("root span not sampled with parentbased_always_on")
	}
	counter, err := p.MeterProvider.Meter("bcstream/test").Int64Counter("messages_received")
	if err != nil {
		t.Fatal(err)
	}
	counter.Add(ctx, 3)
	span.End()

	sctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := p.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown() = %v", err)
	}
	if err := p.Shutdown(sctx); err != nil {
		t.Errorf("second Shutdown() = %v, want the first call's nil", err)
	}

	// stdouttrace and stdoutmetric write one JSON document each.
	var spanOut struct {
		Name     string
		Resource []struct {
			Key   string
			Value struct{ Value any }
		}
	}
	var metricOut struct {
		ScopeMetrics []struct {
			Metrics []struct{ Name string }
		}
	}
	dec := json.NewDecoder(&buf)
	if err := dec.Decode(&spanOut); err != nil {
		t.Fatalf("decoding span output: %v\n%s", err, buf.String())
	}
	if err := dec.Decode(&metricOut); err != nil {
		t.Fatalf("decoding metric output: %v", err)
	}
	if spanOut.Name != "decode" {
		t.Errorf("span name = %q, want decode", spanOut.Name)
	}
	res := map[string]any{}
	for _, kv := range spanOut.Resource {
		res[kv.Key] = kv.Value.Value
	}
	for k, want := range map[string]any{
		"service.name": "bcstream-test", "service.version": "v1.2.3", "gcp.project_id": "proj-1",
		"deployment.environment.name": "test", "telemetry.sdk.language": "go",
	} {
		if res[k] != want {
			t.Errorf("resource %s = %v, want %v", k, res[k], want)
		}
	}
	if len(metricOut.ScopeMetrics) != 1 || len(metricOut.ScopeMetrics[0].Metrics) != 1 ||
		metricOut.ScopeMetrics[0].Metrics[0].Name != "messages_received" {
		t.Errorf("metric output = %+v, want messages_received", metricOut)
	}
}

func TestSetupSamplerOff(t *testing.T) {
	var buf bytes.Buffer
	cfg := load(t, map[string]string{"OTEL_TRACES_EXPORTER": "console", "OTEL_TRACES_SAMPLER": "always_off"})
	p, err := Setup(t.Context(), cfg, "", WithConsole(&buf))
	if err != nil {
		t.Fatal(err)
	}
	_, span := p.TracerProvider.Tracer("t").Start(t.Context(), "dropped")
	span.End()
	if err := p.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("always_off exported spans: %s", buf.String())
	}
}

// TestSetupOTLPDoesNotBlock checks that an unreachable collector neither
// blocks Setup nor holds Shutdown past its ctx (the metric reader still tries
// a final export, which waits for the connection until ctx is done).
func TestSetupOTLPDoesNotBlock(t *testing.T) {
	cfg := load(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_INSECURE": "true",
	})
	start := time.Now()
	p, err := Setup(t.Context(), cfg, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if !p.TracingEnabled || !p.MetricsEnabled {
		t.Errorf("OTLP endpoint set but TracingEnabled, MetricsEnabled = %v, %v", p.TracingEnabled, p.MetricsEnabled)
	}
	if _, ok := p.TracerProvider.(*sdktrace.TracerProvider); !ok {
		t.Errorf("TracerProvider is %T, want *sdktrace.TracerProvider", p.TracerProvider)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	err = p.Shutdown(ctx)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Logf("Shutdown() = %v (export to an unreachable collector may fail)", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Setup+Shutdown took %v", d)
	}
	// Keep the global provider from pointing at a shut-down SDK provider
	// for tests that run after this one.
	otel.SetTracerProvider(trace.TracerProvider(tracenoop.NewTracerProvider()))
}

func TestSetupErrorLogger(t *testing.T) {
	prev := otel.GetErrorHandler()
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	p, err := Setup(t.Context(), load(t, nil), "v1", WithErrorLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(t.Context())
	otel.Handle(errors.New("export failed: unavailable"))
	if out := buf.String(); !strings.Contains(out, `"level":"ERROR"`) || !strings.Contains(out, "export failed: unavailable") {
		t.Errorf("OTel error not logged through the logger: %q", out)
	}
}
