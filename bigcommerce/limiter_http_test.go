package bigcommerce_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"bcstream/bigcommerce"
)

// getMany makes n GETs to the store from workers goroutines.
func getMany(t *testing.T, c *bigcommerce.Client, hash string, workers, n int) {
	t.Helper()
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range workers {
		wg.Go(func() {
			for range jobs {
				if _, err := c.Get(context.Background(), hash, "/v2/store", nil); err != nil {
					t.Errorf("Get() error = %v", err)
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// TestLimiterOverHTTP runs bursts of requests through real HTTP against a
// server enforcing BigCommerce's fixed windows, and checks that no request
// was ever refused: the limiter, not 429s, keeps the client in its quota.
func TestLimiterOverHTTP(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		fake     bool // a fake clock shared by server and client
		quota    int
		window   time.Duration
		requests int
	}{
		// The standard plan over several windows, in no real time.
		{name: "150 per 30s, fake clock", fake: true, quota: 150, window: 30 * time.Second, requests: 600},
		// A short window in real time.
		{name: "20 per second, real clock", quota: 20, window: time.Second, requests: 50},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var opts []bigcommerce.Option
			var clock interface{ Now() time.Time }
			if tc.fake {
				clk := newFakeClock()
				clock = clk
				opts = append(opts, bigcommerce.WithClock(clk))
			}
			api := newFakeAPI(t, clock, tc.quota, tc.window, nil)
			c := newClient(t, api, opts...)
			getMany(t, c, "abc123", 24, tc.requests)

			windows, n429 := api.windows()
			if n429 != 0 {
				t.Errorf("server answered %d 429s", n429)
			}
			total := 0
			for i, n := range windows {
				total += n
				if n > tc.quota {
					t.Errorf("window %d: %d requests, quota %d", i, n, tc.quota)
				}
			}
			if total != tc.requests {
				t.Errorf("server counted %d requests, want %d", total, tc.requests)
			}
			if m := api.maxConcurrent(); m > bigcommerce.DefaultMaxInFlight {
				t.Errorf("%d requests in flight, want at most %d", m, bigcommerce.DefaultMaxInFlight)
			}
			s, ok := c.LimiterStats("abc123")
			if !ok || !s.Known || s.Quota != tc.quota || s.Window != tc.window || s.Reserve == 0 || s.Waits == 0 {
				t.Errorf("LimiterStats() = %+v, %v", s, ok)
			}
			t.Logf("windows %v, stats %+v", windows, s)
		})
	}
}

// TestLimiterOneInFlightUntilQuotaKnown: a store whose answers carry no
// rate-limit headers never sees two requests at once.
func TestLimiterOneInFlightUntilQuotaKnown(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, nil, 0, 0, nil)
	c := newClient(t, api)
	getMany(t, c, "abc123", 10, 30)
	if m := api.maxConcurrent(); m != 1 {
		t.Errorf("max in flight = %d, want 1", m)
	}
}

// TestPlatform429DoesNotSpendTheQuota: a 429 without rate-limit headers is
// BigCommerce shedding load, not the store's quota running out. The client
// backs off a few seconds, then carries on with the quota the last headers
// reported — it once treated the quota as spent and stalled the store
// until the end of its 30 s window after every such 429.
func TestPlatform429DoesNotSpendTheQuota(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		if i == 2 { // platform overload: no rate-limit headers
			writeJSON(w, http.StatusTooManyRequests, `{"status":429}`)
			return
		}
		h := w.Header()
		h.Set("X-Rate-Limit-Requests-Quota", "150")
		h.Set("X-Rate-Limit-Time-Window-Ms", "30000")
		h.Set("X-Rate-Limit-Time-Reset-Ms", "29000")
		h.Set("X-Rate-Limit-Requests-Left", strconv.Itoa(150-i))
		writeJSON(w, http.StatusOK, `{"data":{}}`)
	}))
	t.Cleanup(srv.Close)
	c, err := bigcommerce.NewClient(srv.URL, staticCreds(testToken), bigcommerce.WithClock(clock),
		bigcommerce.WithBackoff(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the second request meets the 429 and is retried
		if _, err := c.Get(context.Background(), "abc123", "/v2/store", nil); err != nil {
			t.Fatal(err)
		}
	}
	var total time.Duration
	for _, d := range clock.sleeps() {
		total += d
	}
	if total > 5*time.Second {
		t.Errorf("the client slept %v (%v) around one platform 429; want the overload back-off of a few seconds, not the rest of the window", total, clock.sleeps())
	}
	if st, _ := c.LimiterStats("abc123"); st.Left < 100 {
		t.Errorf("after a platform 429 the limiter thinks %d requests are left; the server said ~147", st.Left)
	}
}
