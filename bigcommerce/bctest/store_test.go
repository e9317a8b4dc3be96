package bctest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"bcstream/bigcommerce/bctest"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 12, 5, 16, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is a simulator behind an httptest server.
type harness struct {
	t     *testing.T
	sim   *bctest.Simulator
	srv   *httptest.Server
	store bctest.StoreConfig
	clock *fakeClock
}

func newHarness(t *testing.T, opts bctest.Options) *harness {
	t.Helper()
	clock := newClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	sim := bctest.NewSimulator(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &harness{t: t, sim: sim, srv: srv, store: sim.Stores()[0], clock: clock}
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return m
}

// get requests a REST path of the harness store with its token.
func (h *harness) get(path string) response {
	h.t.Helper()
	return h.do(http.MethodGet, bctest.APIBase(h.srv.URL, h.store.Hash)+path, h.store.Token, nil)
}

func (h *harness) do(method, url, token string, header map[string]string) response {
	h.t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

func TestStoresDeterministic(t *testing.T) {
	t.Parallel()
	a := bctest.NewSimulatorN(42, 3, 0, 0)
	b := bctest.NewSimulatorN(42, 3, 0, 0)
	c := bctest.NewSimulatorN(43, 3, 0, 0)
	sa, sb, sc := a.Stores(), b.Stores(), c.Stores()
	if !slices.Equal(sa, sb) {
		t.Errorf("same seed, different stores:\n%v\n%v", sa, sb)
	}
	if sa[0].Token == sc[0].Token {
		t.Errorf("seeds 42 and 43 give the same token %s", sa[0].Token)
	}
	for i, s := range sa {
		if len(s.Token) != 31 || s.Quota != bctest.DefaultQuota || s.Window != bctest.DefaultWindow ||
			s.B2BQuota != bctest.DefaultB2BQuota || s.B2BWindow != bctest.DefaultB2BWindow || s.Scale != 1 {
			t.Errorf("store %d defaults = %+v", i, s)
		}
		if s.Store != bctest.DefaultStores(3)[i] {
			t.Errorf("store %d = %v, want %v", i, s.Store, bctest.DefaultStores(3)[i])
		}
	}

	// The same seed serves the same bytes.
	body := func(sim *bctest.Simulator) []byte {
		srv := httptest.NewServer(sim)
		defer srv.Close()
		st := sim.Stores()[1]
		req, _ := http.NewRequest(http.MethodGet, bctest.APIBase(srv.URL, st.Hash)+"/v3/catalog/products?include=variants,images&limit=250", nil)
		req.Header.Set("X-Auth-Token", st.Token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	if ba, bb := body(a), body(b); string(ba) != string(bb) {
		t.Errorf("same seed, different products")
	}
	if string(body(a)) == string(body(c)) {
		t.Errorf("different seeds, same products")
	}
}

func TestAddStore(t *testing.T) {
	t.Parallel()
	sim := bctest.NewSimulator(bctest.Options{Seed: 1, Quota: 450, Window: time.Second})
	if err := sim.AddStore(bctest.StoreConfig{Store: bctest.Store{Hash: "abc123"}, Token: "tok", Scale: 2}); err != nil {
		t.Fatal(err)
	}
	st, ok := sim.Store("abc123")
	if !ok || st.Token != "tok" || st.Quota != 450 || st.Window != time.Second || st.ID == "" || st.Scale != 2 {
		t.Errorf("Store(abc123) = %+v, %v", st, ok)
	}
	for _, bad := range []string{"abc123", "ABC", "", "a/b"} {
		if err := sim.AddStore(bctest.StoreConfig{Store: bctest.Store{Hash: bad}}); err == nil {
			t.Errorf("AddStore(%q) succeeded", bad)
		}
	}
	if _, ok := sim.Store("nope"); ok {
		t.Error("Store(nope) found")
	}
	if got := len(sim.Stores()); got != 2 {
		t.Errorf("%d stores, want 2", got)
	}
	if err := sim.SetToken("nope", "x"); err == nil {
		t.Error("SetToken on an unknown store succeeded")
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	routes := bctest.NewSimulator(bctest.Options{}).Routes()
	if !slices.IsSorted(routes) || len(slices.Compact(slices.Clone(routes))) != len(routes) {
		t.Errorf("Routes not sorted and unique: %v", routes)
	}
	for _, want := range []string{"/v2/orders/{id}", "/v3/catalog/products", "/v3/hooks/{id}", "/api/v3/io/rfq/{id}"} {
		if !slices.Contains(routes, want) {
			t.Errorf("Routes lacks %s", want)
		}
	}
}
