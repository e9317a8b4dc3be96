package bctest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"bcstream/bigcommerce/bctest"
)

// ids returns the "id" (or key) of each element of a V3 list body.
func ids(t *testing.T, r response, key string) []int {
	t.Helper()
	var body struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	var out []int
	for _, d := range body.Data {
		out = append(out, int(d[key].(float64)))
	}
	return out
}

func TestAPIStatuses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 3, Quota: -1})
	tests := []struct {
		path   string
		status int
		body   string // a substring of the body
	}{
		{"/v2/store", 200, `"id":"` + h.store.Hash + `"`},
		{"/v2/orders/1", 404, `[{"status":404,"message":"Order 1 not found"}]`},
		{"/v2/orders/abc", 404, `"status":404`},
		{"/v3/catalog/products/1", 404, `{"status":404,"title":"A product was not found with an id of 1","type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes","errors":{}}`},
		{"/v3/catalog/brands/1", 404, `"title":"Brand 1 not found"`},
		{"/v3/carts/00000000-0000-4000-8000-000000000000", 404, `"title":"Cart not found"`},
		{"/v3/no/such/endpoint", 404, `"status":404`},
		{"/v2/no/such/endpoint", 404, `[{"status":404`},
		{"/v3/catalog/products?id:in=1,x", 422, `"errors":{"id:in":`},
		{"/v3/catalog/products?id:in=1", 200, `"data":[]`},
		{"/v2/order_statuses", 200, `"name":"Awaiting Fulfillment"`},
		{"/v3/channels/9", 404, `"title":"Channel 9 not found"`},
		{"/v3/channels/3/site", 404, `has no site`},
		{"/v3/settings/storefront/seo?channel_id=2", 200, `"page_title":"Wholesale"`},
		{"/v3/marketing/email-templates/no_such_email", 404, `not found`},
	}
	for _, tt := range tests {
		r := h.get(tt.path)
		if r.status != tt.status || !strings.Contains(string(r.body), tt.body) {
			t.Errorf("GET %s = %d %s; want %d containing %s", tt.path, r.status, r.body, tt.status, tt.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", tt.path, ct)
		}
	}
	if r := h.do(http.MethodPost, bctest.APIBase(h.srv.URL, h.store.Hash)+"/v2/store", h.store.Token, nil); r.status != 405 {
		t.Errorf("POST /v2/store = %d, want 405", r.status)
	}
	if r := h.do(http.MethodGet, bctest.APIBase(h.srv.URL, "nosuchstore")+"/v2/store", h.store.Token, nil); r.status != 404 {
		t.Errorf("unknown store = %d, want 404", r.status)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 3})
	base := bctest.APIBase(h.srv.URL, h.store.Hash)
	for _, tt := range []struct {
		name, url, token string
		header           map[string]string
		status           int
		body             string
	}{
		{"no token", base + "/v2/store", "", nil, 401, `[{"status":401,`},
		{"wrong token", base + "/v3/catalog/products", "nope", nil, 401, `{"status":401,`},
		{"other store's token", bctest.APIBase(h.srv.URL, "q7m3z9t2") + "/v2/store", h.store.Token, nil, 404, ""},
		{"good", base + "/v2/store", h.store.Token, nil, 200, ""},
		{"b2b good", bctest.B2BBase(h.srv.URL) + "/companies/0", h.store.Token, map[string]string{"X-Store-Hash": h.store.Hash}, 404, `{"code":404,"data":{},"meta":{"message":"Company 0 not found"}}`},
		{"b2b bad token", bctest.B2BBase(h.srv.URL) + "/companies/0", "nope", map[string]string{"X-Store-Hash": h.store.Hash}, 401, `{"code":401,`},
		{"b2b no store", bctest.B2BBase(h.srv.URL) + "/companies/0", h.store.Token, nil, 404, ""},
	} {
		r := h.do(http.MethodGet, tt.url, tt.token, tt.header)
		if r.status != tt.status || !strings.Contains(string(r.body), tt.body) {
			t.Errorf("%s: %d %s; want %d containing %s", tt.name, r.status, r.body, tt.status, tt.body)
		}
	}
	// A 401 carries the rate-limit headers but does not consume quota.
	r := h.do(http.MethodGet, base+"/v2/store", "nope", nil)
	if r.header.Get("X-Rate-Limit-Requests-Quota") != "150" {
		t.Errorf("401 without rate-limit headers: %v", r.header)
	}
	if s := h.sim.Stats(h.store.Hash); s.REST.Requests != 1 || s.B2B.Requests != 1 || s.ByStatus[401] != 4 {
		t.Errorf("stats after 4×401, 1×200 and a B2B 404: REST.Requests %d, B2B.Requests %d, 401s %d",
			s.REST.Requests, s.B2B.Requests, s.ByStatus[401])
	}

	// A rotated token: the old one is rejected.
	if err := h.sim.SetToken(h.store.Hash, "rotated"); err != nil {
		t.Fatal(err)
	}
	if r := h.get("/v2/store"); r.status != 401 {
		t.Errorf("old token after rotation = %d", r.status)
	}
	if r := h.do(http.MethodGet, base+"/v2/store", "rotated", nil); r.status != 200 {
		t.Errorf("new token = %d", r.status)
	}
}

// TestBatchFilters checks the id:in batch fetch of the list endpoints.
func TestBatchFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 5, Quota: -1})
	for _, tt := range []struct{ list, key string }{
		{"/v3/catalog/products", "id"},
		{"/v3/customers", "id"},
		{"/v3/catalog/categories", "id"},
		{"/v3/catalog/brands", "id"},
		{"/v3/customers/addresses", "id"},
		{"/v3/catalog/variants", "id"},
	} {
		all := ids(t, h.get(tt.list+"?limit=250"), tt.key)
		if len(all) < 4 {
			t.Fatalf("%s: only %d entities", tt.list, len(all))
		}
		want := []int{all[3], all[0], all[1]}
		q := fmt.Sprintf("%s?id:in=%d,%d,%d,999999", tt.list, want[0], want[1], want[2])
		got := ids(t, h.get(q), tt.key)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("GET %s ids = %v, want %v", q, got, want)
		}
	}
	// Category trees filter by category_id:in.
	all := ids(t, h.get("/v3/catalog/trees/categories?limit=250"), "category_id")
	if got := ids(t, h.get(fmt.Sprintf("/v3/catalog/trees/categories?category_id:in=%d", all[2])), "category_id"); !slices.Equal(got, all[2:3]) {
		t.Errorf("trees/categories?category_id:in=%d = %v", all[2], got)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 5, Quota: -1})
	all := ids(t, h.get("/v3/catalog/products?limit=250"), "id")
	var seen []int
	for page := 1; ; page++ {
		r := h.get(fmt.Sprintf("/v3/catalog/products?limit=7&page=%d", page))
		var body struct {
			Data []struct{ ID int } `json:"data"`
			Meta struct {
				Pagination struct {
					Total       int `json:"total"`
					Count       int `json:"count"`
					PerPage     int `json:"per_page"`
					CurrentPage int `json:"current_page"`
					TotalPages  int `json:"total_pages"`
				} `json:"pagination"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		p := body.Meta.Pagination
		if p.Total != len(all) || p.Count != len(body.Data) || p.TotalPages != (len(all)+6)/7 || p.PerPage != 7 || p.CurrentPage != page {
			t.Errorf("page %d meta = %+v", page, p)
		}
		if len(body.Data) == 0 {
			break
		}
		for _, d := range body.Data {
			seen = append(seen, d.ID)
		}
	}
	if !slices.Equal(seen, all) {
		t.Errorf("pages gave %v, want %v", seen, all)
	}

	// V2 lists: paged bare arrays, 204 past the end.
	order := rich(t, h)
	r := h.get(fmt.Sprintf("/v2/orders/%d/products?limit=1&page=1", order))
	var items []map[string]any
	if err := json.Unmarshal(r.body, &items); r.status != 200 || err != nil || len(items) != 1 {
		t.Errorf("v2 products page 1 = %d %s", r.status, r.body)
	}
	if r := h.get(fmt.Sprintf("/v2/orders/%d/products?page=99", order)); r.status != 204 || len(r.body) != 0 {
		t.Errorf("v2 page past the end = %d %q, want 204 and no body", r.status, r.body)
	}
}

// rich returns the ID of the order Events uses (it has every sub-resource).
func rich(t *testing.T, h *harness) int {
	t.Helper()
	ev, err := h.sim.EventFor(h.store.Hash, "store/order/created")
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Data struct{ ID int } `json:"data"`
	}
	json.Unmarshal(ev.Body, &env)
	return env.Data.ID
}

func TestV2EmptyListIs204(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 5, Quota: -1})
	// A new order has no shipments, coupons or messages yet.
	evs, err := h.sim.MutateKind(h.store.Hash, "order_created", 1)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Data struct{ ID int } `json:"data"`
	}
	json.Unmarshal(evs[0].Body, &env)
	for _, sub := range []string{"shipments", "coupons", "messages"} {
		if r := h.get(fmt.Sprintf("/v2/orders/%d/%s", env.Data.ID, sub)); r.status != 204 {
			t.Errorf("new order's %s = %d %s, want 204", sub, r.status, r.body)
		}
	}
	if r := h.get(fmt.Sprintf("/v2/orders/%d/products", env.Data.ID)); r.status != 200 {
		t.Errorf("new order's products = %d", r.status)
	}
}

func TestProductIncludes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 5, Quota: -1})
	id := ids(t, h.get("/v3/catalog/products?limit=1"), "id")[0]
	base := fmt.Sprintf("/v3/catalog/products/%d", id)
	data := func(q string) map[string]any { return h.get(base + q).json(t)["data"].(map[string]any) }

	plain := data("")
	if _, ok := plain["variants"]; ok {
		t.Error("variants without include")
	}
	full := data("?include=variants,images,custom_fields,modifiers,options,bulk_pricing_rules")
	for _, k := range []string{"variants", "images", "custom_fields", "modifiers", "options", "bulk_pricing_rules"} {
		if _, ok := full[k].([]any); !ok {
			t.Errorf("include %s: %T", k, full[k])
		}
	}
	if len(full["variants"].([]any)) == 0 {
		t.Error("a product without variants")
	}
	slim := data("?include_fields=inventory_level,inventory_tracking")
	if len(slim) != 3 || slim["id"] == nil || slim["inventory_level"] == nil || slim["inventory_tracking"] == nil {
		t.Errorf("include_fields gave %v", slim)
	}
	if ex := data("?exclude_fields=description,name"); ex["description"] != nil || ex["name"] != nil || ex["price"] == nil {
		t.Errorf("exclude_fields gave %v", ex)
	}
}

func TestCartOptions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 5, Quota: -1})
	// Find a cart line with options.
	for range 50 {
		evs, err := h.sim.MutateKind(h.store.Hash, "cart_created", 1)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Data struct{ ID string } `json:"data"`
		}
		json.Unmarshal(evs[0].Body, &env)
		with := string(h.get("/v3/carts/" + env.Data.ID + "?include=line_items.physical_items.options").body)
		if !strings.Contains(with, `"options":[`) {
			continue
		}
		if without := string(h.get("/v3/carts/" + env.Data.ID).body); strings.Contains(without, `"options"`) {
			t.Errorf("options without include: %s", without)
		}
		return
	}
	t.Fatal("no cart line with options in 50 carts")
}

// BenchmarkServe measures the simulator serving a product with its
// variants and images, the commonest enrichment call.
func BenchmarkServe(b *testing.B) {
	sim := bctest.NewSimulator(bctest.Options{Seed: 1, Quota: -1})
	st := sim.Stores()[0]
	ev, err := sim.EventFor(st.Hash, "store/product/updated")
	if err != nil {
		b.Fatal(err)
	}
	var env struct {
		Data struct{ ID int } `json:"data"`
	}
	json.Unmarshal(ev.Body, &env)
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("/stores/%s/v3/catalog/products/%d?include=variants,images", st.Hash, env.Data.ID), nil)
	req.Header.Set("X-Auth-Token", st.Token)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		sim.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
