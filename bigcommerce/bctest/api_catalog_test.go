package bctest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
)

const b2bBase = "https://api-b2b.bigcommerce.com/api/v3/io"

// TestCatalogEnrichCoverage keeps the simulator and the scope catalog in
// step: for every catalog scope with an enrichment call, it asks the
// simulator for events about existing entities (Events), expands every
// call of the scope's catalog entry — Then, Alt, Dispatch branches,
// per-item calls, array fan-out — the way the catalog documents its
// placeholders, and requires 200 from each. It then checks that every
// distinct path template in the catalog was requested. A new catalog
// scope or path the simulator does not serve fails here.
func TestCatalogEnrichCoverage(t *testing.T) {
	t.Parallel()
	sim := bctest.NewSimulator(bctest.Options{Seed: 7, Quota: -1})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	store := sim.Stores()[0]

	want := map[string]bool{} // every template in the catalog
	for _, scope := range bigcommerce.Scopes() {
		spec, _ := bigcommerce.Lookup(scope)
		forEachCall(spec.Enrich, func(c *bigcommerce.EnrichCall) { want[c.Base+c.Path] = true })
	}
	got := map[string]bool{}

	for _, scope := range bigcommerce.Scopes() {
		spec, _ := bigcommerce.Lookup(scope)
		evs, err := sim.Events(store.Hash, scope)
		if err != nil {
			t.Errorf("Events(%s): %v", scope, err)
			continue
		}
		for _, env := range evs {
			ev, err := bigcommerce.Decode(env.Body)
			if err != nil {
				t.Errorf("%s: Decode(%s): %v", scope, env.Body, err)
				continue
			}
			if !ev.Spec.Known || ev.Spec.Scope != scope {
				t.Errorf("%s: decoded as %q (known %v)", scope, ev.Spec.Scope, ev.Spec.Known)
			}
			if spec.IDField != "" && ev.EntityID == "" {
				t.Errorf("%s: no entity ID (%s) in %s", scope, spec.IDField, ev.Data)
			}
			if spec.Enrich == nil {
				continue
			}
			x := &expander{t: t, srv: srv, store: store, ev: ev, got: got}
			if spec.Enrich.PerItem {
				var items []map[string]any
				decodeJSON(t, ev.Data, &items)
				if len(items) == 0 {
					t.Errorf("%s: per-item call but data %s has no items", scope, ev.Data)
				}
				for _, it := range items {
					x.run(spec.Enrich, it, nil)
				}
				continue
			}
			var data map[string]any
			decodeJSON(t, ev.Data, &data)
			x.run(spec.Enrich, data, nil)
		}
	}
	for tmpl := range want {
		if !got[tmpl] {
			t.Errorf("catalog path %s was never requested (no event exercises it)", tmpl)
		}
	}
	if !t.Failed() {
		t.Logf("%d catalog path templates, all answered 200", len(want))
	}
}

// forEachCall visits c and every call reachable from it.
func forEachCall(c *bigcommerce.EnrichCall, f func(*bigcommerce.EnrichCall)) {
	if c == nil {
		return
	}
	if c.Path != "" {
		f(c)
	}
	for i := range c.Then {
		forEachCall(&c.Then[i], f)
	}
	forEachCall(c.Alt, f)
	for _, d := range c.Dispatch {
		forEachCall(d, f)
	}
}

// expander makes the requests of one event's enrichment calls.
type expander struct {
	t     *testing.T
	srv   *httptest.Server
	store bctest.StoreConfig
	ev    bigcommerce.Event
	got   map[string]bool
	// allow204 accepts V2's 204 No Content for empty lists (an order
	// without coupons); the coverage test wants entities that have them.
	allow204 bool
}

// run makes call c (with its Then and Alt calls) for data; prev is the
// previous call's response, for Then placeholders.
func (x *expander) run(c *bigcommerce.EnrichCall, data, prev map[string]any) {
	if c.DispatchOn != "" {
		key := fmt.Sprint(data[c.DispatchOn])
		d := c.Dispatch[key]
		if d == nil {
			x.t.Errorf("%s: no dispatch for %s=%q", x.ev.Scope, c.DispatchOn, key)
			return
		}
		x.run(d, data, prev)
		return
	}
	x.got[c.Base+c.Path] = true
	var resp map[string]any
	for _, target := range x.expand(c, data, prev) {
		resp = x.get(c, target)
	}
	for i := range c.Then {
		x.run(&c.Then[i], data, resp)
	}
	if c.Alt != nil {
		x.run(c.Alt, data, prev)
	}
}

var placeholder = regexp.MustCompile(`\{[^}]+\}`)

// expand fills c's placeholders, one URL per element of an array
// placeholder ("{affected_product_ids[]}").
func (x *expander) expand(c *bigcommerce.EnrichCall, data, prev map[string]any) []string {
	tmpl := c.Path
	if c.Query != "" {
		tmpl += "?" + c.Query
	}
	urls := []string{tmpl}
	for _, ph := range placeholder.FindAllString(tmpl, -1) {
		vals := x.values(strings.Trim(ph, "{}"), data, prev)
		if len(vals) == 0 {
			x.t.Errorf("%s: no value for %s in %v (prev %v)", x.ev.Scope, ph, data, prev)
			return nil
		}
		var next []string
		for _, u := range urls {
			for _, v := range vals {
				next = append(next, strings.Replace(u, ph, v, 1))
			}
		}
		urls = next
	}
	return urls
}

func (x *expander) values(name string, data, prev map[string]any) []string {
	switch {
	case name == "n":
		return []string{"1"}
	case name == "channel_id" && x.ev.ChannelID != 0:
		return []string{fmt.Sprint(x.ev.ChannelID)}
	case strings.HasSuffix(name, "[]"):
		arr, _ := lookup(data, strings.TrimSuffix(name, "[]")).([]any)
		var out []string
		for _, v := range arr {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	if v := lookup(data, name); v != nil {
		return []string{fmt.Sprint(v)}
	}
	// A Then call: the previous response's data (its first element).
	if d, ok := prev["data"].([]any); ok && len(d) > 0 {
		prev, _ = d[0].(map[string]any)
	} else if d, ok := prev["data"].(map[string]any); ok {
		prev = d
	}
	if v := lookup(prev, name); v != nil {
		return []string{fmt.Sprint(v)}
	}
	return nil
}

// lookup returns the value at a dotted path in m.
func lookup(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

// get requests target (relative to c's base) and requires 200 and a JSON
// body of the API family's shape; it returns the body as an object (nil
// for arrays).
func (x *expander) get(c *bigcommerce.EnrichCall, target string) map[string]any {
	x.t.Helper()
	u := bctest.APIBase(x.srv.URL, x.store.Hash) + target
	if c.Base != "" {
		if c.Base != b2bBase {
			x.t.Errorf("%s: unknown base %s", x.ev.Scope, c.Base)
			return nil
		}
		u = bctest.B2BBase(x.srv.URL) + target
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("X-Auth-Token", x.store.Token)
	req.Header.Set("X-Store-Hash", x.store.Hash)
	req.Header.Set("Accept", "application/json")
	resp, err := x.srv.Client().Do(req)
	if err != nil {
		x.t.Errorf("%s: GET %s: %v", x.ev.Scope, target, err)
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNoContent && x.allow204 && strings.HasPrefix(c.Path, "/v2/") {
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		x.t.Errorf("%s: GET %s (%s) = %d %s; want 200", x.ev.Scope, target, c.Path, resp.StatusCode, body)
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		x.t.Errorf("%s: GET %s: invalid JSON: %v", x.ev.Scope, target, err)
		return nil
	}
	m, _ := v.(map[string]any)
	switch {
	case c.Base != "":
		if m["code"] == nil || m["data"] == nil {
			x.t.Errorf("%s: GET %s: B2B body without code/data: %.200s", x.ev.Scope, target, body)
		}
	case strings.HasPrefix(c.Path, "/v3/") && !slices.Contains(bareV3, c.Path):
		if _, ok := m["data"]; !ok {
			x.t.Errorf("%s: GET %s: V3 body without data: %.200s", x.ev.Scope, target, body)
		}
	}
	return m
}

// bareV3 are V3 endpoints that answer without the {data, meta} envelope.
var bareV3 = []string{"/v3/customers/{id}/stored-instruments"}

func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
