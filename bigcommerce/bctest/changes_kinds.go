package bctest

import (
	"time"
)

// The change kinds of Mutate. Each changes the store under its write lock
// and returns the events BigCommerce sends, in the order it sends them.

// recent picks one of the last 50 of ids (sorted ascending), recent ones
// likelier: changes cluster on new entities.
func (b *builder) recent(ids []int) (int, bool) {
	if len(ids) == 0 {
		return 0, false
	}
	back := b.rng.IntN(1 + b.rng.IntN(min(50, len(ids))))
	return ids[len(ids)-1-back], true
}

// orderIDs returns the IDs of orders satisfying keep, sorted.
func (b *builder) orderIDs(keep func(*order) bool) []int {
	var ids []int
	for _, id := range sortedKeys(b.d.orders) {
		if o := b.d.orders[id]; !o.IsDeleted && keep(o) {
			ids = append(ids, id)
		}
	}
	return ids
}

func orderEvent(scope string, o *order, extra ...any) event {
	return typeID(scope, "order", o.ID, extra...)
}

func statusEvents(o *order, prev int) []event {
	return []event{
		orderEvent("store/order/updated", o),
		orderEvent("store/order/statusUpdated", o, "status", obj("previous_status_id", prev, "new_status_id", o.StatusID)),
	}
}

// adjustStock changes variant v's stock by delta (at the location holding
// the most) and returns the inventory event BigCommerce sends for an
// order-driven (relative) change, per the product's inventory tracking.
func (b *builder) adjustStock(v *variant, delta int, now time.Time) []event {
	d := b.d
	var at *stockLevel
	for _, l := range sortedKeys(d.locations) {
		if s := d.stock[stockKey{l, v.ID}]; s != nil && (at == nil || s.OnHand > at.OnHand) {
			at = s
		}
	}
	if at != nil {
		at.OnHand = max(at.OnHand+delta, 0)
	}
	p := d.products[v.ProductID]
	b.restock(p, now)
	return b.inventoryEvent(p, v, "relative", delta, true)
}

// restock recomputes a product's and its variants' inventory levels.
func (b *builder) restock(p *product, now time.Time) {
	p.InventoryLevel = 0
	for _, v := range p.variants {
		v.InventoryLevel = b.d.onHand(v.ID)
		p.InventoryLevel += v.InventoryLevel
	}
	p.DateModified = v3Time(now)
}

// inventoryEvent is the product or SKU inventory event for a change of
// variant v's stock; none for untracked products.
func (b *builder) inventoryEvent(p *product, v *variant, method string, value int, order bool) []event {
	mid := "/inventory/updated"
	if order {
		mid = "/inventory/order/updated"
	}
	switch {
	case p.InventoryTracking == "product":
		return []event{typeID("store/product"+mid, "product", p.ID,
			"inventory", obj("product_id", p.ID, "method", method, "value", value))}
	case p.InventoryTracking == "variant" && v.SKUID != nil:
		return []event{typeID("store/sku"+mid, "sku", *v.SKUID,
			"inventory", obj("product_id", p.ID, "method", method, "value", value, "variant_id", v.ID))}
	}
	return nil
}
