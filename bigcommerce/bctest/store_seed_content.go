package bctest

// Seeding of storefront content, webhooks, metafields and B2B Edition
// entities.

import (
	"fmt"
	"strings"
	"time"
)

func (b *builder) content() {
	d := b.d
	t := b.past(400)
	for _, ch := range []int{1, 2} {
		for i, name := range []string{"About us", "Shipping & Returns", "Contact"} {
			p := &page{ID: d.newID("page"), ChannelID: ch, Name: name, IsVisible: true, SortOrder: i, Type: "page",
				MetaTitle: name, Body: "<p>" + name + "</p>", URL: "/" + slug(name) + "/"}
			if name == "Contact" {
				p.Type, p.Body = "contact_form", ""
			}
			d.pages[p.ID] = p
		}
		for _, name := range []string{"Analytics", "Chat widget"} {
			s := &script{UUID: b.uuid(), Name: name, Description: name + " snippet", LoadMethod: "async", Location: "footer",
				Visibility: "all_pages", Kind: "src", APIClientID: b.hex(15), ConsentCategory: "analytics", Enabled: true,
				ChannelID: ch, DateCreated: v3Time(t), DateModified: v3Time(t)}
			s.Src = "https://cdn.example.com/" + slug(name) + ".js"
			d.scripts[s.UUID] = s
		}
	}
	for _, sid := range sortedKeys(d.sites) {
		for i := range 2 {
			r := &redirect{ID: d.newID("redirect"), SiteID: sid, FromPath: fmt.Sprintf("/old-page-%d/", i+1)}
			if i == 0 {
				r.To = map[string]any{"type": "url", "url": "https://store-" + d.hash + ".mybigcommerce.com/shipping-returns/"}
			} else {
				pid := b.pick(sortedKeys(d.products))
				r.To = map[string]any{"type": "product", "entity_id": pid}
			}
			d.redirects[r.ID] = r
		}
	}
	d.themeUUID = b.uuid()
	variation, version := b.uuid(), b.uuid()
	for _, ch := range []int{1, 2} {
		tc := &themeConfig{UUID: b.uuid(), ChannelID: ch, ThemeUUID: d.themeUUID, VariationUUID: variation, VersionUUID: version,
			Settings: map[string]any{"color-primary": "#" + b.hex(3), "homepage_featured_products_count": 8}, DateCreated: v3Time(t)}
		d.themeConfs[tc.UUID] = tc
	}
	for _, scope := range []string{"store/order/*", "store/product/*", "store/cart/*", "store/customer/*"} {
		h := &hook{ID: d.newID("hook"), ClientID: b.hex(15), StoreHash: d.hash, Scope: scope,
			Destination: "https://hooks.example.com/bigcommerce", IsActive: true, Headers: map[string]string{},
			CreatedAt: unixTime(t), UpdatedAt: unixTime(t)}
		d.hooks[h.ID] = h
	}
}

// metafieldResources are the resource types metafields are seeded for;
// every one gets at least one.
var metafieldResources = []string{"product", "variant", "category", "brand", "cart", "channel", "location", "order", "customer", "store"}

func (b *builder) seedMetafields() {
	for _, rt := range metafieldResources {
		for i := range 2 {
			b.newMetafield(rt, b.resourceFor(rt, i), b.past(100))
		}
	}
}

// resourceFor returns the ID of an entity of resource type rt (the i-th
// lowest, wrapping), as a metafield's resource_id.
func (b *builder) resourceFor(rt string, i int) any {
	d := b.d
	at := func(ids []int) any {
		if len(ids) == 0 {
			return 0
		}
		return ids[i%len(ids)]
	}
	switch rt {
	case "product":
		return at(sortedKeys(d.products))
	case "variant":
		return at(sortedKeys(d.variants))
	case "category":
		return at(sortedKeys(d.categories))
	case "brand":
		return at(sortedKeys(d.brands))
	case "cart":
		ids := sortedKeys(d.carts)
		if len(ids) == 0 {
			return ""
		}
		return ids[i%len(ids)]
	case "channel":
		return at(sortedKeys(d.channels))
	case "location":
		return at(sortedKeys(d.locations))
	case "order":
		return at(sortedKeys(d.orders))
	case "customer":
		return at(sortedKeys(d.customers))
	}
	return 0 // store
}

func (b *builder) newMetafield(rt string, resource any, t time.Time) *metafield {
	d := b.d
	ns, key := "erp.sync", "external_id"
	switch rt {
	case "product", "variant":
		ns, key = "pim.attributes", b.of([]string{"fabric", "care_instructions", "origin"})
	case "order", "cart":
		ns, key = "fulfillment", b.of([]string{"warehouse", "gift_note"})
	case "store":
		ns, key = "app.settings", "feature_flags"
	}
	m := &metafield{ID: d.newID("metafield"), Key: key, Value: b.hex(4), Namespace: ns,
		PermissionSet: b.of([]string{"read", "write", "read_and_sf_access"}), ResourceType: rt, ResourceID: resource,
		Description: key, DateCreated: v3Time(t), DateModified: v3Time(t), OwnerClientID: b.hex(15)}
	d.metafields[m.ID] = m
	return m
}

func (b *builder) b2b() {
	d := b.d
	t := b.past(200)
	var admins []int
	for range 2 {
		a := &superAdmin{ID: d.newID("super_admin"), FirstName: b.of(firstNames), LastName: b.of(lastNames), PhoneNumber: b.phone(),
			CreatedAt: unixTime(t), UpdatedAt: unixTime(t)}
		a.Email = strings.ToLower(a.FirstName) + ".rep@" + d.hash + ".example.com"
		d.superAdmins[a.ID] = a
		admins = append(admins, a.ID)
	}
	for i := range 3 {
		city := cities[b.rng.IntN(len(cities))]
		c := &company{CompanyID: d.newID("company"), CompanyName: b.of(lastNames) + " " + b.of([]string{"Supply", "Trading", "Outfitters"}),
			CompanyStatus: 1, BCGroupID: 1 + i, CompanyPhone: b.phone(), AddressLine1: fmt.Sprintf("%d %s", 1+b.rng.IntN(900), b.of(streets)),
			City: city.city, State: city.state, Country: city.country, ZipCode: city.zip, ChannelIDs: []int{1}, ExtraFields: []any{},
			CreatedAt: unixTime(t), UpdatedAt: unixTime(t), admins: admins[:1+i%2]}
		c.CompanyEmail = "purchasing@" + slug(c.CompanyName) + ".example.com"
		d.companies[c.CompanyID] = c
		for j := range 2 {
			u := &b2bUser{ID: d.newID("b2b_user"), CompanyID: c.CompanyID, FirstName: b.of(firstNames), LastName: b.of(lastNames),
				PhoneNumber: b.phone(), Role: j, UUID: b.uuid(), ChannelIDs: []int{1}, CreatedAt: unixTime(t), UpdatedAt: unixTime(t)}
			u.Email = strings.ToLower(u.FirstName) + "@" + slug(c.CompanyName) + ".example.com"
			if cid := b.pick(sortedKeys(d.customers)); cid != 0 {
				u.CustomerID = cid
			}
			d.b2bUsers[u.ID] = u
			a := &companyAddress{AddressID: d.newID("company_address"), CompanyID: c.CompanyID, FirstName: u.FirstName, LastName: u.LastName,
				AddressLine1: c.AddressLine1, City: c.City, StateName: c.State, CountryName: c.Country, CountryCode: city.iso2,
				ZipCode: c.ZipCode, PhoneNumber: c.CompanyPhone, IsBilling: j == 0, IsShipping: true, IsDefaultBilling: j == 0,
				IsDefaultShipping: j == 0, CreatedAt: unixTime(t), UpdatedAt: unixTime(t)}
			d.companyAddrs[a.AddressID] = a
		}
		for range 1 + i%2 {
			b.newQuote(c, t)
		}
	}
}

func (b *builder) newQuote(c *company, t time.Time) *quote {
	d := b.d
	q := &quote{QuoteID: d.newID("quote"), UUID: b.uuid(), QuoteTitle: "Bulk order " + c.CompanyName, Status: 0, CompanyID: c.CompanyID,
		ContactInfo: map[string]any{"name": c.CompanyName, "email": c.CompanyEmail, "companyName": c.CompanyName, "phoneNumber": c.CompanyPhone},
		Currency:    map[string]any{"currencyCode": "USD", "token": "$", "location": "left", "decimalToken": ".", "decimalPlaces": 2, "thousandsToken": ","},
		ExpiredAt:   unixTime(t.Add(30 * 24 * time.Hour)), CreatedAt: unixTime(t), UpdatedAt: unixTime(t)}
	q.QuoteNumber = fmt.Sprintf("Q%06d", q.QuoteID)
	for range 1 + b.rng.IntN(3) {
		p := d.products[b.pick(sortedKeys(d.products))]
		if p == nil {
			break
		}
		qty := 10 * (1 + b.rng.IntN(5))
		qp := quoteProduct{ProductID: p.ID, VariantID: p.variants[0].ID, SKU: p.variants[0].SKU, ProductName: p.Name,
			Quantity: qty, BasePrice: p.Price, OfferedPrice: p.Price * 85 / 100}
		q.ProductList = append(q.ProductList, qp)
		q.Subtotal += qp.OfferedPrice * v3Money(qty)
	}
	q.GrandTotal = q.Subtotal
	d.quotes[q.QuoteID] = q
	return q
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(asciiOnly(s)) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func asciiOnly(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'ü':
			return 'u'
		case 'ô', 'ö':
			return 'o'
		case 'é', 'è':
			return 'e'
		}
		if r > 127 {
			return -1
		}
		return r
	}, s)
}
