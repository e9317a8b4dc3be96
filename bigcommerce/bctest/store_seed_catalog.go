package bctest

// Seeding and creation of catalog entities: categories, brands,
// locations, products with their variants, price lists.

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func (b *builder) categories(n int) {
	d := b.d
	for _, ch := range []int{1, 2} {
		id := d.newID("tree")
		d.trees[id] = &categoryTree{ID: id, Name: d.channels[ch].Name, Channels: []int{ch}}
	}
	var tops []*category
	for i := range n {
		c := &category{ID: d.newID("category"), Name: catNames[i%len(catNames)], IsVisible: true,
			SortOrder: i, DefaultProductSort: "use_store_settings", MetaKeywords: []string{}, tree: 1 + i%2}
		if i >= 4 && len(tops) > 0 {
			p := tops[b.rng.IntN(len(tops))]
			c.ParentID, c.tree = p.ID, p.tree
			c.Name = p.Name + " " + b.of(nouns) + "s"
		} else {
			tops = append(tops, c)
		}
		c.Description = "<p>Shop our " + strings.ToLower(c.Name) + ".</p>"
		c.PageTitle = c.Name
		c.CustomURL = customURL{URL: "/" + slug(c.Name) + "/"}
		d.categories[c.ID] = c
	}
}

func (b *builder) newBrand() *brand {
	d := b.d
	name := brandNames[len(d.brands)%len(brandNames)]
	br := &brand{ID: d.newID("brand"), Name: name, MetaKeywords: []string{}, PageTitle: name,
		CustomURL: customURL{URL: "/brands/" + slug(name) + ".html"}}
	d.brands[br.ID] = br
	return br
}

func (b *builder) newLocation() *location {
	d := b.d
	id := d.newID("location")
	city := cities[(id-1)%len(cities)]
	l := &location{ID: id, Code: fmt.Sprintf("LOC-%02d", id), Label: city.city + " store", Enabled: true,
		TypeID: "PHYSICAL", TimeZone: "America/Chicago", StorefrontVisibility: true, SpecialHours: []any{},
		Address: locationAddress{Address1: fmt.Sprintf("%d %s", 10+b.rng.IntN(900), b.of(streets)), City: city.city,
			State: city.state, Zip: city.zip, Email: fmt.Sprintf("loc%d@%s.example.com", id, d.hash), Phone: b.phone(), CountryCode: city.iso2}}
	if id == 1 {
		l.Label, l.TypeID, l.StorefrontVisibility = "Warehouse", "WAREHOUSE", false
	}
	l.Address.Geo.Latitude = 30 + b.rng.Float64()*15
	l.Address.Geo.Longitude = -120 + b.rng.Float64()*40
	d.locations[id] = l
	return l
}

// newProduct adds a product, its variants (one per option value
// combination, or a base variant), images, custom fields, modifiers and
// bulk pricing rules, and stock at every location.
func (b *builder) newProduct(t time.Time) *product {
	d := b.d
	name := b.of(adjectives) + " " + b.of(nouns)
	p := &product{ID: d.newID("product"), Name: name, Type: "physical", Price: v3Money(b.money(5, 300)),
		Weight: float64(1+b.rng.IntN(40)) / 4, Condition: "New", Availability: "available", IsVisible: b.rng.IntN(10) > 0,
		IsFeatured: b.rng.IntN(8) == 0, TaxClassID: 0, InventoryWarningLevel: 5,
		DateCreated: v3Time(t), DateModified: v3Time(t), channels: []int{1}}
	p.SKU = fmt.Sprintf("%s-%d", strings.ToUpper(slug(name)[:3]), p.ID)
	p.Description = "<p>The " + strings.ToLower(name) + " you have been waiting for.</p>"
	p.CostPrice = p.Price * 45 / 100
	p.CalculatedPrice = p.Price
	p.UPC = fmt.Sprintf("0%011d", b.rng.Int64N(1e11))
	p.PageTitle, p.SearchKeywords = name, strings.ToLower(strings.ReplaceAll(name, " ", ","))
	p.CustomURL = customURL{URL: "/" + slug(name) + "-" + strconv.Itoa(p.ID) + "/"}
	if ids := sortedKeys(d.categories); len(ids) > 0 {
		p.Categories = []int{b.pick(ids)}
	}
	if ids := sortedKeys(d.brands); len(ids) > 0 {
		p.BrandID = b.pick(ids)
	}
	if b.rng.IntN(3) == 0 {
		p.channels = append(p.channels, 2)
	}
	// Options and variants.
	var combos [][]optionValue
	if b.rng.IntN(10) < 6 {
		opt := &productOption{ID: d.newID("option"), ProductID: p.ID, DisplayName: "Size", Type: "rectangles", Config: map[string]any{}}
		vals := sizes[:2+b.rng.IntN(3)]
		if b.rng.IntN(2) == 0 {
			opt.DisplayName, opt.Type, vals = "Color", "swatch", colors[:2+b.rng.IntN(3)]
		}
		for i, v := range vals {
			vid := d.newID("option_value")
			opt.OptionValues = append(opt.OptionValues, productOptionValue{ID: vid, Label: v, SortOrder: i, IsDefault: i == 0})
			combos = append(combos, []optionValue{{ID: vid, Label: v, OptionID: opt.ID, OptionDisplayName: opt.DisplayName}})
		}
		p.options = append(p.options, opt)
		d.options[opt.ID] = opt
		p.InventoryTracking = "variant"
	} else {
		combos = [][]optionValue{{}}
		p.InventoryTracking = []string{"product", "product", "none"}[b.rng.IntN(3)]
	}
	for _, ov := range combos {
		v := &variant{ID: d.newID("variant"), ProductID: p.ID, CalculatedPrice: p.Price, CostPrice: p.CostPrice,
			OptionValues: ov, InventoryWarningLevel: 3, BinPickingNumber: fmt.Sprintf("B%02d-%02d", b.rng.IntN(40), b.rng.IntN(20))}
		v.SKU = p.SKU
		if len(ov) > 0 {
			v.SKU = p.SKU + "-" + strings.ToUpper(ov[0].Label)
			sku := d.newID("sku")
			v.SKUID = &sku
			d.skus[sku] = v
		} else {
			p.BaseVariantID = &v.ID
		}
		d.variants[v.ID] = v
		p.variants = append(p.variants, v)
		for _, l := range sortedKeys(d.locations) {
			d.stock[stockKey{l, v.ID}] = &stockLevel{OnHand: b.rng.IntN(60), SafetyStock: 2, WarningLevel: 5,
				BinPicking: v.BinPickingNumber}
		}
		v.InventoryLevel = d.onHand(v.ID)
		p.InventoryLevel += v.InventoryLevel
	}
	for i := range 1 + b.rng.IntN(3) {
		file := fmt.Sprintf("%s__%d.jpg", slug(name), p.ID*10+i)
		base := fmt.Sprintf("https://cdn11.bigcommerce.com/s-%s/products/%d/images/%d/", d.hash, p.ID, d.next["image"])
		p.images = append(p.images, productImage{ID: d.newID("image"), ProductID: p.ID, IsThumbnail: i == 0, SortOrder: i,
			ImageFile: "l/" + file, URLZoom: base + file + "?c=1", URLStandard: base + file + "?c=1",
			URLThumbnail: base + file + "?c=1", URLTiny: base + file + "?c=1", DateModified: v3Time(t)})
	}
	if b.rng.IntN(2) == 0 {
		p.customFields = append(p.customFields, customField{ID: d.newID("custom_field"), Name: "Material", Value: b.of([]string{"Cotton", "Recycled PET", "Ceramic", "Steel"})})
	}
	if b.rng.IntN(3) == 0 {
		m := &productModifier{ID: d.newID("modifier"), ProductID: p.ID, Name: "Gift message", DisplayName: "Gift message",
			Type: "text", Config: map[string]any{"default_value": "", "text_characters_limited": true, "text_max_length": 120},
			OptionValues: []productOptionValue{}}
		p.modifiers = append(p.modifiers, m)
		d.modifiers[m.ID] = m
	}
	if b.rng.IntN(4) == 0 {
		p.bulkRules = append(p.bulkRules, bulkRule{ID: d.newID("bulk_rule"), QuantityMin: 10, QuantityMax: 0, Type: "percent", Amount: 5 + b.rng.IntN(10)})
	}
	d.products[p.ID] = p
	return p
}

// onHand is a variant's stock over all locations.
func (d *storeData) onHand(variantID int) int {
	n := 0
	for l := range d.locations {
		if s := d.stock[stockKey{l, variantID}]; s != nil {
			n += s.OnHand
		}
	}
	return n
}

func (b *builder) priceLists() {
	d := b.d
	t := b.past(300)
	for _, name := range []string{"Wholesale", "VIP customers", "EU pricing"} {
		pl := &priceList{ID: d.newID("price_list"), Name: name, DateCreated: v3Time(t), DateModified: v3Time(t), Active: true}
		d.priceLists[pl.ID] = pl
		d.plAssign = append(d.plAssign, &priceListAssignment{ID: d.newID("assignment"), PriceListID: pl.ID,
			CustomerGroupID: pl.ID, ChannelID: 1 + (pl.ID-1)%2})
	}
	for _, vid := range sortedKeys(d.variants) {
		if b.rng.IntN(2) == 0 {
			continue
		}
		for _, pl := range sortedKeys(d.priceLists) {
			for _, cur := range []string{"USD", "EUR"} {
				b.setRecord(pl, vid, cur, t)
			}
		}
	}
}

// setRecord creates or reprices a price record: a discount on the
// variant's price.
func (b *builder) setRecord(list, variantID int, cur string, t time.Time) *priceRecord {
	d := b.d
	v := d.variants[variantID]
	p := d.products[v.ProductID]
	k := recordKey{list, variantID, cur}
	r := d.records[k]
	if r == nil {
		r = &priceRecord{PriceListID: list, VariantID: variantID, Currency: cur, ProductID: v.ProductID, SKU: v.SKU,
			DateCreated: v3Time(t), BulkPricingTiers: []any{}}
		d.records[k] = r
	}
	r.Price = p.Price * v3Money(80+b.rng.IntN(15)) / 100
	r.CalculatedPrice = r.Price
	r.DateModified = v3Time(t)
	return r
}
