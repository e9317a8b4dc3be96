package bigcommerce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"bcstream/bigcommerce"
)

func TestGet(t *testing.T) {
	t.Parallel()
	var got *http.Request
	api := newFakeAPI(t, nil, 150, 30*time.Second, func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		writeJSON(w, http.StatusOK, `{"data":{"id":7},"meta":{}}`)
	})
	c := newClient(t, api)
	res, err := c.Get(context.Background(), "abc123", "/v3/catalog/products/7",
		url.Values{"include": {"variants,images"}, "id:in": {"1,2"}, "q": {"a&b=c"}})
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	if got.URL.Path != "/stores/abc123/v3/catalog/products/7" {
		t.Errorf("path = %q", got.URL.Path)
	}
	// ':' and ',' as BigCommerce documents them; '&' and '=' escaped.
	if want := "id:in=1,2&include=variants,images&q=a%26b%3Dc"; got.URL.RawQuery != want {
		t.Errorf("query = %q, want %q", got.URL.RawQuery, want)
	}
	if got.Header.Get("X-Auth-Token") != testToken || got.Header.Get("Accept") != "application/json" {
		t.Errorf("headers = %v", got.Header)
	}
	if got.Header.Get("Traceparent") != "" {
		t.Error("trace context sent to BigCommerce")
	}
	if res.Status != 200 || string(res.Body) != `{"data":{"id":7},"meta":{}}` {
		t.Errorf("response = %d %s", res.Status, res.Body)
	}
	wantRL := bigcommerce.RateLimit{Known: true, Quota: 150, Left: 149, Window: 30 * time.Second, ResetIn: res.RateLimit.ResetIn}
	if diff := cmp.Diff(wantRL, res.RateLimit); diff != "" || res.RateLimit.ResetIn <= 0 {
		t.Errorf("RateLimit mismatch (-want +got):\n%s", diff)
	}
	if d, ok := bigcommerce.DataField(res.Body); !ok || string(d) != `{"id":7}` {
		t.Errorf("DataField() = %s, %v", d, ok)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		method    string
		idem      bool
		statuses  []int
		wantCalls int
		wantErr   error // nil: success
		retryable bool
	}{
		{name: "5xx then success", statuses: []int{500, 502, 503, 504, 200}, wantCalls: 5},
		{name: "5xx exhausted", statuses: []int{500}, wantCalls: 3, wantErr: &bigcommerce.APIError{}, retryable: true},
		{name: "404 not retried", statuses: []int{404}, wantCalls: 1, wantErr: bigcommerce.ErrNotFound},
		{name: "422 permanent", statuses: []int{422, 200}, wantCalls: 1, wantErr: &bigcommerce.APIError{}},
		{name: "501 persistent", statuses: []int{501, 200}, wantCalls: 1, wantErr: &bigcommerce.APIError{}},
		{name: "507 plan cap", statuses: []int{507, 200}, wantCalls: 1, wantErr: &bigcommerce.APIError{}},
		{name: "POST not retried on 5xx", method: http.MethodPost, statuses: []int{500, 200}, wantCalls: 1, wantErr: &bigcommerce.APIError{}, retryable: true},
		{name: "idempotent POST retried", method: http.MethodPost, idem: true, statuses: []int{500, 200}, wantCalls: 2},
		{name: "PUT retried", method: http.MethodPut, statuses: []int{503, 200}, wantCalls: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			route, calls := statusRoute(tc.statuses...)
			api := newFakeAPI(t, nil, 0, 0, route)
			c := newClient(t, api, bigcommerce.WithMaxRetries(max(2, len(tc.statuses)-1)))
			_, err := c.Do(context.Background(), "abc123", bigcommerce.Request{
				Method: tc.method, Path: "/v2/orders/1", Idempotent: tc.idem, Body: []byte(`{}`),
			})
			if n := calls(); n != tc.wantCalls {
				t.Errorf("server calls = %d, want %d", n, tc.wantCalls)
			}
			switch want := tc.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("Do() error = %v", err)
				}
				return
			case *bigcommerce.APIError:
				var ae *bigcommerce.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("Do() error = %v, want *APIError", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("Do() error = %v, want %v", err, want)
				}
			}
			if got := bigcommerce.IsRetryable(err); got != tc.retryable {
				t.Errorf("IsRetryable(%v) = %v, want %v", err, got, tc.retryable)
			}
		})
	}
}

// rateLimitedOnce answers 429 with the given headers once, then 200.
func rateLimitedOnce(headers map[string]string) (http.HandlerFunc, func() int) {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			n++
			first := n == 1
			mu.Unlock()
			if first {
				for k, v := range headers {
					w.Header().Set(k, v)
				}
				writeJSON(w, http.StatusTooManyRequests, `{"status":429}`)
				return
			}
			writeJSON(w, http.StatusOK, `{"id":1}`)
		}, func() int {
			mu.Lock()
			defer mu.Unlock()
			return n
		}
}

func TestRateLimited429(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		method   string
		headers  map[string]string
		wantWait time.Duration // the limiter's pause before the retry
	}{
		{
			name: "reset header",
			headers: map[string]string{
				"X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Time-Reset-Ms": "7000",
				"X-Rate-Limit-Requests-Quota": "150", "X-Rate-Limit-Time-Window-Ms": "30000",
			},
			wantWait: 7 * time.Second,
		},
		{
			name: "retry-after longer than reset",
			headers: map[string]string{
				"X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Time-Reset-Ms": "3000", "X-Retry-After": "9",
			},
			wantWait: 9 * time.Second,
		},
		{name: "no headers: platform overload", headers: nil, wantWait: 2 * time.Second},
		{
			name:     "POST retried after 429",
			method:   http.MethodPost,
			headers:  map[string]string{"X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Time-Reset-Ms": "1500"},
			wantWait: 1500 * time.Millisecond,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newFakeClock()
			route, calls := rateLimitedOnce(tc.headers)
			api := newFakeAPI(t, nil, 0, 0, route)
			c := newClient(t, api, bigcommerce.WithClock(clk))
			res, err := c.Do(context.Background(), "abc123", bigcommerce.Request{Method: tc.method, Path: "/v2/store"})
			if err != nil {
				t.Fatalf("Do() error = %v", err)
			}
			if res.Status != 200 || calls() != 2 {
				t.Errorf("status %d after %d calls, want 200 after 2", res.Status, calls())
			}
			var waited time.Duration
			for _, d := range clk.sleeps() {
				waited += d
			}
			if waited != tc.wantWait {
				t.Errorf("waited %v (%v), want %v", waited, clk.sleeps(), tc.wantWait)
			}
		})
	}
}

func TestRateLimitedError(t *testing.T) {
	t.Parallel()
	route, _ := statusRoute(429)
	api := newFakeAPI(t, nil, 0, 0, route)
	c := newClient(t, api, bigcommerce.WithClock(newFakeClock()), bigcommerce.WithMaxRetries(1))
	_, err := c.Get(context.Background(), "abc123", "/v2/store", nil)
	if !errors.Is(err, bigcommerce.ErrRateLimited) || !bigcommerce.IsRetryable(err) {
		t.Errorf("Get() error = %v, want retryable ErrRateLimited", err)
	}
}

// TestCircuit walks a store's circuit through open, fail-fast, a failed
// re-probe, and a successful one.
func TestCircuit(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	api := newFakeAPI(t, nil, 0, 0, nil)
	api.setToken("the-right-token") // the client's token is revoked
	var logs syncBuffer
	c := newClient(t, api, bigcommerce.WithClock(clk),
		bigcommerce.WithCircuitCooldown(5*time.Minute),
		bigcommerce.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	ctx := context.Background()

	// N concurrent first calls: quota unknown, so one goes out; it gets
	// 401 and the others, queued behind it, fail fast.
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = c.Get(ctx, "abc123", "/v2/store", nil) })
	}
	wg.Wait()
	if got := len(api.requests()); got != 1 {
		t.Fatalf("server got %d requests, want 1", got)
	}
	fast := 0
	for _, err := range errs {
		if !errors.Is(err, bigcommerce.ErrUnauthorized) || bigcommerce.IsRetryable(err) {
			t.Errorf("error = %v, want permanent ErrUnauthorized", err)
		}
		if errors.Is(err, bigcommerce.ErrStoreUnauthorized) {
			fast++
		}
		assertNoToken(t, "error", err.Error())
	}
	if fast != n-1 {
		t.Errorf("%d calls failed fast, want %d", fast, n-1)
	}
	if s, _ := c.LimiterStats("abc123"); !s.CircuitOpen {
		t.Error("LimiterStats().CircuitOpen = false")
	}

	// More calls within the cooldown: no I/O.
	for range 5 {
		if _, err := c.Get(ctx, "abc123", "/v2/store", nil); !errors.Is(err, bigcommerce.ErrStoreUnauthorized) {
			t.Fatalf("Get() error = %v, want ErrStoreUnauthorized", err)
		}
	}
	// Other stores are unaffected.
	api.setToken(testToken)
	if _, err := c.Get(ctx, "other1", "/v2/store", nil); err != nil {
		t.Fatalf("Get(other store) error = %v", err)
	}
	api.setToken("the-right-token")
	if got := len(api.requests()); got != 2 {
		t.Fatalf("server got %d requests, want 2", got)
	}

	// After the cooldown one call re-probes; it fails, and the circuit
	// stays open for another cooldown.
	<-clk.After(5 * time.Minute)
	if _, err := c.Get(ctx, "abc123", "/v2/store", nil); !errors.Is(err, bigcommerce.ErrUnauthorized) || errors.Is(err, bigcommerce.ErrStoreUnauthorized) {
		t.Fatalf("re-probe error = %v, want a 401", err)
	}
	if _, err := c.Get(ctx, "abc123", "/v2/store", nil); !errors.Is(err, bigcommerce.ErrStoreUnauthorized) {
		t.Fatalf("after failed re-probe: error = %v, want ErrStoreUnauthorized", err)
	}
	if got := len(api.requests()); got != 3 {
		t.Fatalf("server got %d requests, want 3", got)
	}

	// The token is fixed; after the next cooldown the probe succeeds and
	// the circuit closes.
	api.setToken(testToken)
	<-clk.After(5 * time.Minute)
	if _, err := c.Get(ctx, "abc123", "/v2/store", nil); err != nil {
		t.Fatalf("re-probe error = %v", err)
	}
	if _, err := c.Get(ctx, "abc123", "/v2/store", nil); err != nil {
		t.Fatalf("after re-probe error = %v", err)
	}
	if s, _ := c.LimiterStats("abc123"); s.CircuitOpen {
		t.Error("LimiterStats().CircuitOpen = true after recovery")
	}

	out := logs.String()
	if strings.Count(out, "rejected the store's credentials") != 1 || strings.Count(out, "accepts the store's credentials again") != 1 {
		t.Errorf("want one open and one close line, got:\n%s", out)
	}
	assertNoToken(t, "log", out)
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		route   http.HandlerFunc
		opts    []bigcommerce.Option
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
		retry   bool
	}{
		{
			name: "cancel during rate-limit wait",
			route: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-Rate-Limit-Requests-Left", "0")
				w.Header().Set("X-Rate-Limit-Time-Reset-Ms", "60000")
				writeJSON(w, http.StatusTooManyRequests, `{}`)
			},
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(100*time.Millisecond, cancel)
				return ctx, cancel
			},
			wantErr: context.Canceled,
		},
		{
			name: "deadline shorter than rate-limit wait",
			route: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-Rate-Limit-Requests-Left", "0")
				w.Header().Set("X-Rate-Limit-Time-Reset-Ms", "60000")
				writeJSON(w, http.StatusTooManyRequests, `{}`)
			},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 5*time.Second)
			},
			wantErr: bigcommerce.ErrRateLimited,
			retry:   true,
		},
		{
			name:  "cancel during backoff",
			route: func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 500, `{}`) },
			opts:  []bigcommerce.Option{bigcommerce.WithBackoff(time.Minute, time.Minute)},
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(100*time.Millisecond, cancel)
				return ctx, cancel
			},
			wantErr: context.Canceled,
		},
		{
			name:  "cancel during request",
			route: func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(100*time.Millisecond, cancel)
				return ctx, cancel
			},
			wantErr: context.Canceled,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, nil, 0, 0, tc.route)
			c := newClient(t, api, tc.opts...)
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			_, err := c.Get(ctx, "abc123", "/v2/store", nil)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Get() took %v", elapsed)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Get() error = %v, want %v", err, tc.wantErr)
			}
			if got := bigcommerce.IsRetryable(err); got != tc.retry {
				t.Errorf("IsRetryable(%v) = %v, want %v", err, got, tc.retry)
			}
		})
	}
}

func TestTransientNetworkErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		first func(w http.ResponseWriter, r *http.Request)
	}{
		{
			name: "connection dropped",
			first: func(w http.ResponseWriter, _ *http.Request) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			},
		},
		{
			name:  "per-attempt timeout",
			first: func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			n := 0
			api := newFakeAPI(t, nil, 0, 0, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n++
				first := n == 1
				mu.Unlock()
				if first {
					tc.first(w, r)
					return
				}
				writeJSON(w, 200, `{}`)
			})
			c := newClient(t, api, bigcommerce.WithTimeout(200*time.Millisecond))
			if _, err := c.Get(context.Background(), "abc123", "/v2/store", nil); err != nil {
				t.Fatalf("Get() error = %v", err)
			}
			if len(api.requests()) != 2 {
				t.Errorf("requests = %v, want 2", api.requests())
			}
		})
	}
}

// TestTokenNeverLeaks makes a server echo the request, token included, in
// error bodies, and checks errors, logs and spans.
func TestTokenNeverLeaks(t *testing.T) {
	t.Parallel()
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var b strings.Builder
			b.WriteString(strings.Repeat("x", 150)) // the token straddles the 200-byte cut
			r.Header.Write(&b)
			writeJSON(w, status, b.String())
		}
	}
	for _, status := range []int{400, 401, 404, 429, 500} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, nil, 0, 0, echo(status))
			var logs syncBuffer
			rec := tracetest.NewSpanRecorder()
			c := newClient(t, api, bigcommerce.WithClock(newFakeClock()), bigcommerce.WithMaxRetries(1),
				bigcommerce.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
				bigcommerce.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
			_, err := c.Get(context.Background(), "abc123", "/v2/orders/1", nil)
			if err == nil {
				t.Fatal("Get() error = nil")
			}
			var ae *bigcommerce.APIError
			if errors.As(err, &ae) && len(ae.Message) > 200+len("[REDACTED]") {
				t.Errorf("message is %d bytes", len(ae.Message))
			}
			assertNoToken(t, "error", err.Error())
			assertNoToken(t, "error %+v", strings.Join([]string{err.Error(), ae.Message}, " "))
			assertNoToken(t, "log", logs.String())
			for _, s := range rec.Ended() {
				for _, a := range s.Attributes() {
					assertNoToken(t, "span attribute", a.Value.String())
				}
				for _, e := range s.Events() {
					for _, a := range e.Attributes {
						assertNoToken(t, "span event", a.Value.String())
					}
				}
			}
		})
	}
}

func TestRejectsBadInput(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, nil, 0, 0, nil)
	c := newClient(t, api)
	cases := []struct{ name, hash, path string }{
		{"uppercase hash", "ABC", "/v2/store"},
		{"hash with slash", "abc/../x", "/v2/store"},
		{"empty hash", "", "/v2/store"},
		{"relative path", "abc123", "v2/store"},
		{"dot segment", "abc123", "/v2/../../x"},
		{"query in path", "abc123", "/v2/store?x=1"},
		{"double slash", "abc123", "//evil.example/v2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := c.Get(context.Background(), tc.hash, tc.path, nil); err == nil {
				t.Error("Get() error = nil")
			}
		})
	}
	if got := api.requests(); len(got) != 0 {
		t.Errorf("requests sent: %v", got)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var leaked sync.Mutex
	gotToken := ""
	elsewhere := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		leaked.Lock()
		gotToken = r.Header.Get("X-Auth-Token")
		leaked.Unlock()
	}))
	defer elsewhere.Close()
	api := newFakeAPI(t, nil, 0, 0, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusFound)
	})
	c := newClient(t, api)
	_, err := c.Get(context.Background(), "abc123", "/v2/store", nil)
	var ae *bigcommerce.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusFound {
		t.Errorf("Get() error = %v, want a 302 *APIError", err)
	}
	leaked.Lock()
	defer leaked.Unlock()
	if gotToken != "" {
		t.Error("the token followed the redirect")
	}
}

func TestNewClientValidates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		base  string
		creds bigcommerce.Credentials
		opts  []bigcommerce.Option
	}{
		{"nil creds", "", nil, nil},
		{"bad base", "ftp://x", staticCreds("t"), nil},
		{"base with query", "https://x/?a=1", staticCreds("t"), nil},
		{"reserve 1", "", staticCreds("t"), []bigcommerce.Option{bigcommerce.WithReserve(1)}},
		{"zero in flight", "", staticCreds("t"), []bigcommerce.Option{bigcommerce.WithMaxInFlight(0)}},
		{"negative retries", "", staticCreds("t"), []bigcommerce.Option{bigcommerce.WithMaxRetries(-1)}},
		{"bad b2b base", "", staticCreds("t"), []bigcommerce.Option{bigcommerce.WithB2BBaseURL(":")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := bigcommerce.NewClient(tc.base, tc.creds, tc.opts...); err == nil {
				t.Error("NewClient() error = nil")
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	route, _ := statusRoute(500, 200, 404)
	api := newFakeAPI(t, nil, 0, 0, route)
	reader := sdkmetric.NewManualReader()
	c := newClient(t, api, bigcommerce.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	ctx := context.Background()
	if _, err := c.Get(ctx, "abc123", "/v2/store", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "abc123", "/v2/store", nil); !errors.Is(err, bigcommerce.ErrNotFound) {
		t.Fatal(err)
	}
	api.setToken("other")
	_, _ = c.Get(ctx, "abc123", "/v2/store", nil)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					key := m.Name
					if v, ok := p.Attributes.Value("http.response.status_class"); ok {
						key += "/" + v.AsString()
					}
					got[key] += p.Value
				}
			}
		}
	}
	want := map[string]int64{
		"bcstream.bigcommerce.requests/2xx":  1,
		"bcstream.bigcommerce.requests/4xx":  2,
		"bcstream.bigcommerce.requests/5xx":  1,
		"bcstream.bigcommerce.retries":       1,
		"bcstream.bigcommerce.circuits_open": 1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDataField(t *testing.T) {
	t.Parallel()
	cases := []struct {
		body   string
		want   string
		wantOK bool
	}{
		{body: `{"data":{"id":1},"meta":{}}`, want: `{"id":1}`, wantOK: true},
		{body: `{"meta":{},"data":[1,2]}`, want: `[1,2]`, wantOK: true},
		{body: `{"id":1}`},
		{body: `[{"data":1}]`},
		{body: `{"`},
		{body: `{"data":`},
		{body: ``},
	}
	for _, tc := range cases {
		got, ok := bigcommerce.DataField(json.RawMessage(tc.body))
		if string(got) != tc.want || ok != tc.wantOK {
			t.Errorf("DataField(%s) = %s, %v; want %s, %v", tc.body, got, ok, tc.want, tc.wantOK)
		}
	}
}

// TestCallSpan: each call is one span named by its path template, with the
// attributes the README promises: store hash, template, status, rate-limit
// remaining and the number of retries it took.
func TestCallSpan(t *testing.T) {
	t.Parallel()
	route, _ := statusRoute(http.StatusServiceUnavailable, http.StatusOK)
	api := newFakeAPI(t, nil, 100, time.Minute, route)
	rec := tracetest.NewSpanRecorder()
	c := newClient(t, api, bigcommerce.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	if _, err := c.Get(context.Background(), "abc123", "/v2/orders/17", nil); err != nil {
		t.Fatal(err)
	}
	var call sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "bigcommerce GET /v2/orders/{id}" {
			call = s
		}
	}
	if call == nil {
		t.Fatalf("no span named after the path template among %d", len(rec.Ended()))
	}
	got := map[string]string{}
	for _, a := range call.Attributes() {
		got[string(a.Key)] = a.Value.String()
	}
	want := map[string]string{
		"bigcommerce.store_hash":           "abc123",
		"url.template":                     "/v2/orders/{id}",
		"http.response.status_code":        "200",
		"bigcommerce.retry_count":          "1",
		"bigcommerce.rate_limit.remaining": "98",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("span attribute %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}
