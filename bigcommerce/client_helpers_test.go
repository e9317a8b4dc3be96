package bigcommerce_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"bcstream/bigcommerce"
)

// testToken is the token the fake API accepts. Tests assert it never
// appears in errors or logs.
const testToken = "sekrit-0123456789abcdefghij"

// staticCreds hands out one token for every store.
type staticCreds string

func (c staticCreds) Token(context.Context, string) (string, error) { return string(c), nil }

// fakeClock is a clock whose timers fire at once, moving time forward by
// their duration: waits cost no real time and are recorded.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	now := c.now
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// fakeAPI is a BigCommerce REST API for one token: it checks X-Auth-Token,
// counts requests in fixed windows like BigCommerce (answering 429 past the
// quota, with the X-Rate-Limit-* headers), and hands the rest to route.
type fakeAPI struct {
	*httptest.Server
	clock  interface{ Now() time.Time }
	quota  int           // 0: unlimited, no rate-limit headers
	window time.Duration // BigCommerce: 30 s
	// route answers requests that passed auth and rate limiting; nil
	// answers 200 {"data":{}}.
	route http.HandlerFunc

	mu          sync.Mutex
	token       string
	winStart    time.Time
	used        int
	perWindow   []int
	n429        int
	uris        []string
	inFlight    int
	maxInFlight int
}

func newFakeAPI(tb testing.TB, clock interface{ Now() time.Time }, quota int, window time.Duration, route http.HandlerFunc) *fakeAPI {
	tb.Helper()
	if clock == nil {
		clock = realNow{}
	}
	f := &fakeAPI{clock: clock, quota: quota, window: window, route: route, token: testToken}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.Close)
	return f
}

type realNow struct{}

func (realNow) Now() time.Time { return time.Now() }

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.uris = append(f.uris, r.Method+" "+r.URL.RequestURI())
	if r.Header.Get("X-Auth-Token") != f.token {
		f.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, `{"status":401,"title":"Unauthorized"}`)
		return
	}
	if f.quota > 0 {
		now := f.clock.Now()
		if f.winStart.IsZero() || !now.Before(f.winStart.Add(f.window)) {
			if !f.winStart.IsZero() {
				f.perWindow = append(f.perWindow, f.used)
			}
			f.winStart, f.used = now, 0
		}
		h := w.Header()
		h.Set("X-Rate-Limit-Requests-Quota", strconv.Itoa(f.quota))
		h.Set("X-Rate-Limit-Time-Window-Ms", strconv.FormatInt(f.window.Milliseconds(), 10))
		h.Set("X-Rate-Limit-Time-Reset-Ms", strconv.FormatInt(f.winStart.Add(f.window).Sub(now).Milliseconds(), 10))
		if f.used >= f.quota {
			f.n429++
			f.mu.Unlock()
			h.Set("X-Rate-Limit-Requests-Left", "0")
			writeJSON(w, http.StatusTooManyRequests, `{"status":429,"title":"Too many requests"}`)
			return
		}
		f.used++
		h.Set("X-Rate-Limit-Requests-Left", strconv.Itoa(f.quota-f.used))
	}
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()
	if f.route == nil {
		writeJSON(w, http.StatusOK, `{"data":{}}`)
		return
	}
	f.route(w, r)
}

func (f *fakeAPI) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.uris...)
}

func (f *fakeAPI) maxConcurrent() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInFlight
}

func (f *fakeAPI) setToken(tok string) {
	f.mu.Lock()
	f.token = tok
	f.mu.Unlock()
}

// windows returns the requests counted in each window so far, the
// current one last, and the number of 429s.
func (f *fakeAPI) windows() ([]int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append(append([]int(nil), f.perWindow...), f.used), f.n429
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

// newClient returns a client for api with fast test defaults; opts come
// after them and win.
func newClient(tb testing.TB, api *fakeAPI, opts ...bigcommerce.Option) *bigcommerce.Client {
	tb.Helper()
	base := []bigcommerce.Option{
		bigcommerce.WithBackoff(time.Millisecond, 10*time.Millisecond),
		bigcommerce.WithTimeout(5 * time.Second),
	}
	c, err := bigcommerce.NewClient(api.URL, staticCreds(testToken), append(base, opts...)...)
	if err != nil {
		tb.Fatalf("NewClient() error = %v", err)
	}
	return c
}

// statusRoute answers each request with the next status in statuses (the
// last one repeating), with body `{"status":N}`.
func statusRoute(statuses ...int) (http.HandlerFunc, func() int) {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			s := statuses[min(n, len(statuses)-1)]
			n++
			mu.Unlock()
			writeJSON(w, s, fmt.Sprintf(`{"status":%d,"path":%q}`, s, r.URL.Path))
		}, func() int {
			mu.Lock()
			defer mu.Unlock()
			return n
		}
}

// assertNoToken fails if s contains the test token.
func assertNoToken(tb testing.TB, what, s string) {
	tb.Helper()
	if strings.Contains(s, testToken) {
		tb.Errorf("%s contains the token: %s", what, s)
	}
}
