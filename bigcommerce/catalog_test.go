package bigcommerce_test

import (
	"encoding/json"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bcstream/bigcommerce"
)

// refEntry is the part of a scopes.json entry the tests check against.
type refEntry struct {
	Scope       string          `json:"scope"`
	Entity      string          `json:"entity"`
	DataFields  []string        `json:"data_fields"`
	ExampleData json.RawMessage `json:"example_data"`
	Wildcard    bool            `json:"wildcard"`
	Enrich      json.RawMessage `json:"enrich"`
}

func readReference(tb testing.TB) []refEntry {
	tb.Helper()
	b, err := os.ReadFile("../testdata/bigcommerce/scopes.json")
	if err != nil {
		tb.Fatal(err)
	}
	var entries []refEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		tb.Fatal(err)
	}
	return entries
}

func TestCatalogMatchesReference(t *testing.T) {
	t.Parallel()
	var concrete, wildcards []string
	for _, e := range readReference(t) {
		if e.Wildcard {
			wildcards = append(wildcards, e.Scope)
			if _, ok := bigcommerce.Lookup(e.Scope); ok {
				t.Errorf("Lookup(%q) found a wildcard; the catalog holds concrete scopes only", e.Scope)
			}
			continue
		}
		concrete = append(concrete, e.Scope)
		s, ok := bigcommerce.Lookup(e.Scope)
		if !ok {
			t.Errorf("Lookup(%q) found nothing", e.Scope)
			continue
		}
		if s.Scope != e.Scope || s.Entity != e.Entity || !s.Known {
			t.Errorf("Lookup(%q) = {Scope: %q, Entity: %q, Known: %t}, want {%q, %q, true}", e.Scope, s.Scope, s.Entity, s.Known, e.Scope, e.Entity)
		}
		if s.IDField != "" && !slices.Contains(e.DataFields, s.IDField) {
			t.Errorf("%s: IDField %q is not among data_fields %v", e.Scope, s.IDField, e.DataFields)
		}
		if (s.Enrich == nil) != (string(e.Enrich) == "null") {
			t.Errorf("%s: Enrich = %+v, reference enrich = %s", e.Scope, s.Enrich, e.Enrich)
		}
	}
	slices.Sort(concrete)
	slices.Sort(wildcards)
	if diff := cmp.Diff(concrete, bigcommerce.Scopes()); diff != "" {
		t.Errorf("Scopes() mismatch with the reference (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wildcards, bigcommerce.Wildcards()); diff != "" {
		t.Errorf("Wildcards() mismatch with the reference (-want +got):\n%s", diff)
	}
	// The counts bigcommerce.md states; a change means the reference moved.
	if len(concrete) != 179 || len(wildcards) != 22 {
		t.Errorf("reference has %d concrete scopes and %d wildcards, want 179 and 22", len(concrete), len(wildcards))
	}
}

var placeholder = regexp.MustCompile(`\{([^{}]*)\}`)

// TestCatalogEnrichPlaceholders checks that every placeholder in an enrich
// call can be filled: from a data field, from the scope's channel ID, or,
// in follow-up calls, from a previous response or a page counter.
func TestCatalogEnrichPlaceholders(t *testing.T) {
	t.Parallel()
	for _, scope := range bigcommerce.Scopes() {
		s, _ := bigcommerce.Lookup(scope)
		if s.Enrich == nil {
			continue
		}
		var fields []string
		for _, e := range readReference(t) {
			if e.Scope == scope {
				fields = e.DataFields
			}
		}
		known := func(name string, then bool) bool {
			name = strings.TrimSuffix(name, "[]") // one call per array element
			switch {
			case slices.Contains(fields, name), slices.Contains(fields, "[]."+name):
				return true
			case name == "channel_id":
				return strings.Contains(scope, "{channel_id}")
			case then:
				// {n}: page number; {product_id}: from the variant lookup
				// that precedes a variant metafield read.
				return name == "n" || name == "product_id"
			}
			return false
		}
		var check func(where string, c *bigcommerce.EnrichCall, then bool)
		check = func(where string, c *bigcommerce.EnrichCall, then bool) {
			if c.Method != "GET" {
				t.Errorf("%s: %s method %q, want GET", scope, where, c.Method)
			}
			if (c.Path == "") == (c.DispatchOn == "") {
				t.Errorf("%s: %s has Path %q and DispatchOn %q; want exactly one", scope, where, c.Path, c.DispatchOn)
			}
			for _, m := range placeholder.FindAllStringSubmatch(c.Path+"?"+c.Query, -1) {
				if !known(m[1], then) {
					t.Errorf("%s: %s placeholder %s names no data field of %v", scope, where, m[0], fields)
				}
			}
			if c.DispatchOn != "" && !slices.Contains(fields, c.DispatchOn) {
				t.Errorf("%s: %s DispatchOn %q is not a data field", scope, where, c.DispatchOn)
			}
			for i := range c.Then {
				check(where+".Then", &c.Then[i], true)
			}
			if c.Alt != nil {
				check(where+".Alt", c.Alt, then)
			}
			for k, d := range c.Dispatch {
				check(where+".Dispatch["+k+"]", d, then)
			}
		}
		check("Enrich", s.Enrich, false)
	}
}

func TestCatalogDeletes(t *testing.T) {
	t.Parallel()
	// Deletes that do not end in /deleted, and /deleted scopes that are not
	// deletes; everything else follows the name.
	exceptions := map[string]bool{
		"store/cart/converted":                                         true,
		"store/channel/{channel_id}/cart/converted":                    true,
		"store/channel/{channel_id}/settings/emailStatus/deleted":      false,
		"store/channel/{channel_id}/email/templates/deleted":           false,
		"store/channel/{channel_id}/settings/locale/deleted":           false,
		"store/channel/{channel_id}/settings/site/checkoutUrl/deleted": false,
	}
	for _, scope := range bigcommerce.Scopes() {
		s, _ := bigcommerce.Lookup(scope)
		want, ok := exceptions[scope]
		if !ok {
			want = path.Base(scope) == "deleted"
		}
		if s.Delete != want {
			t.Errorf("%s: Delete = %t, want %t", scope, s.Delete, want)
		}
		// A delete's enrich call reads something else than the entity.
		if s.Delete && s.Enrich != nil && s.IDField != "" && strings.Contains(s.Enrich.Path, "{"+s.IDField+"}") {
			t.Errorf("%s: Delete scope enriches the deleted entity: %s", scope, s.Enrich.Path)
		}
	}
	for _, scope := range []string{"store/order/archived", "store/priceList/deactivated", "store/channel/{channel_id}/product/unassigned", "store/app/uninstalled"} {
		if s, _ := bigcommerce.Lookup(scope); s.Delete {
			t.Errorf("%s: Delete = true; the entity still exists", scope)
		}
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		scope    string
		wantOK   bool
		wantSpec string
	}{
		{"store/order/created", true, "store/order/created"},
		{"store/channel/7/order/created", true, "store/channel/{channel_id}/order/created"},
		{"store/channel/{channel_id}/order/created", true, "store/channel/{channel_id}/order/created"},
		{"store/channel/7/cart/lineItems/deleted", true, "store/channel/{channel_id}/cart/lineItem/deleted"},
		{"store/channel/{channel_id}/cart/lineItems/deleted", true, "store/channel/{channel_id}/cart/lineItem/deleted"},
		{"store/channel/*/inventory/product/stock_changed", true, "store/channel/*/inventory/product/stock_changed"},
		{"store/channel/created", true, "store/channel/created"},
		{"store/channel/metafield/updated", true, "store/channel/metafield/updated"},
		{"store/priceLists/deleted", true, "store/priceLists/deleted"},
		{"store/order/*", false, ""},
		{"store/channel/7/order/*", false, ""},
		{"store/channel/7", false, ""},
		{"store/loyalty/points/updated", false, ""},
		{"store/channel/7/" + strings.Repeat("x", 500), false, ""},
		{"", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.scope, func(t *testing.T) {
			t.Parallel()
			s, ok := bigcommerce.Lookup(tc.scope)
			if ok != tc.wantOK || s.Scope != tc.wantSpec || s.Known != tc.wantOK {
				t.Errorf("Lookup(%q) = {Scope: %q, Known: %t}, %t; want {%q, %t}, %t", tc.scope, s.Scope, s.Known, ok, tc.wantSpec, tc.wantOK, tc.wantOK)
			}
		})
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	// Not parallel: AllocsPerRun counts every goroutine's allocations.
	for _, scope := range []string{"store/order/created", "store/channel/7/order/created", "store/channel/7/cart/lineItems/created", "store/nope"} {
		if n := testing.AllocsPerRun(100, func() { bigcommerce.Lookup(scope) }); n != 0 {
			t.Errorf("Lookup(%q) allocates %.0f times", scope, n)
		}
	}
}

func TestListsAreSortedCopies(t *testing.T) {
	t.Parallel()
	for name, list := range map[string]func() []string{
		"Scopes": bigcommerce.Scopes, "Wildcards": bigcommerce.Wildcards, "Entities": bigcommerce.Entities,
	} {
		got := list()
		if len(got) == 0 || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("%s() = %v, want a sorted list without duplicates", name, got)
		}
		got[0] = "clobbered"
		if list()[0] == "clobbered" {
			t.Errorf("%s() returns the package's own slice", name)
		}
	}
	entities := bigcommerce.Entities()
	if !slices.Contains(entities, "order") || slices.Contains(entities, bigcommerce.EntityUnknown) {
		t.Errorf("Entities() = %v, want order and not %q", entities, bigcommerce.EntityUnknown)
	}
}
