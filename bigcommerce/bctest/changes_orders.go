package bctest

// Changes to orders, their payments, shipments and metafields.

import (
	"strconv"
	"time"
)

// --- orders -------------------------------------------------------------------

func (b *builder) chOrderCreated(now time.Time) []event {
	cid := 0
	if b.rng.IntN(5) > 0 {
		cid, _ = b.recent(sortedKeys(b.d.customers))
	}
	o := b.newOrder(cid, now, 1+b.rng.IntN(3))
	if len(o.items) == 0 {
		return nil
	}
	if b.rng.IntN(8) == 0 { // paid offline later: awaiting payment
		o.PaymentMethod, o.PaymentStatus = "Bank Deposit", "pending"
		o.setStatus(7)
	} else {
		b.addTransaction(o, "purchase", o.TotalIncTax, now)
	}
	evs := []event{orderEvent("store/order/created", o)}
	for _, it := range o.items {
		evs = append(evs, b.adjustStock(b.d.variants[it.VariantID], -it.Quantity, now)...)
	}
	return evs
}

// statusFlow is the next status of an order in the usual progression.
var statusFlow = map[int]int{0: 7, 1: 11, 7: 11, 11: 9, 9: 8, 8: 10, 2: 10, 14: 10}

func (b *builder) chOrderStatus(now time.Time) []event {
	id, ok := b.recent(b.orderIDs(func(o *order) bool { _, ok := statusFlow[o.StatusID]; return ok }))
	if !ok {
		return nil
	}
	o := b.d.orders[id]
	prev := o.StatusID
	o.setStatus(statusFlow[prev])
	o.DateModified = v2Time(now)
	return statusEvents(o, prev)
}

func (b *builder) chOrderShipped(now time.Time) []event {
	id, ok := b.recent(b.orderIDs(func(o *order) bool {
		return (o.StatusID == 11 || o.StatusID == 9) && o.ItemsShipped < o.ItemsTotal
	}))
	if !ok {
		return nil
	}
	o := b.d.orders[id]
	prev := o.StatusID
	s := b.addShipment(o, now)
	return append([]event{typeID("store/shipment/created", "shipment", s.ID, "orderId", o.ID)}, statusEvents(o, prev)...)
}

func (b *builder) chOrderUpdated(now time.Time) []event {
	id, ok := b.recent(b.orderIDs(func(*order) bool { return true }))
	if !ok {
		return nil
	}
	o := b.d.orders[id]
	o.StaffNotes = b.of([]string{"Called customer to confirm address.", "VIP — add a thank-you card.", "Split shipment approved.", ""})
	o.DateModified = v2Time(now)
	return []event{orderEvent("store/order/updated", o)}
}

func (b *builder) chOrderMessage(now time.Time) []event {
	id, ok := b.recent(b.orderIDs(func(*order) bool { return true }))
	if !ok {
		return nil
	}
	o := b.d.orders[id]
	m := b.addMessage(o, now)
	return []event{orderEvent("store/order/message/created", o, "message", obj("order_message_id", m.ID))}
}

func (b *builder) chOrderRefund(now time.Time) []event {
	id, ok := b.recent(b.orderIDs(func(o *order) bool { return (o.StatusID == 10 || o.StatusID == 2) && len(o.items) > 0 }))
	if !ok {
		return nil
	}
	o := b.d.orders[id]
	prev := o.StatusID
	r := b.addRefund(o, now)
	o.DateModified = v2Time(now)
	return append([]event{orderEvent("store/order/refund/created", o, "refund", obj("refund_id", r.ID))}, statusEvents(o, prev)...)
}

// chTransaction takes payment for an order awaiting it (which then
// awaits fulfillment); failing one, it records a gateway re-check
// ("void" of nothing, amount 0) on a recent order.
func (b *builder) chTransaction(now time.Time) []event {
	id, ok := b.recent(b.orderIDs(func(o *order) bool { return o.StatusID == 7 }))
	if !ok {
		id, ok = b.recent(b.orderIDs(func(o *order) bool { return len(o.txns) > 0 }))
		if !ok {
			return nil
		}
		o := b.d.orders[id]
		return []event{b.transactionEvent(o, b.addTransaction(o, "void", 0, now), "void")}
	}
	o := b.d.orders[id]
	x := b.addTransaction(o, "purchase", o.TotalIncTax, now)
	o.PaymentStatus = "captured"
	prev := o.StatusID
	o.setStatus(11)
	o.DateModified = v2Time(now)
	return append([]event{b.transactionEvent(o, x, "capture")}, statusEvents(o, prev)...)
}

func (b *builder) transactionEvent(o *order, x *transaction, typ string) event {
	return event{"store/order/transaction/created", obj("type", "transaction", "order_id", strconv.Itoa(o.ID),
		"transaction_id", strconv.Itoa(x.ID), "transaction_status", "complete", "transaction_type", typ,
		"result", obj("code", "00", "message", "Approved", "type", "success"),
		"platform_transaction_id", b.uuid(), "provider_transaction_id", x.GatewayTransactionID)}
}

func (b *builder) chOrderArchived(now time.Time) []event {
	ids := b.orderIDs(func(*order) bool { return true })
	if len(ids) < 5 {
		return nil
	}
	o := b.d.orders[ids[b.rng.IntN(len(ids)/2)]] // old orders get archived
	o.IsDeleted = true
	o.DateModified = v2Time(now)
	return []event{orderEvent("store/order/archived", o)}
}

func (b *builder) chShipmentUpdated(now time.Time) []event {
	id, ok := b.recent(sortedKeys(b.d.shipments))
	if !ok {
		return nil
	}
	s := b.d.shipments[id]
	s.TrackingNumber = "1Z" + b.hex(8)
	s.Comments = "Carrier changed tracking number"
	return []event{typeID("store/shipment/updated", "shipment", s.ID, "orderId", s.OrderID)}
}

// metafieldScopes are the per-resource metafield scope prefixes; types
// without one (customer) use the generic store/metafield/ scopes.
var metafieldScopes = map[string]string{
	"product": "store/product/metafield/", "variant": "store/product/variant/metafield/",
	"category": "store/category/metafield/", "brand": "store/brand/metafield/", "cart": "store/cart/metafield/",
	"channel": "store/channel/metafield/", "location": "store/inventory/location/metafield/",
	"order": "store/order/metafield/", "store": "store/store/metafield/",
}

func metafieldEvent(m *metafield, action string, generic bool) event {
	prefix, ok := metafieldScopes[m.ResourceType]
	res := ""
	if m.ResourceType != "store" {
		res = toString(m.ResourceID)
	}
	if !ok || generic {
		return event{"store/metafield/" + action, obj("metafield_id", m.ID, "resource_id", res,
			"resource_type", m.ResourceType, "namespace", m.Namespace)}
	}
	return event{prefix + action, obj("metafield_id", m.ID, "resource_id", res, "namespace", m.Namespace)}
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	}
	return ""
}

func (b *builder) chMetafield(rt string, now time.Time) []event {
	var ids []int
	for _, id := range sortedKeys(b.d.metafields) {
		if b.d.metafields[id].ResourceType == rt {
			ids = append(ids, id)
		}
	}
	if b.rng.IntN(3) == 0 || len(ids) == 0 {
		m := b.newMetafield(rt, b.resourceFor(rt, b.rng.IntN(50)), now)
		return []event{metafieldEvent(m, "created", false)}
	}
	m := b.d.metafields[ids[b.rng.IntN(len(ids))]]
	m.Value, m.DateModified = b.hex(4), v3Time(now)
	return []event{metafieldEvent(m, "updated", false)}
}
