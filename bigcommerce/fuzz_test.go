package bigcommerce_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bcstream/bigcommerce"
)

// FuzzDecode checks Decode's contract on arbitrary input: it never panics;
// what it accepts satisfies Event's invariants, with an EntityID that agrees
// with encoding/json; what it rejects is poison with a reason.
//
// Seeds are every payload under testdata/webhooks, good and malformed.
func FuzzDecode(f *testing.F) {
	err := filepath.WalkDir(webhooksDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f.Add(b)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(typicalOrder)

	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := bigcommerce.Decode(b)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		checkEvent(t, b, ev)
	})
}

// FuzzEnvelopeFields builds well-formed JSON envelopes from fuzzed field
// values, so that the fuzzer spends its time on field validation (scopes,
// producers, hashes, IDs) rather than on JSON syntax.
func FuzzEnvelopeFields(f *testing.F) {
	f.Add("store/order/created", "1025646", "stores/k2x8v4n1", "67d76783a79bb1deb9e31a6287ec2ef835f9dd56", int64(1764950437), []byte(`{"type":"order","id":70413}`))
	f.Add("store/channel/7/cart/lineItems/created", "1", "stores/a", "67D76783A79BB1DEB9E31A6287EC2EF835F9DD56", int64(0), []byte(`{"cart_id":"x","cart_item_id":"y"}`))
	f.Add("store/channel/*/inventory/product/stock_changed", "2", "stores/b2", "0000000000000000000000000000000000000000", int64(-1), []byte(`{"variant_id":1}`))
	f.Add("store/order/refund/created", "3", "stores/c3", "ffffffffffffffffffffffffffffffffffffffff", int64(4102444799), []byte(`{"refund":{"refund_id":"\u0031"}}`))
	f.Add("store/priceList/records/created", "4", "stores/d4", "abcdefabcdefabcdefabcdefabcdefabcdefabcd", int64(1), []byte(`[{"price_list_id":6}]`))
	f.Fuzz(func(t *testing.T, scope, storeID, producer, hash string, createdAt int64, data []byte) {
		env := map[string]any{"scope": scope, "store_id": storeID, "producer": producer, "hash": hash, "created_at": createdAt}
		if json.Valid(data) {
			env["data"] = json.RawMessage(data)
		} else {
			env["data"] = string(data)
		}
		b, err := json.Marshal(env)
		if err != nil {
			t.Skip()
		}
		ev, err := bigcommerce.Decode(b)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		checkEvent(t, b, ev)
		if ev.Scope != scope || ev.StoreID != storeID || "stores/"+ev.StoreHash != producer || ev.Hash != strings.ToLower(hash) {
			t.Errorf("Decode() = %+v; fields differ from the input", ev)
		}
		if ev.CreatedAt.IsZero() != (createdAt == 0) || (createdAt != 0 && ev.CreatedAt.Unix() != createdAt) {
			t.Errorf("CreatedAt = %v, input %d", ev.CreatedAt, createdAt)
		}
	})
}

// checkEvent asserts the invariants of an Event that Decode returned for b.
func checkEvent(t *testing.T, b []byte, ev bigcommerce.Event) {
	t.Helper()
	if !strings.HasPrefix(ev.Scope, "store/") {
		t.Errorf("Scope %q does not start with store/", ev.Scope)
	}
	if !isLowerAlnum(ev.StoreHash) {
		t.Errorf("StoreHash %q is not lowercase letters and digits", ev.StoreHash)
	}
	if ev.StoreID == "" || strings.Trim(ev.StoreID, "0123456789") != "" {
		t.Errorf("StoreID %q is not digits", ev.StoreID)
	}
	if len(ev.Hash) != 40 || strings.Trim(ev.Hash, "0123456789abcdef") != "" {
		t.Errorf("Hash %q is not 40 lowercase hex digits", ev.Hash)
	}
	if ev.ChannelID < 0 {
		t.Errorf("ChannelID = %d", ev.ChannelID)
	}
	if !json.Valid(ev.Data) || (ev.Data[0] != '{' && ev.Data[0] != '[') {
		t.Errorf("Data %q is not a JSON object or array", ev.Data)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, ev.Data); err == nil && !bytes.Equal(compact.Bytes(), ev.Data) {
		t.Errorf("Data %q is not compact", ev.Data)
	}
	if ev.Spec.Known {
		if s, ok := bigcommerce.Lookup(ev.Scope); !ok || s.Scope != ev.Spec.Scope {
			t.Errorf("Spec.Scope = %q, Lookup(%q) = %q, %t", ev.Spec.Scope, ev.Scope, s.Scope, ok)
		}
	} else if ev.Spec.Entity != bigcommerce.EntityUnknown {
		t.Errorf("unknown scope %q has entity %q", ev.Scope, ev.Spec.Entity)
	}
	if want := exampleID(t, ev.Data, ev.Spec.IDField); ev.EntityID != want {
		t.Errorf("EntityID = %q, encoding/json reads %s as %q", ev.EntityID, ev.Spec.IDField, want)
	}
	if !json.Valid(b) {
		t.Errorf("Decode accepted invalid JSON")
	}
}

func isLowerAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
