package bctest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
)

// TestEnrichBatchMatchesEnrich checks the batch fetch against the single
// one, entity by entity, for every batchable scope the simulator can make
// events for: whatever the worker fetched in a batch must be exactly what
// it would have stored had it fetched the entity alone. An ID that does not
// exist is absent from the answer (the caller falls back to Enrich).
func TestEnrichBatchMatchesEnrich(t *testing.T) {
	t.Parallel()
	sim := bctest.NewSimulator(bctest.Options{Seed: 7, Quota: -1})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	store := sim.Stores()[0]
	client, err := bigcommerce.NewClient(srv.URL, staticToken(store.Token))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	for _, scope := range []string{"store/product/updated", "store/customer/updated", "store/category/updated"} {
		t.Run(scope, func(t *testing.T) {
			envs, err := sim.Events(store.Hash, scope)
			if err != nil || len(envs) == 0 {
				t.Fatalf("simulator made no %s event: %v", scope, err)
			}
			tmpl, err := bigcommerce.Decode(envs[0].Body)
			if err != nil {
				t.Fatal(err)
			}
			var call *bigcommerce.EnrichCall
			want := map[string]json.RawMessage{}
			var ids []string
			// IDs around the one the simulator picked: seeded entities
			// are numbered consecutively, and the IDs past the newest
			// exercise the not-found path.
			last, err := strconv.Atoi(tmpl.EntityID)
			if err != nil {
				t.Fatal(err)
			}
			for id := last - 40; id < last+bigcommerce.MaxBatchIDs-40; id++ {
				ev := tmpl
				ev.Data = json.RawMessage(fmt.Sprintf(`{"type":%q,"id":%d}`, tmpl.Spec.Entity, id))
				ref, ok := bigcommerce.BatchOf(&ev)
				if !ok {
					t.Fatalf("%s: BatchOf says not batchable", scope)
				}
				if call != nil && ref.Call != call {
					t.Fatalf("%s: events map to different calls", scope)
				}
				call = ref.Call
				ids = append(ids, ref.ID)
				one, err := client.Enrich(ctx, &ev)
				switch {
				case errors.Is(err, bigcommerce.ErrNotFound), err == nil && string(one.Entity) == "[]":
					continue // absent from the batch answer too
				case err != nil:
					t.Fatalf("Enrich %s: %v", ref.ID, err)
				}
				want[ref.ID] = one.Entity
			}
			if len(want) < 2 || len(want) == len(ids) {
				t.Fatalf("%d of %d IDs exist; the test needs several that do and some that do not", len(want), len(ids))
			}
			got, err := client.EnrichBatch(ctx, store.Hash, call, ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("batch returned %d entities, want %d (the missing ID must be absent)", len(got), len(want))
			}
			for id, w := range want {
				if !jsonEqual(t, got[id], w) {
					t.Errorf("ID %s: batch entity\n%s\nwant (single Enrich)\n%s", id, got[id], w)
				}
			}
		})
	}
}

func TestBatchOfRefusesUnbatchable(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		// An order's enrichment is a chain (products, addresses): no batch.
		`{"created_at":1700000000,"store_id":"1","producer":"stores/abc123","scope":"store/order/updated","hash":"0123456789abcdef0123456789abcdef01234567","data":{"type":"order","id":5}}`,
		// Deletes are not fetched at all.
		`{"created_at":1700000000,"store_id":"1","producer":"stores/abc123","scope":"store/product/deleted","hash":"0123456789abcdef0123456789abcdef01234567","data":{"type":"product","id":5}}`,
		// No ID to put in the filter.
		`{"created_at":1700000000,"store_id":"1","producer":"stores/abc123","scope":"store/product/updated","hash":"0123456789abcdef0123456789abcdef01234567","data":{"type":"product"}}`,
	} {
		ev, err := bigcommerce.Decode([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if ref, ok := bigcommerce.BatchOf(&ev); ok {
			t.Errorf("%s: BatchOf = %+v, want not batchable", ev.Scope, ref)
		}
	}
}

func TestEnrichBatchRefusesBadInput(t *testing.T) {
	t.Parallel()
	client, err := bigcommerce.NewClient("http://127.0.0.1:1", staticToken("x"))
	if err != nil {
		t.Fatal(err)
	}
	product, _ := bigcommerce.Lookup("store/product/updated")
	call := product.Enrich
	many := make([]string, bigcommerce.MaxBatchIDs+1)
	for i := range many {
		many[i] = "1"
	}
	for name, ids := range map[string][]string{"none": nil, "too many": many, "not an id": {"1/2"}} {
		if _, err := client.EnrichBatch(context.Background(), "abc123", call, ids); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	order, _ := bigcommerce.Lookup("store/order/updated")
	orders := order.Enrich
	if _, err := client.EnrichBatch(context.Background(), "abc123", orders, []string{"1"}); err == nil {
		t.Error("order call: no error")
	}
}

type staticToken string

func (s staticToken) Token(context.Context, string) (string, error) {
	if s == "" {
		return "", errors.New("no token")
	}
	return string(s), nil
}

func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return false
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
