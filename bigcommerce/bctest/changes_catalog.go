package bctest

// Changes to products, variants (SKUs), stock and categories.

import (
	"slices"
	"time"
)

// --- catalog --------------------------------------------------------------------

func (b *builder) chProductUpdated(now time.Time) []event {
	id, ok := b.recent(sortedKeys(b.d.products))
	if !ok {
		return nil
	}
	return []event{b.updateProduct(b.d.products[id], now)}
}

// updateProduct reprices p (and, now and then, renames or features it).
func (b *builder) updateProduct(p *product, now time.Time) event {
	p.Price = max(p.Price*v3Money(90+b.rng.IntN(21))/100, 99)
	p.CalculatedPrice = p.Price
	for _, v := range p.variants {
		if v.Price == nil {
			v.CalculatedPrice = p.Price
		}
	}
	switch b.rng.IntN(8) {
	case 0:
		p.Name = b.of(adjectives) + " " + b.of(nouns)
	case 1:
		p.IsFeatured = !p.IsFeatured
	}
	p.DateModified = v3Time(now)
	return typeID("store/product/updated", "product", p.ID)
}

func (b *builder) chProductCreated(now time.Time) []event {
	p := b.newProduct(now)
	return []event{typeID("store/product/created", "product", p.ID)}
}

func (b *builder) chProductDeleted(time.Time) []event {
	ids := sortedKeys(b.d.products)
	if len(ids) < 10 {
		return nil
	}
	p := b.d.products[ids[b.rng.IntN(len(ids))]]
	b.deleteProduct(p)
	return []event{typeID("store/product/deleted", "product", p.ID)}
}

// deleteProduct removes p and what hangs off it: variants, SKUs, options,
// modifiers, stock, price records and its metafields.
func (b *builder) deleteProduct(p *product) {
	d := b.d
	for _, v := range p.variants {
		delete(d.variants, v.ID)
		if v.SKUID != nil {
			delete(d.skus, *v.SKUID)
		}
		for k := range d.stock {
			if k.variant == v.ID {
				delete(d.stock, k)
			}
		}
		for k := range d.records {
			if k.variant == v.ID {
				delete(d.records, k)
			}
		}
	}
	for _, o := range p.options {
		delete(d.options, o.ID)
	}
	for _, m := range p.modifiers {
		delete(d.modifiers, m.ID)
	}
	for id, m := range d.metafields {
		if m.ResourceType == "product" && m.ResourceID == p.ID ||
			m.ResourceType == "variant" && slices.ContainsFunc(p.variants, func(v *variant) bool { return m.ResourceID == v.ID }) {
			delete(d.metafields, id)
		}
	}
	delete(d.products, p.ID)
}

func (b *builder) productsTracking(mode string) []int {
	var ids []int
	for _, id := range sortedKeys(b.d.products) {
		if b.d.products[id].InventoryTracking == mode {
			ids = append(ids, id)
		}
	}
	return ids
}

// chProductInventory changes a product-tracked product's stock: mostly an
// order's relative decrement, sometimes an absolute stock take.
func (b *builder) chProductInventory(now time.Time) []event {
	id, ok := b.recent(b.productsTracking("product"))
	if !ok {
		return nil
	}
	p := b.d.products[id]
	v := p.variants[0]
	if b.rng.IntN(3) > 0 {
		return b.adjustStock(v, -(1 + b.rng.IntN(3)), now)
	}
	level := b.setStock(v, 10+b.rng.IntN(90), now)
	return b.inventoryEvent(p, v, "absolute", level, false)
}

// setStock sets variant v's total stock to level (at its first location,
// the others emptied) and returns the level.
func (b *builder) setStock(v *variant, level int, now time.Time) int {
	first := true
	for _, l := range sortedKeys(b.d.locations) {
		if s := b.d.stock[stockKey{l, v.ID}]; s != nil {
			s.OnHand = 0
			if first {
				s.OnHand, first = level, false
			}
		}
	}
	b.restock(b.d.products[v.ProductID], now)
	return level
}

func (b *builder) skuVariants() []int {
	var ids []int
	for _, id := range sortedKeys(b.d.skus) {
		if p := b.d.products[b.d.skus[id].ProductID]; p != nil && p.InventoryTracking == "variant" {
			ids = append(ids, id)
		}
	}
	return ids
}

func (b *builder) chSkuInventory(now time.Time) []event {
	sku, ok := b.recent(b.skuVariants())
	if !ok {
		return nil
	}
	v := b.d.skus[sku]
	if b.rng.IntN(3) > 0 {
		return b.adjustStock(v, -(1 + b.rng.IntN(3)), now)
	}
	level := b.setStock(v, 10+b.rng.IntN(90), now)
	return b.inventoryEvent(b.d.products[v.ProductID], v, "absolute", level, false)
}

func (b *builder) chSkuUpdated(now time.Time) []event {
	sku, ok := b.recent(sortedKeys(b.d.skus))
	if !ok {
		return nil
	}
	v := b.d.skus[sku]
	p := b.d.products[v.ProductID]
	price := p.Price + v3Money(100*b.rng.IntN(10))
	v.Price, v.CalculatedPrice = &price, price
	p.DateModified = v3Time(now)
	return []event{typeID("store/sku/updated", "sku", sku, "sku", obj("product_id", p.ID, "variant_id", v.ID))}
}

func (b *builder) chCategoryUpdated(time.Time) []event {
	ids := sortedKeys(b.d.categories)
	if len(ids) == 0 {
		return nil
	}
	c := b.d.categories[ids[b.rng.IntN(len(ids))]]
	c.Description = "<p>" + b.of(adjectives) + " picks in " + c.Name + ".</p>"
	c.Views += b.rng.IntN(100)
	return []event{typeID("store/category/updated", "category", c.ID)}
}
