package enrich

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
)

type oneToken string

func (t oneToken) Token(context.Context, string) (string, error) { return string(t), nil }

// TestFetchBudgetFollowsTheQuota: with ENRICH_STORE_MAX_FETCHES unset, a
// store may queue what its reported quota lets the client send within
// MaxWait — on a Standard plan (150 per 30 s, 10 % kept for other apps)
// and a 60 s wait, 270 requests — and 100 before the quota is known.
func TestFetchBudgetFollowsTheQuota(t *testing.T) {
	sim := bctest.NewSimulator(bctest.Options{Seed: 1, Quota: 150, Window: 30 * time.Second})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	st := sim.Stores()[0]
	client, err := bigcommerce.NewClient(srv.URL, oneToken(st.Token))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{CacheTTL: time.Second, CacheMaxBytes: 1 << 20, StoreConcurrency: 1, StoreMaxPending: 10, MaxWait: 60 * time.Second}
	s, err := New(cfg, Deps{Client: client, Registered: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	q := s.queue(st.Hash)
	if got := q.fetchBudget(); got != minFetchBudget {
		t.Errorf("budget before the quota is known = %d, want %d", got, minFetchBudget)
	}
	if _, err := client.Get(context.Background(), st.Hash, "/v2/store", nil); err != nil {
		t.Fatal(err)
	}
	if got := q.fetchBudget(); got != 270 {
		t.Errorf("budget at 150 per 30 s with a 60 s wait = %d, want 270", got)
	}
	s.cfg.StoreMaxFetches = 7
	if got := q.fetchBudget(); got != 7 {
		t.Errorf("configured budget = %d, want 7", got)
	}
}
