package bigcommerce_test

import (
	"errors"
	"fmt"

	"bcstream/bigcommerce"
)

func ExampleDecode() {
	ev, err := bigcommerce.Decode([]byte(`{"created_at":1764950437,"store_id":"1025646","producer":"stores/k2x8v4n1",` +
		`"scope":"store/channel/2/order/created","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"order_id":70413}}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.StoreHash, ev.ChannelID, ev.Spec.Entity, ev.EntityID, ev.CreatedAt)
	fmt.Println(ev.Spec.Enrich.Method, ev.Spec.Enrich.Path)
	// Output:
	// k2x8v4n1 2 order 70413 2025-12-05 16:00:37 +0000 UTC
	// GET /v2/orders/{order_id}
}

func ExampleDecode_poison() {
	_, err := bigcommerce.Decode([]byte(`{"scope":"store/order/created","store_id":"1025646","producer":"shop/abc",` +
		`"hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"type":"order","id":70413}}`))
	fmt.Println(errors.Is(err, bigcommerce.ErrPoison), bigcommerce.Reason(err))
	fmt.Println(err)
	// Output:
	// true bad_producer
	// bigcommerce: producer "shop/abc" is not of the form stores/{store_hash} (store hash: lowercase letters and digits, e.g. stores/k2x8v4n1)
}

func ExampleLookup() {
	spec, ok := bigcommerce.Lookup("store/channel/7/cart/lineItem/deleted")
	fmt.Println(ok, spec.Scope, spec.Entity, spec.IDField, spec.Delete)
	// Output:
	// true store/channel/{channel_id}/cart/lineItem/deleted cart_line_item cart_item_id true
}
