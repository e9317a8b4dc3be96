package bigcommerce_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bcstream/bigcommerce"
)

func TestExpandPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		call      bigcommerce.EnrichCall
		data      string
		channel   int64
		wantPath  string
		wantQuery url.Values
		wantErr   error
	}{
		{name: "top-level", call: bigcommerce.EnrichCall{Path: "/v2/orders/{id}"}, data: `{"type":"order","id":7}`, wantPath: "/v2/orders/7"},
		{name: "nested", call: bigcommerce.EnrichCall{Path: "/v3/orders/payment_actions/refunds/{refund.refund_id}"}, data: `{"id":7,"refund":{"refund_id":12}}`, wantPath: "/v3/orders/payment_actions/refunds/12"},
		{name: "channel from scope", call: bigcommerce.EnrichCall{Path: "/v3/channels/{channel_id}/site"}, data: `{}`, channel: 3, wantPath: "/v3/channels/3/site"},
		{name: "channel from data", call: bigcommerce.EnrichCall{Path: "/v3/channels/{channel_id}/site"}, data: `{"channel_id":4}`, wantPath: "/v3/channels/4/site"},
		{name: "string id", call: bigcommerce.EnrichCall{Path: "/v3/carts/{id}"}, data: `{"id":"9a8b-7c6d"}`, wantPath: "/v3/carts/9a8b-7c6d"},
		{name: "escaped string", call: bigcommerce.EnrichCall{Path: "/v3/carts/{id}"}, data: `{"id":"\u0061bc"}`, wantPath: "/v3/carts/abc"},
		{
			name:     "query",
			call:     bigcommerce.EnrichCall{Path: "/v3/catalog/trees/categories", Query: "category_id:in={category_id}&tree_id:in={tree_id}"},
			data:     `{"category_id":5,"tree_id":"1"}`,
			wantPath: "/v3/catalog/trees/categories", wantQuery: url.Values{"category_id:in": {"5"}, "tree_id:in": {"1"}},
		},
		{
			name:     "literal query",
			call:     bigcommerce.EnrichCall{Path: "/v3/catalog/products/{id}", Query: "include=variants,images"},
			data:     `{"id":1}`,
			wantPath: "/v3/catalog/products/1", wantQuery: url.Values{"include": {"variants,images"}},
		},
		{
			name:     "page",
			call:     bigcommerce.EnrichCall{Path: "/v2/orders/{id}/products", Query: "page={n}"},
			data:     `{"id":1}`,
			wantPath: "/v2/orders/1/products", wantQuery: url.Values{"page": {"1"}, "limit": {"250"}},
		},
		{name: "absent", call: bigcommerce.EnrichCall{Path: "/v2/orders/{id}"}, data: `{"order_id":1}`, wantErr: bigcommerce.ErrMissingField},
		{name: "null", call: bigcommerce.EnrichCall{Path: "/v2/orders/{id}"}, data: `{"id":null}`, wantErr: bigcommerce.ErrMissingField},
		{name: "object", call: bigcommerce.EnrichCall{Path: "/v2/orders/{id}"}, data: `{"id":{"a":1}}`, wantErr: bigcommerce.ErrMissingField},
		{name: "empty", call: bigcommerce.EnrichCall{Path: "/v2/orders/{id}"}, data: `{"id":""}`, wantErr: bigcommerce.ErrMissingField},
		{name: "no channel", call: bigcommerce.EnrichCall{Path: "/v3/channels/{channel_id}/site"}, data: `{}`, wantErr: bigcommerce.ErrMissingField},
		{name: "data is an array", call: bigcommerce.EnrichCall{Path: "/v2/orders/{id}"}, data: `[{"id":1}]`, wantErr: bigcommerce.ErrMissingField},
		{name: "slash", call: bigcommerce.EnrichCall{Path: "/v3/carts/{id}"}, data: `{"id":"a/b"}`, wantErr: bigcommerce.ErrInvalidField},
		{name: "dot-dot", call: bigcommerce.EnrichCall{Path: "/v3/carts/{id}"}, data: `{"id":".."}`, wantErr: bigcommerce.ErrInvalidField},
		{name: "filter injection", call: bigcommerce.EnrichCall{Path: "/v3/customers", Query: "id:in={id}"}, data: `{"id":"1,2"}`, wantErr: bigcommerce.ErrInvalidField},
		{name: "query injection", call: bigcommerce.EnrichCall{Path: "/v3/customers", Query: "id:in={id}"}, data: `{"id":"1&include=x"}`, wantErr: bigcommerce.ErrInvalidField},
		{name: "invalid JSON", call: bigcommerce.EnrichCall{Path: "/v3/carts/{id}"}, data: `{"id":"`, wantErr: bigcommerce.ErrInvalidField},
		{name: "too long", call: bigcommerce.EnrichCall{Path: "/v3/carts/{id}"}, data: `{"id":"` + strings.Repeat("a", 200) + `"}`, wantErr: bigcommerce.ErrInvalidField},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, q, err := bigcommerce.ExpandPath(&tc.call, json.RawMessage(tc.data), tc.channel)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ExpandPath() error = %v, want %v", err, tc.wantErr)
			}
			if path != tc.wantPath {
				t.Errorf("path = %q, want %q", path, tc.wantPath)
			}
			if diff := cmp.Diff(tc.wantQuery, q, cmp.Comparer(func(a, b url.Values) bool { return a.Encode() == b.Encode() })); diff != "" {
				t.Errorf("query mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("fan-out has no single path", func(t *testing.T) {
		t.Parallel()
		call := bigcommerce.EnrichCall{Path: "/v3/catalog/products/{affected_product_ids[]}/modifiers/{id}"}
		if _, _, err := bigcommerce.ExpandPath(&call, json.RawMessage(`{"id":1,"affected_product_ids":[1]}`), 0); err == nil {
			t.Error("ExpandPath() error = nil")
		}
	})
}

// reply is a canned answer; status 0 means 200.
type reply struct {
	status int
	body   string
}

// routeTable answers requests by "METHOD /path?query" (the path below the
// server root), and 404s anything else. It records the X-Store-Hash
// header of B2B requests.
type routeTable struct {
	mu        sync.Mutex
	routes    map[string]reply
	storeHash []string
}

func (rt *routeTable) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.RequestURI()
	rt.mu.Lock()
	rep, ok := rt.routes[key]
	if h := r.Header.Get("X-Store-Hash"); h != "" {
		rt.storeHash = append(rt.storeHash, h)
	}
	rt.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, `{"status":404,"title":"no route `+key+`"}`)
		return
	}
	if rep.status == http.StatusNoContent {
		w.WriteHeader(rep.status)
		return
	}
	writeJSON(w, max(rep.status, 200), rep.body)
}

func event(tb testing.TB, scope string, channel int64, data string) *bigcommerce.Event {
	tb.Helper()
	spec, ok := bigcommerce.Lookup(scope)
	if !ok {
		tb.Fatalf("scope %q not in the catalog", scope)
	}
	return &bigcommerce.Event{Scope: scope, StoreHash: "abc123", ChannelID: channel, Data: json.RawMessage(data), Spec: spec}
}

func jsonArray(n int, format string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(format, i)
	}
	return "[" + strings.Join(items, ",") + "]"
}

func TestEnrich(t *testing.T) {
	t.Parallel()
	const s = "/stores/abc123"
	page1 := jsonArray(250, `{"id":%d}`)
	cases := []struct {
		name     string
		ev       *bigcommerce.Event
		routes   map[string]reply
		want     string // the entity, compared as JSON
		wantCall string // Enrichment.Call.Path
		wantErr  error
		wantHash []string // X-Store-Hash headers seen
	}{
		{
			name: "order with Then and pagination",
			ev:   event(t, "store/order/created", 0, `{"type":"order","id":7}`),
			routes: map[string]reply{
				"GET " + s + "/v2/orders/7":                           {body: `{"id":7}`},
				"GET " + s + "/v2/orders/7/products?limit=250&page=1": {body: page1},
				"GET " + s + "/v2/orders/7/products?limit=250&page=2": {body: `[{"id":250},{"id":251}]`},
				"GET " + s + "/v2/orders/7/shipping_addresses":        {status: http.StatusNoContent},
				"GET " + s + "/v2/orders/7/coupons":                   {body: `[{"code":"X"}]`},
			},
			want: `{"orders":{"id":7},"products":` + page1[:len(page1)-1] + `,{"id":250},{"id":251}],` +
				`"shipping_addresses":[],"coupons":[{"code":"X"}]}`,
			wantCall: "/v2/orders/{id}",
		},
		{
			name: "v3 envelope unwrapped",
			ev:   event(t, "store/product/updated", 0, `{"type":"product","id":9}`),
			routes: map[string]reply{
				"GET " + s + "/v3/catalog/products/9?include=variants,images,custom_fields,modifiers,options,bulk_pricing_rules": {body: `{"data":{"id":9,"name":"P"},"meta":{}}`},
			},
			want:     `{"id":9,"name":"P"}`,
			wantCall: "/v3/catalog/products/{id}",
		},
		{
			name: "alt after 404",
			ev:   event(t, "store/cart/abandoned", 0, `{"type":"cart","id":"c-1","token":"tok9"}`),
			routes: map[string]reply{
				"GET " + s + "/v3/abandoned-carts/tok9": {body: `{"data":{"cart_id":"c-1"}}`},
			},
			want:     `{"cart_id":"c-1"}`,
			wantCall: "/v3/abandoned-carts/{token}",
		},
		{
			name:    "alt also 404",
			ev:      event(t, "store/cart/abandoned", 0, `{"type":"cart","id":"c-1","token":"tok9"}`),
			wantErr: bigcommerce.ErrNotFound,
		},
		{
			name:    "alt without its field keeps the primary's error",
			ev:      event(t, "store/cart/abandoned", 0, `{"type":"cart","id":"c-1"}`),
			wantErr: bigcommerce.ErrNotFound,
		},
		{
			name: "alt when the primary's field is missing",
			ev:   event(t, "store/order/refund/created", 0, `{"type":"order","id":7,"refund":{}}`),
			routes: map[string]reply{
				"GET " + s + "/v3/orders/7/payment_actions/refunds": {body: `{"data":[{"id":1}]}`},
			},
			want:     `[{"id":1}]`,
			wantCall: "/v3/orders/{id}/payment_actions/refunds",
		},
		{
			name: "channel scope with alt",
			ev:   event(t, "store/channel/3/settings/site/updated", 3, `{"site_id":5}`),
			routes: map[string]reply{
				"GET " + s + "/v3/channels/3/site": {body: `{"data":{"id":5,"channel_id":3}}`},
			},
			want:     `{"id":5,"channel_id":3}`,
			wantCall: "/v3/channels/{channel_id}/site",
		},
		{
			name: "dispatch with a two-step lookup",
			ev:   event(t, "store/metafield/updated", 0, `{"metafield_id":9,"resource_id":55,"resource_type":"variant","namespace":"n"}`),
			routes: map[string]reply{
				"GET " + s + "/v3/catalog/variants?id=55":                       {body: `{"data":[{"id":55,"product_id":77}],"meta":{}}`},
				"GET " + s + "/v3/catalog/products/77/variants/55/metafields/9": {body: `{"data":{"id":9,"key":"k"}}`},
			},
			want:     `{"variants":[{"id":55,"product_id":77}],"metafields":{"id":9,"key":"k"}}`,
			wantCall: "/v3/catalog/variants",
		},
		{
			name: "two-step lookup finds nothing",
			ev:   event(t, "store/product/variant/metafield/updated", 0, `{"metafield_id":9,"resource_id":55}`),
			routes: map[string]reply{
				"GET " + s + "/v3/catalog/variants?id=55": {body: `{"data":[],"meta":{}}`},
			},
			wantErr: bigcommerce.ErrNotFound,
		},
		{
			name:    "dispatch value without a call",
			ev:      event(t, "store/metafield/updated", 0, `{"metafield_id":9,"resource_id":55,"resource_type":"widget"}`),
			wantErr: bigcommerce.ErrNoEnrichCall,
		},
		{
			name:    "dispatch field missing",
			ev:      event(t, "store/metafield/updated", 0, `{"metafield_id":9}`),
			wantErr: bigcommerce.ErrMissingField,
		},
		{
			name: "per item",
			ev: event(t, "store/priceList/records/updated", 0,
				`[{"price_list_id":1,"variant_id":2,"currency":"USD"},{"price_list_id":1,"variant_id":3,"currency":"eur"}]`),
			routes: map[string]reply{
				"GET " + s + "/v3/pricelists/1/records/2/USD": {body: `{"data":{"variant_id":2}}`},
				"GET " + s + "/v3/pricelists/1/records/3/eur": {body: `{"data":{"variant_id":3}}`},
			},
			want:     `[{"variant_id":2},{"variant_id":3}]`,
			wantCall: "/v3/pricelists/{price_list_id}/records/{variant_id}/{currency}",
		},
		{
			name: "fan-out",
			ev:   event(t, "store/modifier/updated", 0, `{"id":4,"affected_product_ids":[10,11]}`),
			routes: map[string]reply{
				"GET " + s + "/v3/catalog/products/10/modifiers/4": {body: `{"data":{"product_id":10}}`},
				"GET " + s + "/v3/catalog/products/11/modifiers/4": {body: `{"data":{"product_id":11}}`},
			},
			want:     `[{"product_id":10},{"product_id":11}]`,
			wantCall: "/v3/catalog/products/{affected_product_ids[]}/modifiers/{id}",
		},
		{
			name:     "fan-out over nothing",
			ev:       event(t, "store/modifier/updated", 0, `{"id":4,"affected_product_ids":[]}`),
			want:     `[]`,
			wantCall: "/v3/catalog/products/{affected_product_ids[]}/modifiers/{id}",
		},
		{
			name:    "fan-out too wide",
			ev:      event(t, "store/modifier/updated", 0, `{"id":4,"affected_product_ids":`+jsonArray(101, "%d")+`}`),
			wantErr: bigcommerce.ErrInvalidField,
		},
		{
			name: "B2B",
			ev:   event(t, "store/company/created", 0, `{"company_id":8}`),
			routes: map[string]reply{
				"GET /b2b/companies/8": {body: `{"code":200,"data":{"companyId":8},"meta":{"message":"SUCCESS"}}`},
			},
			want:     `{"companyId":8}`,
			wantCall: "/companies/{company_id}",
			wantHash: []string{"abc123"},
		},
		{
			name:    "no enrich call",
			ev:      event(t, "store/product/deleted", 0, `{"type":"product","id":9}`),
			wantErr: bigcommerce.ErrNoEnrichCall,
		},
		{
			name:    "missing id",
			ev:      event(t, "store/order/created", 0, `{"type":"order"}`),
			wantErr: bigcommerce.ErrMissingField,
		},
		{
			name:    "event data not JSON",
			ev:      event(t, "store/order/archived", 0, `{"id":`),
			wantErr: bigcommerce.ErrInvalidField,
		},
		{
			name: "not JSON",
			ev:   event(t, "store/order/archived", 0, `{"id":7}`),
			routes: map[string]reply{
				"GET " + s + "/v2/orders/7": {body: `<html>`},
			},
			wantErr: errors.New("any"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := &routeTable{routes: tc.routes}
			api := newFakeAPI(t, nil, 0, 0, rt.serve)
			c := newClient(t, api, bigcommerce.WithB2BBaseURL(api.URL+"/b2b"))
			got, err := c.Enrich(context.Background(), tc.ev)
			if tc.wantErr != nil {
				if err == nil || (tc.wantErr.Error() != "any" && !errors.Is(err, tc.wantErr)) {
					t.Fatalf("Enrich() error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Enrich() error = %v\nrequests: %v", err, api.requests())
			}
			var w, g any
			if err := json.Unmarshal([]byte(tc.want), &w); err != nil {
				t.Fatalf("want: %v", err)
			}
			if err := json.Unmarshal(got.Entity, &g); err != nil {
				t.Fatalf("Entity is not JSON: %v\n%s", err, got.Entity)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("Entity mismatch (-want +got):\n%s", diff)
			}
			if got.Call == nil || got.Call.Path != tc.wantCall {
				t.Errorf("Call = %+v, want path %q", got.Call, tc.wantCall)
			}
			rt.mu.Lock()
			defer rt.mu.Unlock()
			if diff := cmp.Diff(tc.wantHash, rt.storeHash); diff != "" {
				t.Errorf("X-Store-Hash mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnrichRefusesUnknownBase(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, nil, 0, 0, nil)
	c := newClient(t, api)
	ev := &bigcommerce.Event{StoreHash: "abc123", Data: json.RawMessage(`{"id":1}`), Spec: bigcommerce.ScopeSpec{
		Entity: "x",
		Enrich: &bigcommerce.EnrichCall{Method: "GET", Path: "/x/{id}", Base: "https://evil.example"},
	}}
	if _, err := c.Enrich(context.Background(), ev); err == nil {
		t.Error("Enrich() error = nil")
	}
	if n := len(api.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestEnrichEveryCatalogCall runs every scope's enrich call (every
// Dispatch target too) against a server that answers anything, with a
// payload that has every field the call names, and checks that each call
// executes and every placeholder is filled in.
func TestEnrichEveryCatalogCall(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, nil, 0, 0, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/v2/") {
			writeJSON(w, 200, `[{"id":1,"product_id":5}]`)
			return
		}
		writeJSON(w, 200, `{"data":[{"id":1,"product_id":5}],"meta":{}}`)
	})
	c := newClient(t, api, bigcommerce.WithB2BBaseURL(api.URL+"/b2b"))
	calls := 0
	for _, scope := range bigcommerce.Scopes() {
		spec, _ := bigcommerce.Lookup(scope)
		if spec.Enrich == nil {
			continue
		}
		targets := map[string]*bigcommerce.EnrichCall{"": spec.Enrich}
		if spec.Enrich.DispatchOn != "" {
			targets = spec.Enrich.Dispatch
		}
		for value, call := range targets {
			t.Run(scope+"/"+value, func(t *testing.T) {
				fields := map[string]any{}
				var collect func(c *bigcommerce.EnrichCall)
				collect = func(c *bigcommerce.EnrichCall) {
					for _, p := range placeholderNames(c.Path + "?" + c.Query) {
						setField(fields, p)
					}
					for i := range c.Then {
						collect(&c.Then[i])
					}
					if c.Alt != nil {
						collect(c.Alt)
					}
				}
				collect(call)
				if spec.Enrich.DispatchOn != "" {
					fields[spec.Enrich.DispatchOn] = value
				}
				var data any = fields
				if call.PerItem {
					data = []any{fields}
				}
				b, _ := json.Marshal(data)
				ev := &bigcommerce.Event{Scope: scope, StoreHash: "abc123", ChannelID: 1, Data: b, Spec: spec}
				got, err := c.Enrich(context.Background(), ev)
				if err != nil {
					t.Fatalf("Enrich(%s) error = %v", b, err)
				}
				if !json.Valid(got.Entity) {
					t.Errorf("Entity is not JSON: %s", got.Entity)
				}
			})
			calls++
		}
	}
	for _, uri := range api.requests() {
		if strings.ContainsAny(uri, "{}") || strings.Contains(uri, "%7B") {
			t.Errorf("placeholder left in %s", uri)
		}
	}
	if calls < 100 {
		t.Errorf("only %d catalog calls exercised", calls)
	}
}

func placeholderNames(s string) []string {
	var names []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(s[i:], '}')
		names = append(names, s[i+1:i+j])
		s = s[i+j+1:]
	}
}

// setField sets the (dotted, maybe "[]") field p to a plausible value.
func setField(m map[string]any, p string) {
	if p == "n" || p == "channel_id" {
		return
	}
	if name, ok := strings.CutSuffix(p, "[]"); ok {
		m[name] = []any{1, 2}
		return
	}
	head, rest, nested := strings.Cut(p, ".")
	if !nested {
		m[head] = 1
		return
	}
	sub, _ := m[head].(map[string]any)
	if sub == nil {
		sub = map[string]any{}
		m[head] = sub
	}
	setField(sub, rest)
}

// FuzzExpandPath checks that no payload makes ExpandPath panic, and that
// a path it returns has no placeholder left and no way out of the API
// root.
func FuzzExpandPath(f *testing.F) {
	for _, s := range []string{`{"id":1}`, `{"refund":{"refund_id":"x"}}`, `{"id":"../.."}`, `[1]`, `{"id":"\u002e\u002e"}`, `{"`} {
		f.Add(s)
	}
	calls := []bigcommerce.EnrichCall{
		{Path: "/v2/orders/{id}"},
		{Path: "/v3/orders/payment_actions/refunds/{refund.refund_id}", Query: "x={id}"},
		{Path: "/v2/orders/{id}/products", Query: "page={n}"},
	}
	f.Fuzz(func(t *testing.T, data string) {
		for i := range calls {
			path, _, err := bigcommerce.ExpandPath(&calls[i], json.RawMessage(data), 0)
			if err != nil {
				continue
			}
			if strings.ContainsAny(path, "{}?#") || strings.Contains(path, "/../") || strings.HasSuffix(path, "/..") {
				t.Errorf("ExpandPath(%s) = %q", data, path)
			}
		}
	})
}
