package bctest_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"bcstream/bigcommerce/bctest"
)

func rateHeaders(r response) [4]string {
	return [4]string{r.header.Get("X-Rate-Limit-Time-Window-Ms"), r.header.Get("X-Rate-Limit-Time-Reset-Ms"),
		r.header.Get("X-Rate-Limit-Requests-Quota"), r.header.Get("X-Rate-Limit-Requests-Left")}
}

// TestRateLimitHeaders walks a 5-per-10-s quota through one window, its
// exhaustion and the next window, checking the headers' arithmetic.
func TestRateLimitHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 1, Quota: 5, Window: 10 * time.Second})
	step := []struct {
		advance time.Duration
		path    string
		status  int
		headers [4]string // window, reset, quota, left
		retry   string
	}{
		{0, "/v2/store", 200, [4]string{"10000", "10000", "5", "4"}, ""},
		{2500 * time.Millisecond, "/v2/store", 200, [4]string{"10000", "7500", "5", "3"}, ""},
		{0, "/v3/catalog/products", 200, [4]string{"10000", "7500", "5", "2"}, ""},
		{1 * time.Millisecond, "/v2/store", 200, [4]string{"10000", "7499", "5", "1"}, ""},
		{0, "/v2/store", 200, [4]string{"10000", "7499", "5", "0"}, ""},
		{0, "/v3/catalog/products", 429, [4]string{"10000", "7499", "5", "0"}, "8"},
		{7 * time.Second, "/v2/store", 429, [4]string{"10000", "499", "5", "0"}, "1"},
		{499 * time.Millisecond, "/v2/store", 200, [4]string{"10000", "10000", "5", "4"}, ""}, // a new window
	}
	for i, s := range step {
		h.clock.Advance(s.advance)
		r := h.get(s.path)
		if r.status != s.status || rateHeaders(r) != s.headers || r.header.Get("X-Retry-After") != s.retry {
			t.Errorf("step %d: %d %v retry %q; want %d %v retry %q", i, r.status, rateHeaders(r),
				r.header.Get("X-Retry-After"), s.status, s.headers, s.retry)
		}
		if r.status == 429 && !strings.Contains(string(r.body), `"status":429`) {
			t.Errorf("step %d: 429 body %s", i, r.body)
		}
	}
	s := h.sim.Stats(h.store.Hash)
	if s.Requests != 8 || s.REST.Requests != 8 || s.REST.RateLimited != 2 || s.ByStatus[429] != 2 || s.ByStatus[200] != 6 ||
		s.REST.Windows != 2 || s.REST.MaxPerWindow != 7 || s.REST.MaxSliding != 7 ||
		s.ByPath["/v2/store"] != 6 || s.ByPath["/v3/catalog/products"] != 2 {
		t.Errorf("stats = %+v", s)
	}
	if got := s.RateLimitedRatio(); got != 0.25 {
		t.Errorf("RateLimitedRatio = %v, want 0.25", got)
	}
}

// TestRateLimitPacing: a client that spends exactly its quota per window
// is never limited, and MaxPerWindow shows it stayed within; spending one
// window's quota at its end and the next one's at its start shows in
// MaxSliding.
func TestRateLimitPacing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 1, Quota: 10, Window: time.Second})
	for range 3 {
		for range 10 {
			if r := h.get("/v2/store"); r.status != 200 {
				t.Fatalf("paced request = %d", r.status)
			}
			h.clock.Advance(90 * time.Millisecond)
		}
		h.clock.Advance(100 * time.Millisecond)
	}
	s := h.sim.Stats(h.store.Hash)
	if s.REST.RateLimited != 0 || s.REST.MaxPerWindow != 10 || s.REST.Windows != 3 || s.REST.MaxSliding > 11 {
		t.Errorf("paced stats = %+v", s.REST)
	}

	h.sim.ResetStats(h.store.Hash)
	h.clock.Advance(2 * time.Second)
	h.get("/v2/store") // opens a window
	h.clock.Advance(999 * time.Millisecond)
	for range 9 {
		h.get("/v2/store")
	}
	h.clock.Advance(time.Millisecond)
	for range 10 {
		h.get("/v2/store")
	}
	s = h.sim.Stats(h.store.Hash)
	if s.REST.RateLimited != 0 || s.REST.MaxPerWindow != 10 || s.REST.MaxSliding != 19 {
		t.Errorf("edge-burst stats = %+v; want no 429s, MaxPerWindow 10, MaxSliding 19", s.REST)
	}
}

func TestRateLimitUnlimited(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 1, Quota: -1})
	for range 300 {
		r := h.get("/v2/store")
		if r.status != 200 || r.header.Get("X-Rate-Limit-Requests-Left") != "" {
			t.Fatalf("unlimited: %d %v", r.status, r.header)
		}
	}
	if s := h.sim.Stats(h.store.Hash); s.REST.Requests != 300 || s.REST.MaxPerWindow != 300 {
		t.Errorf("stats = %+v", s.REST)
	}
}

// TestRateLimitConcurrent: within one window, exactly Quota of many
// concurrent requests succeed.
func TestRateLimitConcurrent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 1, Quota: 20, Window: time.Minute})
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		status = map[int]int{}
	)
	for range 100 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, bctest.APIBase(h.srv.URL, h.store.Hash)+"/v3/catalog/brands", nil)
			req.Header.Set("X-Auth-Token", h.store.Token)
			resp, err := h.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			status[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if status[200] != 20 || status[429] != 80 {
		t.Errorf("statuses = %v, want 20×200 and 80×429", status)
	}
	s := h.sim.Stats(h.store.Hash)
	if s.Requests != 100 || s.REST.RateLimited != 80 || s.REST.MaxPerWindow != 100 || s.ByPath["/v3/catalog/brands"] != 100 {
		t.Errorf("stats = %+v", s)
	}
}

// TestRateLimitB2B: the B2B Edition API has its own quota.
func TestRateLimitB2B(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 1, Stores: []bctest.StoreConfig{{
		Store: bctest.DefaultStores(1)[0], B2BQuota: 2, B2BWindow: time.Minute, Quota: 100}}})
	b2b := func() response {
		return h.do(http.MethodGet, bctest.B2BBase(h.srv.URL)+"/companies/0", h.store.Token, map[string]string{"X-Store-Hash": h.store.Hash})
	}
	b2b()
	b2b()
	if r := b2b(); r.status != 429 || !strings.HasPrefix(string(r.body), `{"code":429`) {
		t.Errorf("3rd B2B request = %d %s", r.status, r.body)
	}
	if r := h.get("/v2/store"); r.status != 200 || r.header.Get("X-Rate-Limit-Requests-Left") != "99" {
		t.Errorf("REST after B2B exhaustion = %d left %s", r.status, r.header.Get("X-Rate-Limit-Requests-Left"))
	}
	if s := h.sim.Stats(h.store.Hash); s.B2B.RateLimited != 1 || s.B2B.Requests != 3 || s.REST.Requests != 1 {
		t.Errorf("stats = %+v", s)
	}
}
