package bigcommerce

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-retry"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Credentials supplies each store's API token (the X-Auth-Token of a store
// API account).
//
// Token is called before every HTTP attempt, concurrently, so it must be
// cheap (cache what is slow to fetch) and safe for concurrent use. An error
// fails the call without network I/O; it should name the store, never the
// token. The client never logs, returns or records the token: it goes into
// the request header and nowhere else.
type Credentials interface {
	Token(ctx context.Context, storeHash string) (string, error)
}

// Clock is the client's source of time, replaceable in tests (WithClock).
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Request is one API request, relative to a store's API root.
type Request struct {
	// Method is the HTTP method; "" means GET.
	Method string
	// Path is the escaped path below the store's API root, starting with
	// "/v2/", "/v3/" or "/graphql". It must not contain a query, fragment
	// or dot segments.
	Path string
	// Query is the query string; nil for none.
	Query url.Values
	// Body is sent as application/json; nil for none.
	Body []byte
	// Idempotent says the request may be repeated after a 5xx or network
	// error, whose outcome is unknown (a GraphQL query, a PUT). GET, HEAD,
	// PUT, DELETE and OPTIONS are always treated as idempotent. Other
	// requests are retried only after a 429, which BigCommerce answers
	// without processing the request.
	Idempotent bool
	// PathTemplate names the path in spans and metrics
	// ("/v2/orders/{id}"); "" derives one by replacing ID-like segments.
	PathTemplate string
}

// Response is a 2xx answer.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Body is the raw response body; nil when empty (V2 answers 204 No
	// Content for empty lists). V3 bodies keep their {"data", "meta"}
	// envelope; see DataField.
	Body json.RawMessage
	// RateLimit is what the response said about the store's quota.
	RateLimit RateLimit
}

// Client calls the BigCommerce REST API on behalf of many stores. It is
// safe for concurrent use, and should be shared: each store's rate limiter
// and circuit live in it.
//
// Every call:
//   - is refused without I/O while the store's circuit is open (after a
//     401/403; ErrStoreUnauthorized);
//   - waits for the store's limiter (see limiter), which keeps the store's
//     shared quota from ever being exceeded;
//   - is retried on 429 (after the server's reset time), 5xx and network
//     errors (capped exponential backoff with jitter), at most MaxRetries
//     times and never past ctx;
//   - fails with an error classified where it is born: errors.Is with
//     ErrNotFound, ErrUnauthorized, ErrRateLimited; IsRetryable.
type Client struct {
	base    string // core API root, no trailing slash
	b2bBase string
	creds   Credentials
	hc      *http.Client
	cfg     config
	tracer  trace.Tracer
	metrics *clientMetrics

	states sync.Map // storeKey → *storeState, created on first use
}

// api says which API a request goes to; each has its own quota.
type api uint8

const (
	apiCore api = iota // api.bigcommerce.com/stores/{hash}
	apiB2B             // B2B Edition, store named by X-Store-Hash
)

type storeKey struct {
	hash string
	api  api
}

type storeState struct {
	lim  *limiter
	circ *circuit
}

// NewClient returns a client for the API at baseURL ("" means
// DefaultBaseURL; requests go to {baseURL}/stores/{hash}/…), authenticating
// with creds. It starts no goroutines.
func NewClient(baseURL string, creds Credentials, opts ...Option) (*Client, error) {
	if creds == nil {
		return nil, errors.New("bigcommerce: new client: nil credentials")
	}
	cfg := config{
		timeout:     DefaultTimeout,
		maxRetries:  DefaultMaxRetries,
		backoff:     DefaultBackoff,
		maxBackoff:  DefaultMaxBackoff,
		maxInFlight: DefaultMaxInFlight,
		reserve:     DefaultReserve,
		cooldown:    DefaultCircuitCooldown,
		clock:       realClock{},
		b2bBase:     B2BBaseURL,
	}
	for _, o := range opts {
		o(&cfg)
	}
	base, err := checkBaseURL(cmp.Or(baseURL, DefaultBaseURL))
	if err != nil {
		return nil, fmt.Errorf("bigcommerce: new client: %w", err)
	}
	b2b, err := checkBaseURL(cfg.b2bBase)
	if err != nil {
		return nil, fmt.Errorf("bigcommerce: new client: B2B %w", err)
	}
	switch {
	case cfg.timeout <= 0:
		return nil, errors.New("bigcommerce: new client: timeout must be > 0")
	case cfg.maxRetries < 0:
		return nil, errors.New("bigcommerce: new client: max retries must be >= 0")
	case cfg.backoff <= 0 || cfg.maxBackoff < cfg.backoff:
		return nil, errors.New("bigcommerce: new client: backoff must be > 0 and <= its cap")
	case cfg.maxInFlight < 1:
		return nil, errors.New("bigcommerce: new client: max in flight must be >= 1")
	case cfg.reserve < 0 || cfg.reserve >= 1:
		return nil, errors.New("bigcommerce: new client: reserve must be in [0, 1)")
	case cfg.cooldown <= 0:
		return nil, errors.New("bigcommerce: new client: circuit cooldown must be > 0")
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.tracerProvider == nil {
		cfg.tracerProvider = tracenoop.NewTracerProvider()
	}
	if cfg.meterProvider == nil {
		cfg.meterProvider = metricnoop.NewMeterProvider()
	}
	m, err := newClientMetrics(cfg.meterProvider)
	if err != nil {
		return nil, fmt.Errorf("bigcommerce: new client: metrics: %w", err)
	}

	hc := &http.Client{}
	if cfg.hc != nil {
		*hc = *cfg.hc
	}
	rt := cmp.Or[http.RoundTripper](cfg.transport, hc.Transport, http.DefaultTransport)
	hc.Transport = otelhttp.NewTransport(rt,
		otelhttp.WithTracerProvider(cfg.tracerProvider),
		otelhttp.WithMeterProvider(cfg.meterProvider),
		// Trace context stays inside: BigCommerce has no use for it.
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator()),
		otelhttp.WithSpanNameFormatter(httpSpanName),
	)
	hc.Timeout = 0 // per attempt, by context
	// X-Auth-Token is not a header net/http strips on a cross-host redirect;
	// the API does not redirect, so a redirect is answered as is.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	return &Client{
		base:    base,
		b2bBase: b2b,
		creds:   creds,
		hc:      hc,
		cfg:     cfg,
		tracer:  cfg.tracerProvider.Tracer(meterName),
		metrics: m,
	}, nil
}

// checkBaseURL accepts an absolute http(s) URL without query or fragment
// and returns it without a trailing slash.
func checkBaseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("base URL %q: want http(s)://host[/path]", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// templateKey carries a request's path template to httpSpanName.
type templateKey struct{}

// httpSpanName names otelhttp's per-attempt spans by path template, so
// span names stay low-cardinality.
func httpSpanName(_ string, r *http.Request) string {
	if t, ok := r.Context().Value(templateKey{}).(string); ok {
		return "HTTP " + r.Method + " " + t
	}
	return "HTTP " + r.Method
}

// Get fetches path (e.g. "/v2/orders/7", "/v3/catalog/products/9") from
// the store's API. See Do.
func (c *Client) Get(ctx context.Context, storeHash, path string, query url.Values) (Response, error) {
	return c.Do(ctx, storeHash, Request{Method: http.MethodGet, Path: path, Query: query})
}

// Do sends req to the store's API, waiting for the store's rate limiter
// and retrying as the Client doc describes, and returns the 2xx response.
//
// It blocks until the answer, a permanent failure, the retry budget's end,
// or ctx's end. A non-2xx answer is an *APIError (the Response then carries
// the status and rate-limit info but no body); a store whose credentials
// were rejected fails fast with ErrStoreUnauthorized; when the wait for
// the store's quota would outlast ctx's deadline it fails at once with a
// retryable ErrRateLimited. When ctx ends, the error wraps ctx.Err() and
// is not retryable.
func (c *Client) Do(ctx context.Context, storeHash string, req Request) (Response, error) {
	return c.call(ctx, storeHash, apiCore, req)
}

// LimiterStats returns a snapshot of the store's limiter and circuit (for
// the core REST API), and false when the client has not called the store.
func (c *Client) LimiterStats(storeHash string) (LimiterStats, bool) {
	v, ok := c.states.Load(storeKey{storeHash, apiCore})
	if !ok {
		return LimiterStats{}, false
	}
	st := v.(*storeState)
	s := st.lim.stats()
	s.CircuitOpen = st.circ.isOpen()
	return s, true
}

func (c *Client) state(hash string, a api) *storeState {
	k := storeKey{hash, a}
	if v, ok := c.states.Load(k); ok {
		return v.(*storeState)
	}
	v, _ := c.states.LoadOrStore(k, &storeState{
		lim:  newLimiter(c.cfg.clock, c.cfg.maxInFlight, c.cfg.reserve),
		circ: &circuit{cooldown: c.cfg.cooldown},
	})
	return v.(*storeState)
}

// idempotentMethods may be repeated after an unknown outcome.
var idempotentMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodOptions: true,
}

// call is Do for either API: one span, the retry loop around attempt.
func (c *Client) call(ctx context.Context, hash string, a api, req Request) (res Response, err error) {
	req.Method = cmp.Or(req.Method, http.MethodGet)
	if err := checkStoreHash(hash); err != nil {
		return Response{}, err
	}
	if err := checkPath(req.Path); err != nil {
		return Response{}, err
	}
	tmpl := cmp.Or(req.PathTemplate, templatePath(req.Path))
	ctx, span := c.tracer.Start(ctx, "bigcommerce "+req.Method+" "+tmpl,
		trace.WithAttributes(
			attrStoreHash.String(hash),
			attrURLTemplate.String(tmpl),
			attribute.String("http.request.method", req.Method),
		))
	retries := 0
	defer func() {
		span.SetAttributes(attrRetryCount.Int(retries))
		if res.Status != 0 {
			span.SetAttributes(attribute.Int("http.response.status_code", res.Status))
		}
		if res.RateLimit.Known {
			span.SetAttributes(attrRateLeft.Int(res.RateLimit.Left))
		}
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "bigcommerce call failed")
		}
		span.End()
	}()

	st := c.state(hash, a)
	idempotent := req.Idempotent || idempotentMethods[req.Method]
	bo := retry.WithCappedDuration(c.cfg.maxBackoff,
		retry.WithJitterPercent(50, retry.NewExponential(c.cfg.backoff)))
	for {
		res, err = c.attempt(ctx, hash, a, st, req, tmpl, retries)
		if err == nil || !IsRetryable(err) || isCtxErr(ctx, err) {
			return res, err
		}
		var apiErr *APIError
		got429 := errors.As(err, &apiErr) && apiErr.Status == http.StatusTooManyRequests
		switch {
		case !idempotent && !got429:
			return res, err // outcome unknown: the caller decides
		case !got429 && errors.Is(err, ErrRateLimited):
			return res, err // the limiter's wait would pass the deadline
		case retries >= c.cfg.maxRetries:
			return res, fmt.Errorf("%w (gave up after %d attempts)", err, retries+1)
		}
		// A 429 paused the store's limiter (attempt did): the next
		// attempt waits there, with every other call to the store.
		var wait time.Duration
		if !got429 {
			wait, _ = bo.Next()
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return res, err // no time left to retry; still retryable later
		}
		retries++
		c.metrics.retried(ctx, hash)
		if wait > 0 {
			select {
			case <-ctx.Done():
				return res, fmt.Errorf("bigcommerce: %s %s (store %s): %w (last error: %v)", req.Method, req.Path, hash, ctx.Err(), err)
			case <-c.cfg.clock.After(wait):
			}
		}
	}
}

// attempt makes one HTTP attempt: circuit, token, limiter, send.
func (c *Client) attempt(ctx context.Context, hash string, a api, st *storeState, req Request, tmpl string, n int) (Response, error) {
	failFast := func() error {
		return fmt.Errorf("bigcommerce: %s %s (store %s): %w", req.Method, req.Path, hash, ErrStoreUnauthorized)
	}
	probe, ok := st.circ.admit(c.cfg.clock.Now())
	if !ok {
		return Response{}, failFast()
	}
	status := 0 // the answer's status, for the circuit; 0: no answer
	defer func() { c.recordCircuit(ctx, hash, st, probe, status) }()

	token, err := c.creds.Token(ctx, hash)
	if err == nil && token == "" {
		err = errors.New("empty token")
	}
	if err != nil {
		return Response{}, fmt.Errorf("bigcommerce: credentials for store %s: %w", hash, err)
	}

	waited, err := st.lim.acquire(ctx)
	c.metrics.waited(ctx, hash, waited)
	if waited > 0 {
		trace.SpanFromContext(ctx).AddEvent("rate limiter wait", trace.WithAttributes(attrLimiterWait.Int64(waited.Milliseconds())))
	}
	if err != nil {
		return Response{}, fmt.Errorf("bigcommerce: %s %s (store %s): %w", req.Method, req.Path, hash, err)
	}
	if !probe && st.circ.isOpen() {
		// Another call got a 401/403 while this one waited.
		st.lim.done(RateLimit{})
		return Response{}, failFast()
	}

	res, err := c.send(ctx, hash, a, req, tmpl, token)
	st.lim.done(res.RateLimit)
	status = res.Status
	c.metrics.request(ctx, hash, res.Status)
	if res.Status == http.StatusTooManyRequests {
		// After one 429 every call gets 429 until the window resets: stop
		// the whole store until then. Without rate-limit headers a 429
		// means platform overload, backed off longer, and longer again on
		// each retry.
		var apiErr *APIError
		d := time.Duration(0)
		if errors.As(err, &apiErr) {
			d = apiErr.RetryAfter
		}
		if d == 0 {
			d = min(minOverloadWait<<min(n, 4), 30*time.Second)
		}
		st.lim.pause(c.cfg.clock.Now().Add(d))
	}
	return res, err
}

// recordCircuit feeds an attempt's outcome to the store's circuit, and logs
// and counts the circuit opening (once per opening) or closing.
func (c *Client) recordCircuit(ctx context.Context, hash string, st *storeState, probe bool, status int) {
	opened, closed := st.circ.record(c.cfg.clock.Now(), probe, status)
	switch {
	case opened:
		c.metrics.openCircuit.Add(ctx, 1)
		c.cfg.logger.WarnContext(ctx, "bigcommerce rejected the store's credentials; calls to the store fail fast until a re-probe",
			"store_hash", hash, "status", status, "cooldown", c.cfg.cooldown.String())
	case closed:
		c.metrics.openCircuit.Add(ctx, -1)
		c.cfg.logger.InfoContext(ctx, "bigcommerce accepts the store's credentials again", "store_hash", hash, "status", status)
	}
}
