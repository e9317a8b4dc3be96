package bctest

// Changes to carts, customers, price lists and location stock.

import (
	"cmp"
	"slices"
	"time"
)

// --- carts ------------------------------------------------------------------------

func (b *builder) cartIDs(withItems bool) []string {
	var ids []string
	for _, id := range sortedKeys(b.d.carts) {
		if !withItems || len(b.d.carts[id].LineItems.PhysicalItems) > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

func (b *builder) pickCart(withItems bool) *cart {
	ids := b.cartIDs(withItems)
	if len(ids) == 0 {
		return nil
	}
	return b.d.carts[ids[b.rng.IntN(len(ids))]]
}

func cartEvent(scope string, c *cart, extra ...any) event {
	return typeID(scope, "cart", c.ID, extra...)
}

func lineEvent(scope string, c *cart, li *lineItem) event {
	return typeID(scope, "cart_line_item", li.ID, "cartId", c.ID)
}

func (b *builder) chCartCreated(now time.Time) []event {
	c := b.newCart(now, 1)
	return []event{cartEvent("store/cart/created", c), cartEvent("store/cart/updated", c)}
}

func (b *builder) chLineItemAdded(now time.Time) []event {
	c := b.pickCart(false)
	if c == nil {
		return nil
	}
	n := len(c.LineItems.PhysicalItems)
	li := b.addLineItem(c)
	if li == nil {
		return nil
	}
	c.UpdatedTime = v3Time(now)
	scope := "store/cart/lineItem/created"
	if len(c.LineItems.PhysicalItems) == n {
		scope = "store/cart/lineItem/updated" // the variant was there: quantity bumped
	}
	return []event{lineEvent(scope, c, li), cartEvent("store/cart/updated", c)}
}

func (b *builder) chLineItemUpdated(now time.Time) []event {
	c := b.pickCart(true)
	if c == nil {
		return nil
	}
	li := c.LineItems.PhysicalItems[b.rng.IntN(len(c.LineItems.PhysicalItems))]
	li.Quantity = 1 + b.rng.IntN(5)
	c.recalc()
	c.UpdatedTime = v3Time(now)
	return []event{lineEvent("store/cart/lineItem/updated", c, li), cartEvent("store/cart/updated", c)}
}

// chLineItemRemoved removes a line; removing the last one deletes the
// cart, which sends cart/updated and cart/deleted.
func (b *builder) chLineItemRemoved(now time.Time) []event {
	c := b.pickCart(true)
	if c == nil {
		return nil
	}
	items := c.LineItems.PhysicalItems
	i := b.rng.IntN(len(items))
	li := items[i]
	c.LineItems.PhysicalItems = slices.Delete(items, i, i+1)
	c.recalc()
	c.UpdatedTime = v3Time(now)
	evs := []event{lineEvent("store/cart/lineItem/deleted", c, li), cartEvent("store/cart/updated", c)}
	if len(c.LineItems.PhysicalItems) == 0 {
		delete(b.d.carts, c.ID)
		evs = append(evs, cartEvent("store/cart/deleted", c))
	}
	return evs
}

func (b *builder) chCartAbandoned(time.Time) []event {
	c := b.pickCart(true)
	if c == nil {
		return nil
	}
	for tok, id := range b.d.abandoned {
		if id == c.ID {
			delete(b.d.abandoned, tok)
		}
	}
	tok := b.hex(16)
	b.d.abandoned[tok] = c.ID
	return []event{cartEvent("store/cart/abandoned", c, "token", tok)}
}

// chCartConverted checks a cart out: the order is created from its lines
// and the cart is gone.
func (b *builder) chCartConverted(now time.Time) []event {
	c := b.pickCart(true)
	if c == nil {
		return nil
	}
	o := b.newOrder(c.CustomerID, now, 0)
	o.CartID = c.ID
	for _, li := range c.LineItems.PhysicalItems {
		if v := b.d.variants[li.VariantID]; v != nil {
			b.addOrderLine(o, v, li.Quantity)
		}
	}
	if len(o.items) == 0 {
		delete(b.d.orders, o.ID)
		return nil
	}
	b.addTransaction(o, "purchase", o.TotalIncTax, now)
	delete(b.d.carts, c.ID)
	evs := []event{cartEvent("store/cart/converted", c, "orderId", o.ID), orderEvent("store/order/created", o)}
	for _, it := range o.items {
		evs = append(evs, b.adjustStock(b.d.variants[it.VariantID], -it.Quantity, now)...)
	}
	return evs
}

// --- customers ------------------------------------------------------------------

func customerEvent(scope string, c *customer) event {
	return typeID(scope, "customer", c.ID, "origin_channel_id", c.OriginChannelID, "channel_ids", c.ChannelIDs)
}

func (b *builder) chCustomerCreated(now time.Time) []event {
	return []event{customerEvent("store/customer/created", b.newCustomer(now))}
}

func (b *builder) chCustomerUpdated(now time.Time) []event {
	id, ok := b.recent(sortedKeys(b.d.customers))
	if !ok {
		return nil
	}
	c := b.d.customers[id]
	switch b.rng.IntN(3) {
	case 0:
		c.Phone = b.phone()
	case 1:
		c.CustomerGroupID = b.rng.IntN(3)
	default:
		c.Notes = b.of([]string{"Prefers email contact", "Wholesale inquiry", "Repeat buyer"})
	}
	c.DateModified = v3Time(now)
	return []event{customerEvent("store/customer/updated", c)}
}

func (b *builder) chCustomerAddress(now time.Time) []event {
	id, ok := b.recent(sortedKeys(b.d.customers))
	if !ok {
		return nil
	}
	c := b.d.customers[id]
	a := b.newCustomerAddress(c)
	c.DateModified = v3Time(now)
	return []event{typeID("store/customer/address/created", "customer", a.ID, "address", obj("customer_id", c.ID))}
}

func (b *builder) chSubscriberCreated(now time.Time) []event {
	s := b.newSubscriber(now)
	return []event{typeID("store/subscriber/created", "subscriber", s.ID)}
}

// --- price lists and inventory locations ----------------------------------------------

func recordData(r *priceRecord) []byte {
	return obj("price_list_id", r.PriceListID, "variant_id", r.VariantID, "currency", r.Currency)
}

func (b *builder) recordKeys() []recordKey {
	keys := make([]recordKey, 0, len(b.d.records))
	for k := range b.d.records {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y recordKey) int {
		if x.list != y.list {
			return x.list - y.list
		}
		if x.variant != y.variant {
			return x.variant - y.variant
		}
		return cmp.Compare(x.currency, y.currency)
	})
	return keys
}

func (b *builder) chPriceRecord(now time.Time) []event {
	keys := b.recordKeys()
	if len(keys) == 0 {
		return nil
	}
	k := keys[b.rng.IntN(len(keys))]
	r := b.setRecord(k.list, k.variant, k.currency, now)
	return []event{{"store/priceList/record/updated", recordData(r)}}
}

// chPriceRecords is a batch upsert: one event whose data is an array.
func (b *builder) chPriceRecords(now time.Time) []event {
	keys := b.recordKeys()
	if len(keys) == 0 {
		return nil
	}
	i := b.rng.IntN(len(keys))
	data := []byte{'['}
	for j := 0; j < 1+b.rng.IntN(4) && i+j < len(keys); j++ {
		k := keys[i+j]
		if j > 0 {
			data = append(data, ',')
		}
		data = append(data, recordData(b.setRecord(k.list, k.variant, k.currency, now))...)
	}
	data = append(data, ']')
	return []event{{"store/priceList/records/updated", data}}
}

// chStockChanged is a BOPIS stock change at one location: it fires once
// for all storefront channels, with the literal "*" in the scope.
func (b *builder) chStockChanged(now time.Time) []event {
	keys := make([]stockKey, 0, len(b.d.stock))
	for k := range b.d.stock {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(x, y stockKey) int {
		if x.location != y.location {
			return x.location - y.location
		}
		return x.variant - y.variant
	})
	k := keys[b.rng.IntN(len(keys))]
	s := b.d.stock[k]
	s.OnHand = max(s.OnHand+b.rng.IntN(21)-10, 0)
	v := b.d.variants[k.variant]
	b.restock(b.d.products[v.ProductID], now)
	return []event{{"store/channel/*/inventory/product/stock_changed",
		obj("variant_id", v.ID, "product_id", v.ProductID, "location_id", k.location)}}
}
