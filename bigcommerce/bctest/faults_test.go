package bctest_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"bcstream/bigcommerce/bctest"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults bctest.Faults
		path   string
		status int
		quota  bool // the request consumed quota (rate-limit headers present)
	}{
		{"healthy", bctest.Faults{}, "/v2/store", 200, true},
		{"revoked", bctest.Faults{Revoked: true}, "/v2/store", 401, false},
		{"forbidden prefix", bctest.Faults{Forbidden: []string{"/v3/customers"}}, "/v3/customers?id:in=1", 403, false},
		{"forbidden elsewhere", bctest.Faults{Forbidden: []string{"/v3/customers"}}, "/v3/catalog/products", 200, true},
		{"forbidden all", bctest.Faults{Forbidden: []string{"/"}}, "/v2/store", 403, false},
		{"server errors", bctest.Faults{ServerErrors: 1, ServerErrorStatus: 503}, "/v2/store", 503, true},
		{"not found", bctest.Faults{NotFound: 1}, "/v2/store", 404, true},
		{"platform load", bctest.Faults{PlatformLoad: 1}, "/v2/store", 429, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, bctest.Options{Seed: 1})
			if err := h.sim.SetFaults(h.store.Hash, tt.faults); err != nil {
				t.Fatal(err)
			}
			r := h.get(tt.path)
			if r.status != tt.status {
				t.Errorf("GET %s = %d %s, want %d", tt.path, r.status, r.body, tt.status)
			}
			s := h.sim.Stats(h.store.Hash)
			if consumed := s.REST.Requests == 1; consumed != tt.quota {
				t.Errorf("consumed quota = %v, want %v", consumed, tt.quota)
			}
			if tt.name == "platform load" {
				for k := range r.header {
					if len(k) > 12 && k[:12] == "X-Rate-Limit" {
						t.Errorf("platform-load 429 has %s", k)
					}
				}
				if s.PlatformLimited != 1 || s.REST.RateLimited != 0 {
					t.Errorf("stats = %+v", s)
				}
			}
			if got, _ := h.sim.Faults(h.store.Hash); got.Revoked != tt.faults.Revoked {
				t.Errorf("Faults() = %+v", got)
			}
			// Clearing the faults heals the store.
			h.sim.SetFaults(h.store.Hash, bctest.Faults{})
			if r := h.get(tt.path); r.status != 200 {
				t.Errorf("after clearing: %d", r.status)
			}
		})
	}
}

func TestFaultServerErrorRotation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 1, Quota: -1})
	h.sim.SetFaults(h.store.Hash, bctest.Faults{ServerErrors: 0.5})
	seen := map[int]int{}
	for range 400 {
		seen[h.get("/v2/store").status]++
	}
	if seen[200] < 150 || seen[200] > 250 {
		t.Errorf("%d of 400 healthy with ServerErrors 0.5", seen[200])
	}
	for _, code := range []int{500, 502, 503, 504} {
		if seen[code] == 0 {
			t.Errorf("no %d among %v", code, seen)
		}
	}
}

func TestFaultLatency(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 1})
	h.sim.SetFaults(h.store.Hash, bctest.Faults{Latency: 30 * time.Millisecond, Jitter: 20 * time.Millisecond})
	start := time.Now()
	if r := h.get("/v2/store"); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("answered in %v, want ≥ 30ms", d)
	}

	// A client that gives up during the latency gets no response.
	h.sim.SetFaults(h.store.Hash, bctest.Faults{Latency: time.Minute})
	client := h.srv.Client()
	client.Timeout = 50 * time.Millisecond
	req, _ := http.NewRequest(http.MethodGet, bctest.APIBase(h.srv.URL, h.store.Hash)+"/v2/store", nil)
	req.Header.Set("X-Auth-Token", h.store.Token)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Error("request during a minute's latency did not time out")
	}
}

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 1})
	h.sim.SetFaults(h.store.Hash, bctest.Faults{Drop: 1})
	req, _ := http.NewRequest(http.MethodGet, bctest.APIBase(h.srv.URL, h.store.Hash)+"/v2/store", nil)
	req.Header.Set("X-Auth-Token", h.store.Token)
	resp, err := h.srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection answered %d", resp.StatusCode)
	}
	// Eventually the stats see it (the handler records after closing).
	deadline := time.Now().Add(time.Second)
	for h.sim.Stats(h.store.Hash).Dropped != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := h.sim.Stats(h.store.Hash); s.Dropped != 1 || s.Requests != 1 || s.REST.Requests != 0 {
		t.Errorf("stats = %+v", s)
	}
	if err := h.sim.SetFaults("nosuchstore", bctest.Faults{}); err == nil {
		t.Error("SetFaults on an unknown store succeeded")
	}
}

// TestFaultsConcurrent changes faults while requests run (for -race).
func TestFaultsConcurrent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 1, Quota: -1})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			h.sim.SetFaults(h.store.Hash, bctest.Faults{ServerErrors: float64(i%3) / 4, NotFound: 0.1, Forbidden: []string{"/v3/customers"}})
			h.sim.Faults(h.store.Hash)
			h.sim.Stats(h.store.Hash)
			time.Sleep(100 * time.Microsecond)
		}
	})
	var reqs sync.WaitGroup
	for range 8 {
		reqs.Go(func() {
			for range 50 {
				req, _ := http.NewRequest(http.MethodGet, bctest.APIBase(h.srv.URL, h.store.Hash)+"/v3/catalog/brands", nil)
				req.Header.Set("X-Auth-Token", h.store.Token)
				resp, err := h.srv.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
		})
	}
	reqs.Wait()
	close(stop)
	wg.Wait()
	if s := h.sim.Stats(h.store.Hash); s.Requests != 400 {
		t.Errorf("Requests = %d, want 400", s.Requests)
	}
}
