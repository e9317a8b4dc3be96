package bigcommerce

import (
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Defaults for NewClient. Each can be changed with the Option of the same
// name.
const (
	// DefaultBaseURL is the REST API's root; a store's API is at
	// {base}/stores/{store_hash}.
	DefaultBaseURL = "https://api.bigcommerce.com"
	// B2BBaseURL is the B2B Edition API root the catalog's B2B calls name
	// in EnrichCall.Base.
	B2BBaseURL = "https://api-b2b.bigcommerce.com/api/v3/io"

	// DefaultTimeout bounds one HTTP attempt. BigCommerce answers in well
	// under a second; 10 s covers a slow order with many products while
	// leaving room for a retry inside a Pub/Sub handler's time.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxRetries is the retries after the first attempt: 5
	// attempts, about 0.2+0.4+0.8+1.6 s of backoff (±50% jitter) for a
	// 5xx, so a failing store holds a message a few seconds, not minutes;
	// the message's redelivery is the outer retry.
	DefaultMaxRetries = 4
	// DefaultBackoff and DefaultMaxBackoff shape the exponential backoff
	// for 5xx and network errors.
	DefaultBackoff    = 200 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
	// DefaultMaxInFlight bounds concurrent requests per store. The quota,
	// not concurrency, is the real limit (150 or 450 per 30 s); 8 in
	// flight at ~200 ms each already exceeds the largest standard quota.
	DefaultMaxInFlight = 8
	// DefaultReserve is the fraction of a store's quota left unused for
	// the other apps installed on the store, which share it.
	DefaultReserve = 0.10
	// DefaultCircuitCooldown is how long a store whose credentials were
	// rejected is left alone before one call re-probes them.
	DefaultCircuitCooldown = 5 * time.Minute
)

// minOverloadWait is the least a store is paused after a 429 that carries
// no rate-limit headers: BigCommerce says that means platform overload, to
// be backed off longer than a quota 429.
const minOverloadWait = 2 * time.Second

// maxResponseSize bounds a response body. The largest enrichment responses
// (a 250-product page of an order) are a few hundred KB.
const maxResponseSize = 32 << 20

// Option configures a Client.
type Option func(*config)

type config struct {
	hc             *http.Client
	transport      http.RoundTripper
	timeout        time.Duration
	maxRetries     int
	backoff        time.Duration
	maxBackoff     time.Duration
	maxInFlight    int
	reserve        float64
	cooldown       time.Duration
	clock          Clock
	logger         *slog.Logger
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	b2bBase        string
	userAgent      string
}

// WithHTTPClient sets the http.Client whose Transport (default
// http.DefaultTransport) carries the requests. The client is copied: its
// Timeout is ignored (see WithTimeout) and redirects are never followed,
// because the token header would follow them to any host.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.hc = hc } }

// WithTransport sets the RoundTripper under the client's instrumentation;
// it overrides WithHTTPClient's Transport.
func WithTransport(rt http.RoundTripper) Option { return func(c *config) { c.transport = rt } }

// WithTimeout bounds each HTTP attempt (default DefaultTimeout). The
// caller's ctx bounds the whole call, retries and waits included.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithMaxRetries sets how many times a retryable failure is retried after
// the first attempt (default DefaultMaxRetries); 0 disables retries.
func WithMaxRetries(n int) Option { return func(c *config) { c.maxRetries = n } }

// WithBackoff sets the first backoff and its cap for 5xx and network errors
// (defaults DefaultBackoff, DefaultMaxBackoff).
func WithBackoff(base, maxWait time.Duration) Option {
	return func(c *config) { c.backoff, c.maxBackoff = base, maxWait }
}

// WithMaxInFlight bounds concurrent requests per store (default
// DefaultMaxInFlight). Until a store's quota is known, it is 1.
func WithMaxInFlight(n int) Option { return func(c *config) { c.maxInFlight = n } }

// WithReserve sets the fraction of each store's quota left for other apps
// (default DefaultReserve), in [0, 1).
func WithReserve(f float64) Option { return func(c *config) { c.reserve = f } }

// WithCircuitCooldown sets how long calls to a store fail fast after its
// credentials were rejected, before one call re-probes (default
// DefaultCircuitCooldown).
func WithCircuitCooldown(d time.Duration) Option { return func(c *config) { c.cooldown = d } }

// WithClock replaces the clock used for rate limiting, backoff and the
// circuit cooldown (tests).
func WithClock(clk Clock) Option { return func(c *config) { c.clock = clk } }

// WithLogger sets the logger for the rare events worth a line: a store's
// circuit opening or closing. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithTracerProvider sets where spans go (default: the global provider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tracerProvider = tp }
}

// WithMeterProvider sets where metrics go (default: a noop provider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meterProvider = mp }
}

// WithB2BBaseURL replaces B2BBaseURL as the host calls with
// EnrichCall.Base == B2BBaseURL are sent to (tests, proxies).
func WithB2BBaseURL(u string) Option { return func(c *config) { c.b2bBase = u } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *config) { c.userAgent = ua } }
