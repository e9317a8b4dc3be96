// Package bctest simulates BigCommerce for tests, the local demo and load
// tests: a webhook event generator (this file) and an in-process store
// simulator serving the REST API with BigCommerce's rate limits, faults and
// a change generator (store*.go, api*.go, faults.go, changes*.go).
package bctest

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"time"
)

// Store is one simulated BigCommerce store.
type Store struct {
	// Hash is the store hash: lowercase letters and digits, as in the
	// envelope's producer "stores/{hash}".
	Hash string
	// ID is the numeric store ID as a string of digits (the envelope's
	// store_id).
	ID string
}

// fixtureStores are the stores the payloads in testdata/webhooks belong
// to; DefaultStores starts with them so demo events and fixtures agree.
var fixtureStores = []Store{
	{Hash: "k2x8v4n1", ID: "1025646"},
	{Hash: "q7m3z9t2", ID: "1187442"},
	{Hash: "b4n6c8d0", ID: "1003518"},
}

// DefaultStores returns n distinct, plausible stores, the same for every
// call: the fixture stores first, then derived ones.
func DefaultStores(n int) []Store {
	stores := make([]Store, 0, max(n, 0))
	seen := map[string]bool{}
	for _, s := range fixtureStores {
		if len(stores) == n {
			return stores
		}
		stores, seen[s.Hash] = append(stores, s), true
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	rng := rand.New(rand.NewPCG(0x5eed, 0xb1c0))
	for id := 1_004_000; len(stores) < n; id += 1 + rng.IntN(4000) {
		var h [8]byte
		for i := range h {
			h[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if seen[string(h[:])] {
			continue
		}
		seen[string(h[:])] = true
		stores = append(stores, Store{Hash: string(h[:]), ID: strconv.Itoa(id)})
	}
	return stores
}

// Generator produces realistic BigCommerce webhook envelopes, as
// BigCommerce publishes them to Pub/Sub: compact JSON with created_at,
// store_id, producer, scope, hash and data. Like BigCommerce's, the hash
// is the SHA-1 of the envelope without it.
//
// The mix is weighted like a busy store: mostly orders, then carts and
// products, some customers, channel-templated and BOPIS scopes, price-list
// record batches (data is an array), and now and then a scope the catalog
// does not know. Entity IDs increase per store the way BigCommerce's do,
// and updates refer to entities created earlier.
//
// created_at is the wall-clock time of the Next call, as for live events;
// after SetStart it comes from a simulated clock instead, and the events
// depend only on the seed, the stores and the start time.
//
// No two events Next returns share a hash; Redeliver makes duplicates on
// purpose. A Generator is not safe for concurrent use; give each goroutine
// its own, with its own seed.
type Generator struct {
	rng    *rand.Rand
	stores []storeState
	total  int // sum of the weights of kinds
	// clock is the time of the last event, Unix nanoseconds; simulated
	// after SetStart, else read from the wall clock.
	clock     int64
	simulated bool
	second    int64 // clock in Unix seconds: created_at
	// hashes holds the hashes sent in the current second; no two events
	// Next returns share one.
	hashes map[[sha1.Size]byte]struct{}
	recent [64][]byte
	n      int // events generated

	// Scratch buffers, reused across events.
	scope, data, body []byte
}

// storeState is what the generator remembers about one store.
type storeState struct {
	Store
	order, product, customer, category, shipment, metafield, subscriber,
	transaction, variant, sku, address, priceList, message, refund int
	carts  [16][36]byte // recent cart UUIDs, a ring
	nCarts int
}

// NewGenerator returns a generator for stores (DefaultStores(1) when
// empty), seeded with seed. Store hashes must be valid (lowercase letters
// and digits), or every event will be malformed.
func NewGenerator(seed int64, stores []Store) *Generator {
	if len(stores) == 0 {
		stores = DefaultStores(1)
	}
	g := &Generator{
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x6269_6763_6f6d)),
		hashes: map[[sha1.Size]byte]struct{}{},
	}
	for _, s := range stores {
		st := storeState{Store: s}
		// Plausible starting points: a store that has been trading a while.
		st.order = 100 + g.rng.IntN(90_000)
		st.product = 77 + g.rng.IntN(5_000)
		st.variant = st.product*3 + g.rng.IntN(100)
		st.sku = st.product*2 + g.rng.IntN(100)
		st.customer = 1 + g.rng.IntN(20_000)
		st.address = st.customer + g.rng.IntN(5_000)
		st.category = 18 + g.rng.IntN(200)
		st.shipment = 1 + g.rng.IntN(st.order)
		st.metafield = 1 + g.rng.IntN(3_000)
		st.subscriber = 1 + g.rng.IntN(8_000)
		st.transaction = 550_000 + g.rng.IntN(100_000)
		st.priceList = 1 + g.rng.IntN(12)
		st.message = 1 + g.rng.IntN(2_000)
		st.refund = 1 + g.rng.IntN(900)
		g.stores = append(g.stores, st)
	}
	for _, k := range kinds {
		g.total += k.weight
	}
	return g
}

// SetStart switches created_at to a simulated clock that starts at t and
// advances 0-20 ms per event (about 100 events a second), so that the
// output depends only on the seed, the stores and t. Call it before Next.
func (g *Generator) SetStart(t time.Time) {
	g.simulated = true
	g.clock = t.Truncate(time.Second).UnixNano()
}

// Next returns one webhook envelope. The generator keeps it for
// Redeliver, so the caller must not modify it.
func (g *Generator) Next() []byte {
	ev := g.next()
	g.recent[g.n%len(g.recent)] = ev
	g.n++
	return ev
}

// next makes an event without remembering it for Redeliver.
func (g *Generator) next() []byte {
	st := &g.stores[g.rng.IntN(len(g.stores))]
	pick := g.rng.IntN(g.total)
	k := &kinds[0]
	for i := range kinds {
		if pick < kinds[i].weight {
			k = &kinds[i]
			break
		}
		pick -= kinds[i].weight
	}
	// Busy stores emit many events a second: advance 0-20 ms per event.
	step := int64(g.rng.IntN(20)) * int64(time.Millisecond)
	if g.simulated {
		g.clock += step
	} else {
		g.clock = time.Now().UnixNano()
	}
	if sec := g.clock / int64(time.Second); sec != g.second {
		g.second = sec
		clear(g.hashes)
	}

	g.scope, g.data = g.scope[:0], g.data[:0]
	k.gen(g, st)
	ev, sum := g.envelope(st)
	if _, dup := g.hashes[sum]; dup {
		// The same entity changed twice within a second and the payloads
		// are identical. BigCommerce would send both with one hash, and
		// the pipeline would keep one; draw another event instead, so
		// that every event Next returns counts.
		return g.next()
	}
	g.hashes[sum] = struct{}{}
	return ev
}

// Redeliver returns one of the last 64 events Next returned, unchanged: a
// duplicate delivery, as BigCommerce and Pub/Sub both produce. It returns
// Next() when there is none yet. The slice is the caller's.
func (g *Generator) Redeliver() []byte {
	if g.n == 0 {
		return g.Next()
	}
	ev := g.recent[g.rng.IntN(min(g.n, len(g.recent)))]
	return append([]byte(nil), ev...)
}

// envelope assembles g.scope and g.data into an envelope. Like BigCommerce
// it hashes the payload without its hash field.
func (g *Generator) envelope(st *storeState) ([]byte, [sha1.Size]byte) {
	b := append(g.body[:0], `{"created_at":`...)
	b = strconv.AppendInt(b, g.second, 10)
	b = append(b, `,"store_id":"`...)
	b = append(b, st.ID...)
	b = append(b, `","producer":"stores/`...)
	b = append(b, st.Hash...)
	b = append(b, `","scope":"`...)
	b = append(b, g.scope...)
	b = append(b, '"')
	head := len(b)
	b = append(b, `,"data":`...)
	b = append(b, g.data...)
	b = append(b, '}')
	g.body = b
	sum := sha1.Sum(b)

	out := make([]byte, 0, len(b)+len(`,"hash":""`)+2*len(sum))
	out = append(out, b[:head]...)
	out = append(out, `,"hash":"`...)
	out = hex.AppendEncode(out, sum[:])
	out = append(out, '"')
	out = append(out, b[head:]...)
	return out, sum
}

// kind is one sort of event in the mix.
type kind struct {
	weight int // relative frequency
	// gen appends the scope to g.scope and the data JSON to g.data.
	gen func(g *Generator, st *storeState)
}

// kinds is the event mix. Weights are per mille of all events, roughly:
// orders 45%, products 20%, carts 20%, customers 8%, the rest scattered.
var kinds = []kind{
	// Orders.
	{90, func(g *Generator, st *storeState) { g.typeID("store/order/created", "order", next(&st.order)) }},
	{150, func(g *Generator, st *storeState) { g.typeID("store/order/updated", "order", g.recentID(st.order)) }},
	{80, (*Generator).orderStatusUpdated},
	{30, func(g *Generator, st *storeState) { g.transaction(st, "store/order/transaction/created") }},
	{10, func(g *Generator, st *storeState) { g.transaction(st, "store/order/transaction/updated") }},
	{10, func(g *Generator, st *storeState) {
		g.typeID("store/order/message/created", "order", g.recentID(st.order))
		g.data = g.data[:len(g.data)-1]
		g.data = append(g.data, `,"message":{"order_message_id":`...)
		g.data = strconv.AppendInt(g.data, int64(next(&st.message)), 10)
		g.data = append(g.data, "}}"...)
	}},
	{8, func(g *Generator, st *storeState) {
		g.typeID("store/order/refund/created", "order", g.recentID(st.order))
		g.data = g.data[:len(g.data)-1]
		g.data = append(g.data, `,"refund":{"refund_id":`...)
		g.data = strconv.AppendInt(g.data, int64(next(&st.refund)), 10)
		g.data = append(g.data, "}}"...)
	}},
	{5, func(g *Generator, st *storeState) { g.typeID("store/order/archived", "order", g.recentID(st.order)) }},
	{5, func(g *Generator, st *storeState) {
		g.metafield(st, "store/order/metafield/created", g.recentID(st.order))
	}},
	{20, func(g *Generator, st *storeState) { g.shipment(st, "store/shipment/created", next(&st.shipment)) }},
	{5, func(g *Generator, st *storeState) { g.shipment(st, "store/shipment/updated", g.recentID(st.shipment)) }},
	{15, func(g *Generator, st *storeState) {
		g.channelID(g.channel(), "/order/created", "order_id", next(&st.order))
	}},
	{20, func(g *Generator, st *storeState) {
		g.channelID(g.channel(), "/order/updated", "order_id", g.recentID(st.order))
	}},
	// Catalog.
	{80, func(g *Generator, st *storeState) {
		g.typeID("store/product/updated", "product", g.recentID(st.product))
	}},
	{15, func(g *Generator, st *storeState) { g.typeID("store/product/created", "product", next(&st.product)) }},
	{5, func(g *Generator, st *storeState) {
		g.typeID("store/product/deleted", "product", g.recentID(st.product))
	}},
	{40, func(g *Generator, st *storeState) { g.inventory(st, "store/product/inventory/order/updated", false) }},
	{25, func(g *Generator, st *storeState) { g.inventory(st, "store/sku/inventory/order/updated", true) }},
	{10, func(g *Generator, st *storeState) {
		g.typeID("store/sku/updated", "sku", g.recentID(st.sku))
		g.data = g.data[:len(g.data)-1]
		g.data = append(g.data, `,"sku":{"product_id":`...)
		g.data = strconv.AppendInt(g.data, int64(g.recentID(st.product)), 10)
		g.data = append(g.data, `,"variant_id":`...)
		g.data = strconv.AppendInt(g.data, int64(g.recentID(st.variant)), 10)
		g.data = append(g.data, "}}"...)
	}},
	{5, func(g *Generator, st *storeState) {
		g.metafield(st, "store/product/metafield/updated", g.recentID(st.product))
	}},
	{5, func(g *Generator, st *storeState) {
		g.metafield(st, "store/product/variant/metafield/updated", g.recentID(st.variant))
	}},
	{5, func(g *Generator, st *storeState) {
		g.typeID("store/category/updated", "category", g.recentID(st.category))
	}},
	{5, func(g *Generator, st *storeState) {
		g.channelID(g.channel(), "/product/assigned", "product_id", g.recentID(st.product))
	}},
	// Carts.
	{40, func(g *Generator, st *storeState) { g.cart(st, "store/cart/created", g.newCart(st), "") }},
	{60, func(g *Generator, st *storeState) { g.cart(st, "store/cart/updated", g.recentCart(st), "") }},
	{40, func(g *Generator, st *storeState) { g.lineItem(st, "store/cart/lineItem/created") }},
	{20, func(g *Generator, st *storeState) { g.lineItem(st, "store/cart/lineItem/updated") }},
	{10, func(g *Generator, st *storeState) { g.lineItem(st, "store/cart/lineItem/deleted") }},
	{5, func(g *Generator, st *storeState) {
		g.cart(st, "store/cart/couponApplied", g.recentCart(st), `,"couponId":`+strconv.Itoa(1+g.rng.IntN(60)))
	}},
	{10, func(g *Generator, st *storeState) {
		var tok [16]byte
		g.fill(tok[:])
		g.cart(st, "store/cart/abandoned", g.recentCart(st), `,"token":"`+hex.EncodeToString(tok[:])+`"`)
	}},
	{10, func(g *Generator, st *storeState) {
		g.cart(st, "store/cart/converted", g.recentCart(st), `,"orderId":`+strconv.Itoa(next(&st.order)))
	}},
	{5, func(g *Generator, st *storeState) {
		g.scope = append(g.scope, "store/channel/"...)
		g.scope = strconv.AppendInt(g.scope, g.channel(), 10)
		g.scope = append(g.scope, "/cart/created"...)
		g.data = append(g.data, `{"cart_id":"`...)
		g.data = append(g.data, g.newCart(st)...)
		g.data = append(g.data, `"}`...)
	}},
	// Customers.
	{20, func(g *Generator, st *storeState) { g.customer(st, "store/customer/created", next(&st.customer)) }},
	{30, func(g *Generator, st *storeState) { g.customer(st, "store/customer/updated", g.recentID(st.customer)) }},
	{10, func(g *Generator, st *storeState) {
		g.typeID("store/customer/address/created", "customer", next(&st.address))
		g.data = g.data[:len(g.data)-1]
		g.data = append(g.data, `,"address":{"customer_id":`...)
		g.data = strconv.AppendInt(g.data, int64(g.recentID(st.customer)), 10)
		g.data = append(g.data, "}}"...)
	}},
	{10, func(g *Generator, st *storeState) {
		g.typeID("store/subscriber/created", "subscriber", next(&st.subscriber))
	}},
	{3, func(g *Generator, st *storeState) {
		g.scope = append(g.scope, "store/customer/channel/login/access/updated"...)
		g.data = append(g.data, `{"customer_id":`...)
		g.data = strconv.AppendInt(g.data, int64(g.recentID(st.customer)), 10)
		g.data = append(g.data, `,"channel_ids":[1,`...)
		g.data = strconv.AppendInt(g.data, g.channel(), 10)
		g.data = append(g.data, "]}"...)
	}},
	// BOPIS inventory: "*" stands for all storefront channels.
	{15, func(g *Generator, st *storeState) { g.bopis(st, "stock_changed") }},
	{3, func(g *Generator, st *storeState) { g.bopis(st, "low_stock_reached") }},
	{2, func(g *Generator, st *storeState) { g.bopis(st, "out_of_stock_reached") }},
	// Price lists.
	{8, (*Generator).priceListRecords},
	{3, func(g *Generator, st *storeState) {
		g.scope = append(g.scope, "store/priceList/record/updated"...)
		g.priceListRecord(st)
	}},
	// Store-wide and rare.
	{1, func(g *Generator, _ *storeState) {
		g.scope = append(g.scope, "store/information/updated"...)
		g.data = append(g.data, `{"type":"store"}`...)
	}},
	{1, func(g *Generator, _ *storeState) {
		g.typeID("store/hook/deliveryException", "webhook", 880_000+g.rng.IntN(200))
		g.data = g.data[:len(g.data)-1]
		g.data = append(g.data, `,"error_code":90001,"message":"delivery failed; will retry"}`...)
	}},
	{2, func(g *Generator, st *storeState) {
		g.scope = append(g.scope, "store/metafield/updated"...)
		g.data = append(g.data, `{"metafield_id":`...)
		g.data = strconv.AppendInt(g.data, int64(g.recentID(st.metafield)), 10)
		g.data = append(g.data, `,"resource_id":"`...)
		g.data = strconv.AppendInt(g.data, int64(g.recentID(st.product)), 10)
		g.data = append(g.data, `","resource_type":"product","namespace":"pim.attributes"}`...)
	}},
	// A scope the catalog does not know: recorded as entity "unknown".
	{5, func(g *Generator, st *storeState) {
		g.typeID("store/loyalty/points/updated", "loyalty_points", g.recentID(st.customer))
		g.data = g.data[:len(g.data)-1]
		g.data = append(g.data, `,"balance":`...)
		g.data = strconv.AppendInt(g.data, int64(g.rng.IntN(5000)), 10)
		g.data = append(g.data, '}')
	}},
}

// next returns *counter and increments it: the ID of a new entity.
func next(counter *int) int {
	id := *counter
	*counter++
	return id
}

// recentID returns the ID of an entity created recently: one of the 50
// below the counter, recent ones likelier (updates cluster on new
// entities).
func (g *Generator) recentID(counter int) int {
	back := g.rng.IntN(1+g.rng.IntN(50)) + 1
	return max(counter-back, 1)
}

// channel returns a storefront channel ID; channel 1 is the default
// storefront and gets most events.
func (g *Generator) channel() int64 {
	if g.rng.IntN(10) < 6 {
		return 1
	}
	return int64(2 + g.rng.IntN(2))
}

// typeID writes the common {"type":…,"id":…} payload.
func (g *Generator) typeID(scope, typ string, id int) {
	g.scope = append(g.scope, scope...)
	g.data = append(g.data, `{"type":"`...)
	g.data = append(g.data, typ...)
	g.data = append(g.data, `","id":`...)
	g.data = strconv.AppendInt(g.data, int64(id), 10)
	g.data = append(g.data, '}')
}

// channelID writes a channel-templated scope with a single-ID payload.
func (g *Generator) channelID(channel int64, rest, field string, id int) {
	g.scope = append(g.scope, "store/channel/"...)
	g.scope = strconv.AppendInt(g.scope, channel, 10)
	g.scope = append(g.scope, rest...)
	g.data = append(g.data, `{"`...)
	g.data = append(g.data, field...)
	g.data = append(g.data, `":`...)
	g.data = strconv.AppendInt(g.data, int64(id), 10)
	g.data = append(g.data, '}')
}

// statusFlows are (previous, new) order status IDs in the order they
// usually happen: awaiting payment → awaiting fulfillment → shipped →
// completed, with the odd cancellation and refund.
var statusFlows = [][2]int{{0, 11}, {7, 11}, {1, 11}, {11, 2}, {11, 9}, {9, 2}, {2, 10}, {11, 5}, {10, 4}, {10, 14}}

func (g *Generator) orderStatusUpdated(st *storeState) {
	f := statusFlows[g.rng.IntN(len(statusFlows))]
	g.typeID("store/order/statusUpdated", "order", g.recentID(st.order))
	g.data = g.data[:len(g.data)-1]
	g.data = append(g.data, `,"status":{"previous_status_id":`...)
	g.data = strconv.AppendInt(g.data, int64(f[0]), 10)
	g.data = append(g.data, `,"new_status_id":`...)
	g.data = strconv.AppendInt(g.data, int64(f[1]), 10)
	g.data = append(g.data, "}}"...)
}

func (g *Generator) transaction(st *storeState, scope string) {
	typ, status := "capture", "complete"
	switch g.rng.IntN(6) {
	case 0:
		typ, status = "authorization", "pending"
	case 1:
		typ = "refund"
	}
	g.scope = append(g.scope, scope...)
	g.data = append(g.data, `{"type":"transaction","order_id":"`...)
	g.data = strconv.AppendInt(g.data, int64(g.recentID(st.order)), 10)
	g.data = append(g.data, `","transaction_id":"`...)
	g.data = strconv.AppendInt(g.data, int64(next(&st.transaction)), 10)
	g.data = append(g.data, `","transaction_status":"`...)
	g.data = append(g.data, status...)
	g.data = append(g.data, `","transaction_type":"`...)
	g.data = append(g.data, typ...)
	g.data = append(g.data, `","result":{"code":"00","message":"Approved","type":"success"},"platform_transaction_id":"`...)
	g.data = g.appendUUID(g.data)
	g.data = append(g.data, `","provider_transaction_id":"ch_`...)
	var p [9]byte
	g.fill(p[:])
	g.data = hex.AppendEncode(g.data, p[:])
	g.data = append(g.data, `"}`...)
}

func (g *Generator) shipment(st *storeState, scope string, id int) {
	g.typeID(scope, "shipment", id)
	g.data = g.data[:len(g.data)-1]
	g.data = append(g.data, `,"orderId":`...)
	g.data = strconv.AppendInt(g.data, int64(g.recentID(st.order)), 10)
	g.data = append(g.data, '}')
}

func (g *Generator) metafield(st *storeState, scope string, resource int) {
	g.scope = append(g.scope, scope...)
	g.data = append(g.data, `{"metafield_id":`...)
	g.data = strconv.AppendInt(g.data, int64(next(&st.metafield)), 10)
	g.data = append(g.data, `,"resource_id":"`...)
	g.data = strconv.AppendInt(g.data, int64(resource), 10)
	g.data = append(g.data, `","namespace":"erp.sync"}`...)
}

// inventory writes a product or SKU inventory event: "relative" deltas
// from orders (negative) mostly, "absolute" stock takes sometimes.
func (g *Generator) inventory(st *storeState, scope string, variant bool) {
	id := g.recentID(st.product)
	if variant {
		id = g.recentID(st.sku)
	}
	typ := "product"
	if variant {
		typ = "sku"
	}
	g.typeID(scope, typ, id)
	g.data = g.data[:len(g.data)-1]
	g.data = append(g.data, `,"inventory":{"product_id":`...)
	g.data = strconv.AppendInt(g.data, int64(g.recentID(st.product)), 10)
	if g.rng.IntN(5) == 0 {
		g.data = append(g.data, `,"method":"absolute","value":`...)
		g.data = strconv.AppendInt(g.data, int64(g.rng.IntN(200)), 10)
	} else {
		g.data = append(g.data, `,"method":"relative","value":-`...)
		g.data = strconv.AppendInt(g.data, int64(1+g.rng.IntN(3)), 10)
	}
	if variant {
		g.data = append(g.data, `,"variant_id":`...)
		g.data = strconv.AppendInt(g.data, int64(g.recentID(st.variant)), 10)
	}
	g.data = append(g.data, "}}"...)
}

func (g *Generator) cart(_ *storeState, scope string, id []byte, extra string) {
	g.scope = append(g.scope, scope...)
	g.data = append(g.data, `{"type":"cart","id":"`...)
	g.data = append(g.data, id...)
	g.data = append(g.data, '"')
	g.data = append(g.data, extra...)
	g.data = append(g.data, '}')
}

func (g *Generator) lineItem(st *storeState, scope string) {
	g.scope = append(g.scope, scope...)
	g.data = append(g.data, `{"type":"cart_line_item","id":"`...)
	g.data = g.appendUUID(g.data)
	g.data = append(g.data, `","cartId":"`...)
	g.data = append(g.data, g.recentCart(st)...)
	g.data = append(g.data, `"}`...)
}

func (g *Generator) customer(st *storeState, scope string, id int) {
	g.typeID(scope, "customer", id)
	ch := g.channel()
	g.data = g.data[:len(g.data)-1]
	g.data = append(g.data, `,"origin_channel_id":`...)
	g.data = strconv.AppendInt(g.data, ch, 10)
	g.data = append(g.data, `,"channel_ids":[`...)
	g.data = strconv.AppendInt(g.data, ch, 10)
	g.data = append(g.data, "]}"...)
}

func (g *Generator) bopis(st *storeState, what string) {
	g.scope = append(g.scope, "store/channel/*/inventory/product/"...)
	g.scope = append(g.scope, what...)
	g.data = append(g.data, `{"variant_id":`...)
	g.data = strconv.AppendInt(g.data, int64(g.recentID(st.variant)), 10)
	g.data = append(g.data, `,"product_id":`...)
	g.data = strconv.AppendInt(g.data, int64(g.recentID(st.product)), 10)
	g.data = append(g.data, `,"location_id":`...)
	g.data = strconv.AppendInt(g.data, int64(1+g.rng.IntN(4)), 10)
	g.data = append(g.data, '}')
}

var currencies = []string{"USD", "EUR", "GBP", "CAD"}

// priceListRecords writes a batch event: data is an array of records.
func (g *Generator) priceListRecords(st *storeState) {
	g.scope = append(g.scope, "store/priceList/records/updated"...)
	g.data = append(g.data, '[')
	for i, n := 0, 1+g.rng.IntN(4); i < n; i++ {
		if i > 0 {
			g.data = append(g.data, ',')
		}
		g.priceListRecord(st)
	}
	g.data = append(g.data, ']')
}

func (g *Generator) priceListRecord(st *storeState) {
	g.data = append(g.data, `{"price_list_id":`...)
	g.data = strconv.AppendInt(g.data, int64(1+g.rng.IntN(st.priceList)), 10)
	g.data = append(g.data, `,"variant_id":`...)
	g.data = strconv.AppendInt(g.data, int64(g.recentID(st.variant)), 10)
	g.data = append(g.data, `,"currency":"`...)
	g.data = append(g.data, currencies[g.rng.IntN(len(currencies))]...)
	g.data = append(g.data, `"}`...)
}

// newCart creates a cart (a UUID) and remembers it.
func (g *Generator) newCart(st *storeState) []byte {
	c := &st.carts[st.nCarts%len(st.carts)]
	g.appendUUID(c[:0])
	st.nCarts++
	return c[:]
}

// recentCart returns a recently created cart, creating one if there is none.
func (g *Generator) recentCart(st *storeState) []byte {
	if st.nCarts == 0 {
		return g.newCart(st)
	}
	return st.carts[(st.nCarts-1-g.rng.IntN(min(st.nCarts, len(st.carts))))%len(st.carts)][:]
}

// appendUUID appends a random (version 4) UUID, as BigCommerce uses for
// carts and line items.
func (g *Generator) appendUUID(b []byte) []byte {
	var u [16]byte
	g.fill(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	b = hex.AppendEncode(b, u[:4])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[4:6])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[6:8])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[8:10])
	b = append(b, '-')
	return hex.AppendEncode(b, u[10:])
}

func (g *Generator) fill(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := g.rng.Uint64()
		for j := i; j < len(b) && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
}

// malformations are the ways Malformed breaks an event; each fails
// bigcommerce.Decode with a different reason (named first).
var malformations = []func(g *Generator, ev []byte) []byte{
	// invalid_json: the payload cut short, as by a broken relay.
	func(_ *Generator, ev []byte) []byte { return ev[:len(ev)*2/3] },
	// missing_scope
	func(_ *Generator, ev []byte) []byte { return replaceField(ev, "scope", `""`) },
	// malformed_scope: not a store scope.
	func(_ *Generator, ev []byte) []byte { return replaceField(ev, "scope", `"shop/order/created"`) },
	// bad_producer
	func(_ *Generator, ev []byte) []byte { return replaceField(ev, "producer", `"shop/k2x8v4n1"`) },
	// bad_hash: an MD5-length hash.
	func(_ *Generator, ev []byte) []byte {
		return replaceField(ev, "hash", `"9e107d9d372bb6826bd81d3542a419d6"`)
	},
	// bad_store_id
	func(_ *Generator, ev []byte) []byte { return replaceField(ev, "store_id", `"store-1025646"`) },
	// bad_created_at: milliseconds instead of seconds.
	func(_ *Generator, ev []byte) []byte {
		i := bytes.IndexByte(ev, ',') // after {"created_at":<seconds>
		return append(append(ev[:i:i], "000"...), ev[i:]...)
	},
	// wrong_type: data double-encoded as a string.
	func(_ *Generator, ev []byte) []byte {
		return replaceField(ev, "data", `"{\"type\":\"order\",\"id\":1}"`)
	},
	// missing_data
	func(_ *Generator, ev []byte) []byte { return replaceField(ev, "data", `null`) },
}

// Malformed returns one event broken in one of several ways (truncated
// JSON, empty or foreign scope, bad producer, hash, store ID or created_at,
// data of the wrong type or null), each of which bigcommerce.Decode
// rejects with a different reason. The slice is the caller's.
func (g *Generator) Malformed() []byte {
	// The valid original is never published, so Redeliver must not
	// return it: it would arrive as a new event nobody counted.
	ev := g.next()
	return malformations[g.rng.IntN(len(malformations))](g, ev)
}

// replaceField returns ev with the value of its top-level field name
// replaced by value (raw JSON). It knows the generator's own output: field
// values are strings, numbers or, for data, the last member.
func replaceField(ev []byte, name, value string) []byte {
	key := []byte(`"` + name + `":`)
	i := bytes.Index(ev, key)
	if i < 0 {
		return ev
	}
	start := i + len(key)
	end := start
	switch {
	case name == "data":
		end = len(ev) - 1
	case ev[start] == '"':
		end = start + 1 + bytes.IndexByte(ev[start+1:], '"') + 1
	default:
		for end < len(ev) && ev[end] != ',' && ev[end] != '}' {
			end++
		}
	}
	out := make([]byte, 0, len(ev)+len(value))
	out = append(out, ev[:start]...)
	out = append(out, value...)
	return append(out, ev[end:]...)
}
