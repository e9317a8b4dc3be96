package bigcommerce_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bcstream/bigcommerce"
)

// webhooksDir holds the seed corpus: good payloads at the top, bad ones
// under malformed/ named "<reason>__<what>.json".
const webhooksDir = "../testdata/webhooks"

const testHash = "67d76783a79bb1deb9e31a6287ec2ef835f9dd56"

// payload returns an envelope with the given scope and data JSON and valid
// other fields; extra is spliced in as more top-level members.
func payload(scope, data string, extra ...string) []byte {
	s := fmt.Sprintf(`{"scope":%q,"store_id":"1025646","producer":"stores/k2x8v4n1","hash":%q,"data":%s`, scope, testHash, data)
	for _, e := range extra {
		s += "," + e
	}
	return []byte(s + "}")
}

// cmpEvent compares Events' Data as text, so that nil equals empty.
var cmpEvent = cmp.Transformer("json", func(m json.RawMessage) string { return string(m) })

func spec(t *testing.T, scope string) bigcommerce.ScopeSpec {
	t.Helper()
	s, ok := bigcommerce.Lookup(scope)
	if !ok {
		t.Fatalf("Lookup(%q) found nothing", scope)
	}
	return s
}

func TestDecode(t *testing.T) {
	t.Parallel()
	created := time.Unix(1764950437, 0).UTC()
	cases := []struct {
		name  string
		input []byte
		want  func(t *testing.T) bigcommerce.Event
	}{
		{
			name:  "order created",
			input: payload("store/order/created", `{"type":"order","id":70413}`, `"created_at":1764950437`),
			want: func(t *testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/order/created", StoreID: "1025646", StoreHash: "k2x8v4n1",
					Data: json.RawMessage(`{"type":"order","id":70413}`), Hash: testHash, CreatedAt: created,
					Spec: spec(t, "store/order/created"), EntityID: "70413",
				}
			},
		},
		{
			name:  "channel order: channel ID from the scope, spec by template",
			input: payload("store/channel/7/order/created", `{"order_id":74391}`),
			want: func(t *testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/channel/7/order/created", StoreID: "1025646", StoreHash: "k2x8v4n1", ChannelID: 7,
					Data: json.RawMessage(`{"order_id":74391}`), Hash: testHash,
					Spec: spec(t, "store/channel/{channel_id}/order/created"), EntityID: "74391",
				}
			},
		},
		{
			name:  "BOPIS: literal * is no channel",
			input: payload("store/channel/*/inventory/product/stock_changed", `{"variant_id":766,"product_id":125,"location_id":2}`),
			want: func(t *testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/channel/*/inventory/product/stock_changed", StoreID: "1025646", StoreHash: "k2x8v4n1",
					Data: json.RawMessage(`{"variant_id":766,"product_id":125,"location_id":2}`), Hash: testHash,
					Spec: spec(t, "store/channel/*/inventory/product/stock_changed"), EntityID: "766",
				}
			},
		},
		{
			name:  "channel line items spelled lineItems",
			input: payload("store/channel/2/cart/lineItems/created", `{"cart_id":"40b2","cart_item_id":"054f"}`),
			want: func(t *testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/channel/2/cart/lineItems/created", StoreID: "1025646", StoreHash: "k2x8v4n1", ChannelID: 2,
					Data: json.RawMessage(`{"cart_id":"40b2","cart_item_id":"054f"}`), Hash: testHash,
					Spec: spec(t, "store/channel/{channel_id}/cart/lineItem/created"), EntityID: "054f",
				}
			},
		},
		{
			name:  "price-list records: array data, no entity ID",
			input: payload("store/priceList/records/created", `[{"price_list_id":6,"variant_id":392,"currency":"EUR"}]`),
			want: func(t *testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/priceList/records/created", StoreID: "1025646", StoreHash: "k2x8v4n1",
					Data: json.RawMessage(`[{"price_list_id":6,"variant_id":392,"currency":"EUR"}]`), Hash: testHash,
					Spec: spec(t, "store/priceList/records/created"),
				}
			},
		},
		{
			name:  "transaction: string ID",
			input: payload("store/order/transaction/created", `{"type":"transaction","order_id":"70419","transaction_id":"553201"}`),
			want: func(t *testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/order/transaction/created", StoreID: "1025646", StoreHash: "k2x8v4n1",
					Data: json.RawMessage(`{"type":"transaction","order_id":"70419","transaction_id":"553201"}`), Hash: testHash,
					Spec: spec(t, "store/order/transaction/created"), EntityID: "553201",
				}
			},
		},
		{
			name:  "refund: nested ID",
			input: payload("store/order/refund/created", `{"type":"order","id":70418,"refund":{"refund_id":12}}`),
			want: func(t *testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/order/refund/created", StoreID: "1025646", StoreHash: "k2x8v4n1",
					Data: json.RawMessage(`{"type":"order","id":70418,"refund":{"refund_id":12}}`), Hash: testHash,
					Spec: spec(t, "store/order/refund/created"), EntityID: "12",
				}
			},
		},
		{
			name:  "empty data object",
			input: payload("store/channel/1/socialMediaLinks/updated", `{}`),
			want: func(t *testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/channel/1/socialMediaLinks/updated", StoreID: "1025646", StoreHash: "k2x8v4n1", ChannelID: 1,
					Data: json.RawMessage(`{}`), Hash: testHash,
					Spec: spec(t, "store/channel/{channel_id}/socialMediaLinks/updated"),
				}
			},
		},
		{
			name:  "unknown scope: recorded, ID from data.id",
			input: payload("store/loyalty/points/updated", `{"type":"loyalty_points","id":5121}`),
			want: func(*testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/loyalty/points/updated", StoreID: "1025646", StoreHash: "k2x8v4n1",
					Data: json.RawMessage(`{"type":"loyalty_points","id":5121}`), Hash: testHash,
					Spec:     bigcommerce.ScopeSpec{Scope: "store/loyalty/points/updated", Entity: bigcommerce.EntityUnknown, IDField: "id"},
					EntityID: "5121",
				}
			},
		},
		{
			name:  "unknown channel scope: spec spelled as a template",
			input: payload("store/channel/12/wishlist/created", `{"id":"w-1"}`),
			want: func(*testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/channel/12/wishlist/created", StoreID: "1025646", StoreHash: "k2x8v4n1", ChannelID: 12,
					Data: json.RawMessage(`{"id":"w-1"}`), Hash: testHash,
					Spec:     bigcommerce.ScopeSpec{Scope: "store/channel/{channel_id}/wishlist/created", Entity: bigcommerce.EntityUnknown, IDField: "id"},
					EntityID: "w-1",
				}
			},
		},
		{
			name: "lenient: numeric store_id, uppercase hash, created_at 0, unknown fields, whitespace",
			input: []byte(`
				{
				  "scope": "store/product/updated",
				  "store_id": 1025646,
				  "producer": "stores/k2x8v4n1",
				  "hash": "67D76783A79BB1DEB9E31A6287EC2EF835F9DD56",
				  "created_at": 0,
				  "attributes": {"future": true},
				  "data": { "type": "product", "id": 1402, "properties": [ "name" ], "note": "a b" }
				}`),
			want: func(t *testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/product/updated", StoreID: "1025646", StoreHash: "k2x8v4n1",
					Data: json.RawMessage(`{"type":"product","id":1402,"properties":["name"],"note":"a b"}`), Hash: testHash,
					Spec: spec(t, "store/product/updated"), EntityID: "1402",
				}
			},
		},
		{
			name:  "created_at null; escaped string ID; duplicate ID field, last wins",
			input: payload("store/cart/created", `{"type":"cart","id":"first","id":"caf\u00e9"}`, `"created_at":null`),
			want: func(t *testing.T) bigcommerce.Event {
				return bigcommerce.Event{
					Scope: "store/cart/created", StoreID: "1025646", StoreHash: "k2x8v4n1",
					Data: json.RawMessage(`{"type":"cart","id":"first","id":"caf\u00e9"}`), Hash: testHash,
					Spec: spec(t, "store/cart/created"), EntityID: "café",
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := bigcommerce.Decode(tc.input)
			if err != nil {
				t.Fatalf("Decode() error = %v", err)
			}
			if diff := cmp.Diff(tc.want(t), got, cmpEvent); diff != "" {
				t.Errorf("Decode() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("x", 10_000)
	cases := []struct {
		name       string
		input      []byte
		wantReason string
		wantField  string
		wantMsg    string // a substring of Error()
	}{
		{"empty", nil, bigcommerce.ReasonInvalidJSON, "", "empty"},
		{"syntax", []byte(`{"scope":`), bigcommerce.ReasonInvalidJSON, "", "not valid JSON"},
		{"trailing garbage", []byte(`{"scope":"store/order/created"} x`), bigcommerce.ReasonInvalidJSON, "", "not valid JSON"},
		{"syntax error after a huge key", []byte(`{"` + huge + `":x}`), bigcommerce.ReasonInvalidJSON, "", "not valid JSON"},
		{"not UTF-8", payload("store/order/created", "{\"n\":\"caf\xe9\"}"), bigcommerce.ReasonInvalidJSON, "", "UTF-8"},
		{"top-level array", []byte(`[{"scope":"store/order/created"}]`), bigcommerce.ReasonWrongType, "", "JSON array"},
		{"top-level null", []byte(`null`), bigcommerce.ReasonWrongType, "", "JSON null"},
		{"scope missing", []byte(`{"store_id":"1","producer":"stores/a","hash":"` + testHash + `","data":{}}`), bigcommerce.ReasonMissingScope, "scope", "scope is missing"},
		{"scope null", []byte(`{"scope":null,"store_id":"1","producer":"stores/a","hash":"` + testHash + `","data":{}}`), bigcommerce.ReasonMissingScope, "scope", "scope is missing"},
		{"scope empty", payload("", `{}`), bigcommerce.ReasonMissingScope, "scope", "scope is missing"},
		{"scope number", []byte(`{"scope":7,"store_id":"1","producer":"stores/a","hash":"` + testHash + `","data":{}}`), bigcommerce.ReasonWrongType, "scope", "scope is a JSON number"},
		{"scope not store/", payload("shop/order/created", `{}`), bigcommerce.ReasonMalformedScope, "scope", `"shop/order/created" does not start with store/`},
		{"scope bare store/", payload("store/", `{}`), bigcommerce.ReasonMalformedScope, "scope", "empty segment"},
		{"scope double slash", payload("store//order", `{}`), bigcommerce.ReasonMalformedScope, "scope", "empty segment"},
		{"scope trailing slash", payload("store/priceList/updated/", `{}`), bigcommerce.ReasonMalformedScope, "scope", "empty segment"},
		{"scope whitespace", payload("store/order/created ", `{}`), bigcommerce.ReasonMalformedScope, "scope", `contains ' '`},
		{"scope control char", payload("store/order/\ncreated", `{}`), bigcommerce.ReasonMalformedScope, "scope", `contains '\n'`},
		{"scope non-ASCII", payload("store/ordér/created", `{}`), bigcommerce.ReasonMalformedScope, "scope", "contains 'é'"},
		{"scope star inside segment", payload("store/order*/created", `{}`), bigcommerce.ReasonMalformedScope, "scope", "'*'"},
		{"scope template", payload("store/channel/{channel_id}/order/created", `{}`), bigcommerce.ReasonMalformedScope, "scope", "catalog template"},
		{"scope channel 0", payload("store/channel/0/order/created", `{}`), bigcommerce.ReasonMalformedScope, "scope", "channel ID"},
		{"scope channel overflow", payload("store/channel/99999999999999999999/order/created", `{}`), bigcommerce.ReasonMalformedScope, "scope", "channel ID"},
		{"scope too long", payload("store/"+huge, `{}`), bigcommerce.ReasonMalformedScope, "scope", "bytes long"},
		{"store_id missing", []byte(`{"scope":"store/order/created","producer":"stores/a","hash":"` + testHash + `","data":{}}`), bigcommerce.ReasonBadStoreID, "store_id", "store_id is missing"},
		{"store_id letters", bytesReplace(payload("store/order/created", `{}`), `"1025646"`, `"abc"`), bigcommerce.ReasonBadStoreID, "store_id", `store_id "abc" is not a store ID`},
		{"store_id negative", bytesReplace(payload("store/order/created", `{}`), `"1025646"`, `-5`), bigcommerce.ReasonBadStoreID, "store_id", "not a store ID"},
		{"store_id float", bytesReplace(payload("store/order/created", `{}`), `"1025646"`, `1.5`), bigcommerce.ReasonBadStoreID, "store_id", "not a store ID"},
		{"store_id empty", bytesReplace(payload("store/order/created", `{}`), `"1025646"`, `""`), bigcommerce.ReasonBadStoreID, "store_id", "not a store ID"},
		{"store_id too long", bytesReplace(payload("store/order/created", `{}`), `"1025646"`, `"123456789012345678901"`), bigcommerce.ReasonBadStoreID, "store_id", "not a store ID"},
		{"store_id object", bytesReplace(payload("store/order/created", `{}`), `"1025646"`, `{}`), bigcommerce.ReasonWrongType, "store_id", "JSON object"},
		{"producer missing", []byte(`{"scope":"store/order/created","store_id":"1","hash":"` + testHash + `","data":{}}`), bigcommerce.ReasonBadProducer, "producer", "producer is missing"},
		{"producer shop/", bytesReplace(payload("store/order/created", `{}`), "stores/k2x8v4n1", "shop/abc"), bigcommerce.ReasonBadProducer, "producer", `producer "shop/abc" is not of the form stores/{store_hash}`},
		{"producer no hash", bytesReplace(payload("store/order/created", `{}`), "stores/k2x8v4n1", "stores/"), bigcommerce.ReasonBadProducer, "producer", "stores/{store_hash}"},
		{"producer uppercase", bytesReplace(payload("store/order/created", `{}`), "stores/k2x8v4n1", "stores/K2X8"), bigcommerce.ReasonBadProducer, "producer", "stores/{store_hash}"},
		{"producer nested path", bytesReplace(payload("store/order/created", `{}`), "stores/k2x8v4n1", "stores/k2/x"), bigcommerce.ReasonBadProducer, "producer", "stores/{store_hash}"},
		{"producer hash too long", bytesReplace(payload("store/order/created", `{}`), "stores/k2x8v4n1", "stores/"+strings.Repeat("a", 33)), bigcommerce.ReasonBadProducer, "producer", "stores/{store_hash}"},
		{"producer huge", bytesReplace(payload("store/order/created", `{}`), "stores/k2x8v4n1", "stores/"+huge), bigcommerce.ReasonBadProducer, "producer", "…"},
		{"producer number", bytesReplace(payload("store/order/created", `{}`), `"stores/k2x8v4n1"`, "12"), bigcommerce.ReasonWrongType, "producer", "producer is a JSON number"},
		{"hash missing", []byte(`{"scope":"store/order/created","store_id":"1","producer":"stores/a","data":{}}`), bigcommerce.ReasonBadHash, "hash", "hash is missing"},
		{"hash short", bytesReplace(payload("store/order/created", `{}`), testHash, testHash[:39]), bigcommerce.ReasonBadHash, "hash", "not 40 hex digits"},
		{"hash long", bytesReplace(payload("store/order/created", `{}`), testHash, testHash+"0"), bigcommerce.ReasonBadHash, "hash", "not 40 hex digits"},
		{"hash huge", bytesReplace(payload("store/order/created", `{}`), testHash, huge), bigcommerce.ReasonBadHash, "hash", "…"},
		{"hash not hex", bytesReplace(payload("store/order/created", `{}`), testHash, testHash[:39]+"g"), bigcommerce.ReasonBadHash, "hash", "not 40 hex digits"},
		{"created_at milliseconds", payload("store/order/created", `{}`, `"created_at":1764950437000`), bigcommerce.ReasonBadCreatedAt, "created_at", "milliseconds"},
		{"created_at 2100", payload("store/order/created", `{}`, `"created_at":4102444800`), bigcommerce.ReasonBadCreatedAt, "created_at", "2100"},
		{"created_at negative", payload("store/order/created", `{}`, `"created_at":-1`), bigcommerce.ReasonBadCreatedAt, "created_at", "created_at -1 is negative"},
		{"created_at fraction", payload("store/order/created", `{}`, `"created_at":1764950437.5`), bigcommerce.ReasonBadCreatedAt, "created_at", "not a whole number"},
		{"created_at exponent", payload("store/order/created", `{}`, `"created_at":1.7e9`), bigcommerce.ReasonBadCreatedAt, "created_at", "not a whole number"},
		{"created_at overflow", payload("store/order/created", `{}`, `"created_at":99999999999999999999999`), bigcommerce.ReasonBadCreatedAt, "created_at", "after 2100"},
		{"created_at string", payload("store/order/created", `{}`, `"created_at":"1764950437"`), bigcommerce.ReasonWrongType, "created_at", "created_at is a JSON string"},
		{"data missing", []byte(`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"` + testHash + `"}`), bigcommerce.ReasonMissingData, "data", "data is missing"},
		{"data null", payload("store/order/created", `null`), bigcommerce.ReasonMissingData, "data", "data is missing or null"},
		{"data string", payload("store/order/created", `"{}"`), bigcommerce.ReasonWrongType, "data", "data is a JSON string"},
		{"data number", payload("store/order/created", ` 5 `), bigcommerce.ReasonWrongType, "data", "data is a JSON number"},
		{"data huge string", payload("store/order/created", `"`+huge+`"`), bigcommerce.ReasonWrongType, "data", "data is a JSON string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, err := bigcommerce.Decode(tc.input)
			if err == nil {
				t.Fatalf("Decode() = %+v, want error %s", ev, tc.wantReason)
			}
			checkDecodeError(t, err)
			var de *bigcommerce.DecodeError
			errors.As(err, &de)
			if de.Reason != tc.wantReason || de.Field != tc.wantField {
				t.Errorf("Decode() error reason, field = %q, %q, want %q, %q (error: %v)", de.Reason, de.Field, tc.wantReason, tc.wantField, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Decode() error = %q, want it to contain %q", err, tc.wantMsg)
			}
			if diff := cmp.Diff(bigcommerce.Event{}, ev, cmpEvent); diff != "" {
				t.Errorf("Decode() returned a non-zero Event with its error (-want +got):\n%s", diff)
			}
		})
	}
}

// checkDecodeError asserts the contract every Decode error keeps.
func checkDecodeError(tb testing.TB, err error) {
	tb.Helper()
	var de *bigcommerce.DecodeError
	if !errors.As(err, &de) {
		tb.Fatalf("Decode() error %v (%T) is not a *DecodeError", err, err)
	}
	if !errors.Is(err, bigcommerce.ErrPoison) {
		tb.Errorf("Decode() error %v does not match ErrPoison", err)
	}
	if r := bigcommerce.Reason(err); r == "" || r != de.Reason {
		tb.Errorf("Reason(%v) = %q, want %q (non-empty)", err, r, de.Reason)
	}
	// Messages go to logs and dead-letter attributes: no payload dumps.
	if n := len(err.Error()); n > 400 {
		tb.Errorf("Decode() error is %d bytes long: %.100q…", n, err)
	}
}

func bytesReplace(b []byte, old, new string) []byte {
	return []byte(strings.Replace(string(b), old, new, 1))
}

func TestDecodeOversize(t *testing.T) {
	t.Parallel()
	// A valid payload of exactly MaxPayloadSize bytes decodes; one more
	// byte does not.
	base := payload("store/order/created", `{"id":1,"pad":""}`)
	pad := strings.Repeat("p", bigcommerce.MaxPayloadSize-len(base))
	atLimit := bytesReplace(base, `"pad":""`, `"pad":"`+pad+`"`)
	if len(atLimit) != bigcommerce.MaxPayloadSize {
		t.Fatalf("test payload is %d bytes, want %d", len(atLimit), bigcommerce.MaxPayloadSize)
	}
	if _, err := bigcommerce.Decode(atLimit); err != nil {
		t.Errorf("Decode(%d bytes) error = %v", len(atLimit), err)
	}
	over := append(atLimit[:len(atLimit):len(atLimit)], ' ')
	_, err := bigcommerce.Decode(over)
	checkDecodeError(t, err)
	if r := bigcommerce.Reason(err); r != bigcommerce.ReasonOversize {
		t.Errorf("Decode(%d bytes) reason = %q, want %q", len(over), r, bigcommerce.ReasonOversize)
	}
}

func TestDecodeChannelID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		scope     string
		want      int64
		wantSpec  string // Spec.Scope
		wantKnown bool
	}{
		{"store/channel/1/order/updated", 1, "store/channel/{channel_id}/order/updated", true},
		{"store/channel/1734/cart/abandoned", 1734, "store/channel/{channel_id}/cart/abandoned", true},
		{"store/channel/9223372036854775807/page/created", 9223372036854775807, "store/channel/{channel_id}/page/created", true},
		{"store/channel/007/settings/SEO/updated", 7, "store/channel/{channel_id}/settings/SEO/updated", true},
		{"store/channel/*/inventory/product/low_stock_reached", 0, "store/channel/*/inventory/product/low_stock_reached", true},
		{"store/channel/created", 0, "store/channel/created", true},
		{"store/channel/metafield/deleted", 0, "store/channel/metafield/deleted", true},
		{"store/customer/channel/login/access/updated", 0, "store/customer/channel/login/access/updated", true},
		{"store/channel/5", 0, "store/channel/5", false},
		{"store/channel/5x/order/created", 0, "store/channel/5x/order/created", false},
	}
	for _, tc := range cases {
		t.Run(tc.scope, func(t *testing.T) {
			t.Parallel()
			ev, err := bigcommerce.Decode(payload(tc.scope, `{}`))
			if err != nil {
				t.Fatalf("Decode() error = %v", err)
			}
			if ev.ChannelID != tc.want || ev.Spec.Scope != tc.wantSpec || ev.Spec.Known != tc.wantKnown {
				t.Errorf("Decode() ChannelID, Spec.Scope, Spec.Known = %d, %q, %t; want %d, %q, %t",
					ev.ChannelID, ev.Spec.Scope, ev.Spec.Known, tc.want, tc.wantSpec, tc.wantKnown)
			}
		})
	}
}

func TestReason(t *testing.T) {
	t.Parallel()
	_, decErr := bigcommerce.Decode([]byte(`{`))
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"other error", errors.New("boom"), ""},
		{"poison sentinel alone", bigcommerce.ErrPoison, ""},
		{"decode error", decErr, bigcommerce.ReasonInvalidJSON},
		{"wrapped decode error", fmt.Errorf("handle message 42: %w", decErr), bigcommerce.ReasonInvalidJSON},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := bigcommerce.Reason(tc.err); got != tc.want {
				t.Errorf("Reason(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
	var se *json.SyntaxError
	if !errors.As(decErr, &se) {
		t.Errorf("Decode() error %v does not unwrap to the *json.SyntaxError", decErr)
	}
}

// TestDecodeCatalogExamples decodes a payload built from every concrete
// scope's documented example and checks the entity ID against a plain
// encoding/json reading of the example.
func TestDecodeCatalogExamples(t *testing.T) {
	t.Parallel()
	for _, e := range readReference(t) {
		if e.Wildcard {
			continue
		}
		t.Run(e.Scope, func(t *testing.T) {
			t.Parallel()
			scope := strings.Replace(e.Scope, "{channel_id}", "3", 1)
			ev, err := bigcommerce.Decode(payload(scope, string(e.ExampleData), `"created_at":1764950437`))
			if err != nil {
				t.Fatalf("Decode() error = %v", err)
			}
			if !ev.Spec.Known || ev.Spec.Scope != e.Scope || ev.Spec.Entity != e.Entity {
				t.Errorf("Decode() Spec = %+v, want the catalog entry for %s (entity %s)", ev.Spec, e.Scope, e.Entity)
			}
			if strings.Contains(e.Scope, "{channel_id}") && ev.ChannelID != 3 {
				t.Errorf("Decode() ChannelID = %d, want 3", ev.ChannelID)
			}
			if want := exampleID(t, e.ExampleData, ev.Spec.IDField); ev.EntityID != want {
				t.Errorf("Decode() EntityID = %q, want %q (IDField %q)", ev.EntityID, want, ev.Spec.IDField)
			}
			if ev.Spec.IDField != "" && ev.EntityID == "" {
				t.Errorf("Decode() EntityID is empty; the example has %s", ev.Spec.IDField)
			}
		})
	}
}

// exampleID reads the dotted path from data with encoding/json, rendering
// it as Decode documents: strings as is, numbers in decimal, else "".
func exampleID(t *testing.T, data json.RawMessage, path string) string {
	t.Helper()
	if path == "" {
		return ""
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	for _, name := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[name]
	}
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// TestDecodeCorpus decodes every seed payload: the good ones must decode to
// a catalog scope (except unknown_*), the malformed ones must fail with the
// reason their name starts with.
func TestDecodeCorpus(t *testing.T) {
	t.Parallel()
	good, _ := filepath.Glob(filepath.Join(webhooksDir, "*.json"))
	bad, _ := filepath.Glob(filepath.Join(webhooksDir, "malformed", "*.json"))
	if len(good) == 0 || len(bad) == 0 {
		t.Fatalf("no seed payloads in %s", webhooksDir)
	}
	entities := map[string]bool{}
	for _, path := range good {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		ev, err := bigcommerce.Decode(b)
		if err != nil {
			t.Errorf("%s: Decode() error = %v", name, err)
			continue
		}
		entities[ev.Spec.Entity] = true
		if unknown := strings.HasPrefix(name, "unknown_"); ev.Spec.Known == unknown {
			t.Errorf("%s: Spec.Known = %t", name, ev.Spec.Known)
		}
		if ev.Spec.IDField != "" && ev.EntityID == "" {
			t.Errorf("%s: EntityID is empty (IDField %q)", name, ev.Spec.IDField)
		}
	}
	for _, e := range bigcommerce.Entities() {
		if !entities[e] {
			t.Errorf("no payload in %s for entity %q", webhooksDir, e)
		}
	}
	for _, path := range bad {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		want, _, _ := strings.Cut(name, "__")
		ev, err := bigcommerce.Decode(b)
		if err == nil {
			t.Errorf("%s: Decode() = %+v, want error %s", name, ev, want)
			continue
		}
		checkDecodeError(t, err)
		if got := bigcommerce.Reason(err); got != want {
			t.Errorf("%s: Decode() reason = %q, want %q (error: %v)", name, got, want, err)
		}
	}
}
