package bctest

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Envelope is one webhook callback as BigCommerce publishes it to Pub/Sub.
type Envelope struct {
	// StoreHash and Scope say whose and what event this is (both are in
	// Body too).
	StoreHash string
	Scope     string
	// Hash is the envelope's hash field: the SHA-1 of Body without it.
	Hash string
	// CreatedAt is created_at, Unix seconds, from the simulator's clock.
	CreatedAt int64
	// Body is the compact JSON envelope, in the layout bctest.Generator
	// uses: created_at, store_id, producer ("stores/{hash}"), scope, hash,
	// data.
	Body []byte
}

// event is a change's scope and data before it becomes an Envelope.
type event struct {
	scope string
	data  []byte
}

// envelope wraps ev for store st the way BigCommerce does, hashing the
// payload without its hash field (as Generator does).
func envelope(hash, storeID string, ev event, createdAt int64) Envelope {
	scope, _ := json.Marshal(ev.scope)
	b := []byte(`{"created_at":`)
	b = strconv.AppendInt(b, createdAt, 10)
	b = append(b, `,"store_id":"`...)
	b = append(b, storeID...)
	b = append(b, `","producer":"stores/`...)
	b = append(b, hash...)
	b = append(b, `","scope":`...)
	b = append(b, scope...)
	head := len(b)
	b = append(b, `,"data":`...)
	b = append(b, ev.data...)
	b = append(b, '}')
	sum := sha1.Sum(b)
	out := make([]byte, 0, len(b)+50)
	out = append(out, b[:head]...)
	out = append(out, `,"hash":"`...)
	out = hex.AppendEncode(out, sum[:])
	out = append(out, '"')
	out = append(out, b[head:]...)
	return Envelope{StoreHash: hash, Scope: ev.scope, Hash: hex.EncodeToString(sum[:]), CreatedAt: createdAt, Body: out}
}

// envelope wraps a change's event for st; st.mu must be held for writing.
// With Options.UniqueHashes it moves a repeat within the same second to a
// later one.
func (st *simStore) envelope(ev event, now time.Time) Envelope {
	sec := now.Unix()
	if !st.sim.defs.UniqueHashes {
		return envelope(st.cfg.Hash, st.cfg.ID, ev, sec)
	}
	for {
		env := envelope(st.cfg.Hash, st.cfg.ID, ev, sec)
		if st.issued == nil {
			st.issued = map[int64]map[string]bool{}
		}
		for s := range st.issued {
			if s < now.Unix()-60 {
				delete(st.issued, s) // keep a minute: repeats move at most that far
			}
		}
		if !st.issued[sec][env.Hash] {
			if st.issued[sec] == nil {
				st.issued[sec] = map[string]bool{}
			}
			st.issued[sec][env.Hash] = true
			return env
		}
		sec++
	}
}

// obj encodes alternating keys and values as a JSON object, keys in the
// order given (as BigCommerce's payloads list them).
func obj(kv ...any) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[i])
		b.Write(k)
		b.WriteByte(':')
		switch v := kv[i+1].(type) {
		case []byte:
			b.Write(v)
		default:
			vb, err := json.Marshal(v)
			if err != nil {
				panic(err)
			}
			b.Write(vb)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

func typeID(scope, typ string, id any, extra ...any) event {
	return event{scope, obj(append([]any{"type", typ, "id", id}, extra...)...)}
}

// change is one kind of entity change: apply changes the store and returns
// the events BigCommerce sends for it, or nil when the store has nothing
// to change (no carts, say).
type change struct {
	name   string
	weight int
	apply  func(b *builder, now time.Time) []event
}

// changes is the mix Mutate draws from, weighted like a busy store:
// orders and products most, then carts, customers, and the rest.
var changes = []change{
	{"order_created", 70, (*builder).chOrderCreated},
	{"order_status_updated", 90, (*builder).chOrderStatus},
	{"order_shipped", 40, (*builder).chOrderShipped},
	{"order_updated", 30, (*builder).chOrderUpdated},
	{"order_message", 10, (*builder).chOrderMessage},
	{"order_refunded", 8, (*builder).chOrderRefund},
	{"order_transaction", 20, (*builder).chTransaction},
	{"order_archived", 5, (*builder).chOrderArchived},
	{"order_metafield_updated", 5, func(b *builder, now time.Time) []event { return b.chMetafield("order", now) }},
	{"shipment_updated", 5, (*builder).chShipmentUpdated},
	{"product_updated", 90, (*builder).chProductUpdated},
	{"product_created", 15, (*builder).chProductCreated},
	{"product_deleted", 4, (*builder).chProductDeleted},
	{"product_inventory", 30, (*builder).chProductInventory},
	{"sku_inventory", 25, (*builder).chSkuInventory},
	{"sku_updated", 10, (*builder).chSkuUpdated},
	{"product_metafield_updated", 5, func(b *builder, now time.Time) []event { return b.chMetafield("product", now) }},
	{"category_updated", 5, (*builder).chCategoryUpdated},
	{"cart_created", 40, (*builder).chCartCreated},
	{"cart_line_item_added", 40, (*builder).chLineItemAdded},
	{"cart_line_item_updated", 20, (*builder).chLineItemUpdated},
	{"cart_line_item_removed", 10, (*builder).chLineItemRemoved},
	{"cart_abandoned", 10, (*builder).chCartAbandoned},
	{"cart_converted", 10, (*builder).chCartConverted},
	{"customer_created", 20, (*builder).chCustomerCreated},
	{"customer_updated", 30, (*builder).chCustomerUpdated},
	{"customer_address_created", 10, (*builder).chCustomerAddress},
	{"subscriber_created", 10, (*builder).chSubscriberCreated},
	{"price_list_record_updated", 3, (*builder).chPriceRecord},
	{"price_list_records_updated", 8, (*builder).chPriceRecords},
	{"location_stock_changed", 15, (*builder).chStockChanged},
}

// ChangeKinds returns the names of the changes Mutate mixes (and
// MutateKind takes), in a fixed order.
func ChangeKinds() []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = c.name
	}
	return out
}

// Mutate makes n random changes to store hash, drawn from a mix weighted
// like a busy store (see ChangeKinds), and returns the webhook envelopes
// BigCommerce sends for them, in order. One change can send several
// events, as BigCommerce does (a status change sends order/updated and
// order/statusUpdated; a new cart sends cart/created and cart/updated), so
// len(result) >= n. After Mutate returns, enrichment of each event reads
// the entity's new state (or 404 for deleted entities).
//
// Changes draw from a generator seeded from the simulator seed and the
// hash, so a sequence of Mutate calls is reproducible with a fixed clock.
// created_at is the clock's second: two identical events for one entity
// within a second share a hash, as they would at BigCommerce (unless
// Options.UniqueHashes is set).
func (sim *Simulator) Mutate(hash string, n int) ([]Envelope, error) {
	return sim.mutate(hash, n, "")
}

// MutateKind makes n changes of one kind (a name from ChangeKinds) to
// store hash; see Mutate.
func (sim *Simulator) MutateKind(hash, kind string, n int) ([]Envelope, error) {
	if !slices.Contains(ChangeKinds(), kind) {
		return nil, fmt.Errorf("bctest: unknown change kind %q", kind)
	}
	return sim.mutate(hash, n, kind)
}

func (sim *Simulator) mutate(hash string, n int, kind string) ([]Envelope, error) {
	st, err := sim.mustStore(hash)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, c := range changes {
		total += c.weight
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	b := &builder{d: st.d, rng: st.rng}
	var out []Envelope
	for range n {
		now := sim.now().UTC().Truncate(time.Second)
		var evs []event
		for try := 0; evs == nil && try < 50; try++ {
			var c change
			if kind == "" {
				c = pickChange(b, total)
			} else {
				c = changes[slices.IndexFunc(changes, func(c change) bool { return c.name == kind })]
			}
			evs = c.apply(b, now)
		}
		if evs == nil {
			return out, fmt.Errorf("bctest: store %s has nothing to change for %q", hash, kind)
		}
		for _, ev := range evs {
			out = append(out, st.envelope(ev, now))
		}
	}
	return out, nil
}

func pickChange(b *builder, total int) change {
	pick := b.rng.IntN(total)
	for _, c := range changes {
		if pick < c.weight {
			return c
		}
		pick -= c.weight
	}
	return changes[0]
}
