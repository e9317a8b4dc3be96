package telemetry

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Exporter names accepted in OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER.
const (
	ExporterOTLP    = "otlp"    // OTLP over gRPC; endpoint, headers, TLS from OTEL_EXPORTER_OTLP_*
	ExporterConsole = "console" // one JSON object per line on stderr (see WithConsole), for local runs
	ExporterNone    = "none"    // noop providers
)

// Config selects exporters and sampling from the standard OpenTelemetry
// environment variables. Variables the SDK and exporters read themselves
// (OTEL_EXPORTER_OTLP_HEADERS, _INSECURE, _TIMEOUT, OTEL_BSP_*,
// OTEL_METRIC_EXPORT_INTERVAL, OTEL_RESOURCE_ATTRIBUTES, …) are not
// repeated here; they work as documented by OpenTelemetry.
type Config struct {
	// SDKDisabled turns every signal off (noop providers), whatever the
	// exporter variables say.
	SDKDisabled bool `env:"OTEL_SDK_DISABLED"`

	// ServiceName is the service.name resource attribute. Callers set their
	// binary's name (e.g. "bcstream-worker") when it is empty after
	// loading. A service.name in OTEL_RESOURCE_ATTRIBUTES overrides it, and
	// OTEL_SERVICE_NAME overrides that (OpenTelemetry's precedence).
	ServiceName string `env:"OTEL_SERVICE_NAME"`

	// TracesExporter is a comma-separated list of otlp, console, none.
	// Unset, it is otlp when an OTLP endpoint is configured and none
	// otherwise. OpenTelemetry's own default is otlp; ours differs so that
	// a local run or a test never dials localhost:4317 and logs export
	// errors, and so that an unconfigured deploy pays nothing for tracing.
	TracesExporter string `env:"OTEL_TRACES_EXPORTER"`

	// MetricsExporter is like TracesExporter, for metrics.
	MetricsExporter string `env:"OTEL_METRICS_EXPORTER"`

	// Sampler is one of always_on, always_off, traceidratio,
	// parentbased_always_on, parentbased_always_off,
	// parentbased_traceidratio. The parent-based default follows the
	// decision of the publisher's span carried in the Pub/Sub message, so a
	// trace is kept or dropped as a whole.
	Sampler string `env:"OTEL_TRACES_SAMPLER, default=parentbased_always_on"`

	// SamplerArg is the ratio in [0, 1] for the *traceidratio samplers
	// (default 1). It is ignored by the others.
	SamplerArg string `env:"OTEL_TRACES_SAMPLER_ARG"`

	// The OTLP endpoints are read only to choose the default exporters
	// (and to attach Google credentials for *.googleapis.com); the
	// exporters read them again themselves.
	OTLPEndpoint        string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	OTLPTracesEndpoint  string `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
	OTLPMetricsEndpoint string `env:"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"`

	// Config holds only variables: dependencies such as writers and
	// loggers are Options to Setup, because go-envconfig would initialise a
	// nil *struct field (a *slog.Logger) to a zero value that panics.

}

// Validate reports every invalid variable, one error per variable.
func (c Config) Validate() error {
	var errs []error
	if _, err := parseExporters(c.TracesExporter); err != nil {
		errs = append(errs, fmt.Errorf("OTEL_TRACES_EXPORTER: %w", err))
	}
	if _, err := parseExporters(c.MetricsExporter); err != nil {
		errs = append(errs, fmt.Errorf("OTEL_METRICS_EXPORTER: %w", err))
	}
	if _, err := c.sampler(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// tracesExporters returns the trace exporters to use; nil means none.
func (c Config) tracesExporters() []string {
	return c.exporters(c.TracesExporter, c.OTLPTracesEndpoint)
}

// metricsExporters returns the metric exporters to use; nil means none.
func (c Config) metricsExporters() []string {
	return c.exporters(c.MetricsExporter, c.OTLPMetricsEndpoint)
}

func (c Config) exporters(setting, signalEndpoint string) []string {
	if c.SDKDisabled {
		return nil
	}
	if strings.TrimSpace(setting) == "" {
		if strings.TrimSpace(c.OTLPEndpoint) != "" || strings.TrimSpace(signalEndpoint) != "" {
			return []string{ExporterOTLP}
		}
		return nil
	}
	names, _ := parseExporters(setting) // Validate reports errors
	return names
}

// parseExporters parses a comma-separated exporter list. "none" (alone)
// and "" yield nil; duplicates are dropped.
func parseExporters(s string) ([]string, error) {
	var names []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		switch name {
		case "":
			continue
		case ExporterOTLP, ExporterConsole, ExporterNone:
		default:
			return nil, fmt.Errorf("unknown exporter %q (want otlp, console or none)", name)
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if slices.Contains(names, ExporterNone) {
		if len(names) > 1 {
			return nil, fmt.Errorf("%q combines none with other exporters", s)
		}
		return nil, nil
	}
	return names, nil
}

// sampler builds the sampler named by OTEL_TRACES_SAMPLER.
func (c Config) sampler() (sdktrace.Sampler, error) {
	ratio := func() (float64, error) {
		if strings.TrimSpace(c.SamplerArg) == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(strings.TrimSpace(c.SamplerArg), 64)
		if err != nil || r < 0 || r > 1 {
			return 0, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG: want a ratio in [0, 1], got %q", c.SamplerArg)
		}
		return r, nil
	}
	switch name := strings.ToLower(strings.TrimSpace(c.Sampler)); name {
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio", "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		s := sdktrace.TraceIDRatioBased(r)
		if name == "parentbased_traceidratio" {
			s = sdktrace.ParentBased(s)
		}
		return s, nil
	default:
		return nil, fmt.Errorf("OTEL_TRACES_SAMPLER: unknown sampler %q (want always_on, always_off, traceidratio, "+
			"parentbased_always_on, parentbased_always_off or parentbased_traceidratio)", c.Sampler)
	}
}

// isGoogleEndpoint reports whether an OTLP endpoint (a URL or host:port) is
// a Google API such as telemetry.googleapis.com, which needs OAuth
// credentials on every call that the OTLP environment variables cannot
// express.
func isGoogleEndpoint(endpoint string) bool {
	endpoint = strings.TrimSpace(endpoint)
	if endpoint == "" {
		return false
	}
	host := endpoint
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil {
			return false
		}
		host = u.Hostname()
	} else if h, _, ok := strings.Cut(endpoint, ":"); ok {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return host == "googleapis.com" || strings.HasSuffix(host, ".googleapis.com")
}
