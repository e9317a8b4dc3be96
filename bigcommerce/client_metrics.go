package bigcommerce

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// meterName is the instrumentation scope of the client's metrics and spans.
const meterName = "bcstream/bigcommerce"

// Attribute keys on the client's spans and metrics.
const (
	attrStoreHash   = attribute.Key("bigcommerce.store_hash")
	attrStatusClass = attribute.Key("http.response.status_class")
	attrRetryCount  = attribute.Key("bigcommerce.retry_count")
	attrRateLeft    = attribute.Key("bigcommerce.rate_limit.remaining")
	attrLimiterWait = attribute.Key("bigcommerce.limiter.wait_ms")
	attrURLTemplate = attribute.Key("url.template")
)

// clientMetrics are the client's OpenTelemetry instruments. Store hashes
// are a label: their number is bounded by the store registry.
type clientMetrics struct {
	requests    metric.Int64Counter
	rateLimited metric.Int64Counter
	retries     metric.Int64Counter
	wait        metric.Float64Histogram
	openCircuit metric.Int64UpDownCounter
}

func newClientMetrics(mp metric.MeterProvider) (*clientMetrics, error) {
	meter := mp.Meter(meterName)
	var m clientMetrics
	var errs [5]error
	m.requests, errs[0] = meter.Int64Counter("bcstream.bigcommerce.requests",
		metric.WithDescription("HTTP attempts to the BigCommerce API, by store and status class (2xx, 4xx, 5xx, error)."),
		metric.WithUnit("{request}"))
	m.rateLimited, errs[1] = meter.Int64Counter("bcstream.bigcommerce.rate_limited",
		metric.WithDescription("429 answers from the BigCommerce API, by store."),
		metric.WithUnit("{response}"))
	m.retries, errs[2] = meter.Int64Counter("bcstream.bigcommerce.retries",
		metric.WithDescription("Retried BigCommerce API attempts, by store."),
		metric.WithUnit("{retry}"))
	m.wait, errs[3] = meter.Float64Histogram("bcstream.bigcommerce.limiter.wait",
		metric.WithDescription("Time a request waited for its store's rate limiter."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
	m.openCircuit, errs[4] = meter.Int64UpDownCounter("bcstream.bigcommerce.circuits_open",
		metric.WithDescription("Stores whose calls fail fast because their credentials were rejected."),
		metric.WithUnit("{store}"))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return &m, nil
}

// statusClass is the status-class label: "2xx" … "5xx", or "error" when
// there was no HTTP answer.
func statusClass(status int) string {
	switch {
	case status >= 200 && status < 300:
		return "2xx"
	case status >= 300 && status < 400:
		return "3xx"
	case status >= 400 && status < 500:
		return "4xx"
	case status >= 500 && status < 600:
		return "5xx"
	}
	return "error"
}

func (m *clientMetrics) request(ctx context.Context, store string, status int) {
	m.requests.Add(ctx, 1, metric.WithAttributes(attrStoreHash.String(store), attrStatusClass.String(statusClass(status))))
	if status == 429 {
		m.rateLimited.Add(ctx, 1, metric.WithAttributes(attrStoreHash.String(store)))
	}
}

func (m *clientMetrics) waited(ctx context.Context, store string, d time.Duration) {
	m.wait.Record(ctx, d.Seconds(), metric.WithAttributes(attrStoreHash.String(store)))
}

func (m *clientMetrics) retried(ctx context.Context, store string) {
	m.retries.Add(ctx, 1, metric.WithAttributes(attrStoreHash.String(store)))
}
