package bctest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Events returns envelopes for scope about entities that exist in store
// hash, without changing anything: synthetic events for testing an
// enrichment path per scope. scope is a concrete catalog scope, in the
// delivered spelling ("store/channel/2/order/created") or the catalog's
// ("store/channel/{channel_id}/order/created", which uses channel 1).
//
// For scopes that are not deletions, every ID in the payload names an
// existing entity, so each enrichment call of the scope's catalog entry
// answers 200. Deletion scopes name an entity that does not exist, while
// the related entities they carry (a deleted line item's cart, a deleted
// shipment's order) do. Most scopes get one envelope; generic metafield
// scopes (store/metafield/*) get one per resource_type, so that every
// branch of their catalog Dispatch is exercised.
//
// Events picks entities deterministically (the richest order, the first
// cart, …), so equal calls return equal payloads (created_at aside).
func (sim *Simulator) Events(hash, scope string) ([]Envelope, error) {
	st, err := sim.mustStore(hash)
	if err != nil {
		return nil, err
	}
	tmpl, ch := scope, 1
	if m := channelScope.FindStringSubmatch(scope); m != nil {
		if m[1] != "{channel_id}" {
			ch, _ = strconv.Atoi(m[1])
		}
		tmpl = "store/channel/{channel_id}/" + m[2]
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.d.channels[ch] == nil {
		return nil, fmt.Errorf("bctest: store %s has no channel %d", hash, ch)
	}
	datas, err := eventData(st.d, tmpl, ch)
	if err != nil {
		return nil, err
	}
	concrete := strings.Replace(tmpl, "{channel_id}", strconv.Itoa(ch), 1)
	now := sim.now().Unix()
	out := make([]Envelope, len(datas))
	for i, data := range datas {
		out[i] = envelope(hash, st.cfg.ID, event{concrete, data}, now)
	}
	return out, nil
}

// EventFor returns the first of Events(hash, scope).
func (sim *Simulator) EventFor(hash, scope string) (Envelope, error) {
	evs, err := sim.Events(hash, scope)
	if err != nil {
		return Envelope{}, err
	}
	return evs[0], nil
}

var channelScope = regexp.MustCompile(`^store/channel/(\d+|\{channel_id\})/(.+)$`)

// fixtures are the entities Events' payloads name, chosen once per call.
type fixtures struct {
	d       *storeData
	ch      int
	order   *order
	product *product // with options and modifiers when there is one
	sku     *variant // a variant with a legacy SKU ID
	cart    *cart    // with line items
	token   string   // an abandoned-cart token of a live cart
	cust    *customer
	addr    *customerAddress
}

func newFixtures(d *storeData, ch int) *fixtures {
	f := &fixtures{d: d, ch: ch}
	// The lowest-ID order with every sub-resource (seeding guarantees
	// one); the lowest-ID product with options and modifiers.
	for _, id := range sortedKeys(d.orders) {
		o := d.orders[id]
		if len(o.coupons) > 0 && len(o.shipments) > 0 && len(o.messages) > 0 && len(o.refunds) > 0 && len(o.txns) > 0 {
			f.order = o
			break
		}
	}
	if f.order == nil {
		f.order = first(d.orders)
	}
	for _, id := range sortedKeys(d.products) {
		if p := d.products[id]; len(p.options) > 0 && len(p.modifiers) > 0 {
			f.product = p
			break
		}
	}
	if f.product == nil {
		f.product = first(d.products)
	}
	for _, id := range sortedKeys(d.skus) {
		f.sku = d.skus[id]
		break
	}
	for _, id := range sortedKeys(d.carts) {
		if c := d.carts[id]; len(c.LineItems.PhysicalItems) > 0 {
			f.cart = c
			break
		}
	}
	for _, tok := range sortedKeys(d.abandoned) {
		if d.carts[d.abandoned[tok]] != nil {
			f.token = tok
			break
		}
	}
	for _, id := range sortedKeys(d.customers) {
		if c := d.customers[id]; f.cust == nil || c.hasCard && !f.cust.hasCard {
			f.cust = c
		}
	}
	if as := d.addressesOf(f.cust.ID); len(as) > 0 {
		f.addr = as[0]
	}
	return f
}

func first[V any](m map[int]V) V { return m[sortedKeys(m)[0]] }

// missingUUID is a UUID no cart or line item has, for deletion events.
func missingUUID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// eventData returns the data payloads for catalog scope tmpl.
func eventData(d *storeData, tmpl string, ch int) ([][]byte, error) {
	f := newFixtures(d, ch)
	one := func(b []byte) ([][]byte, error) { return [][]byte{b}, nil }
	action := tmpl[strings.LastIndexByte(tmpl, '/')+1:]
	deleted := action == "deleted"

	// Metafields: per-resource scopes and the generic ones.
	if strings.Contains(tmpl, "metafield/") {
		if tmpl == "store/metafield/"+action {
			var out [][]byte
			for _, rt := range metafieldResources {
				m := f.metafield(rt)
				if deleted {
					m.ID = d.unusedID("metafield")
				}
				out = append(out, metafieldEvent(m, action, true).data)
			}
			if deleted {
				out = out[:1]
			}
			return out, nil
		}
		for rt, prefix := range metafieldScopes {
			if prefix+action == tmpl {
				m := f.metafield(rt)
				if deleted {
					m.ID = d.unusedID("metafield")
				}
				return one(metafieldEvent(m, action, false).data)
			}
		}
	}

	o, p := f.order, f.product
	switch tmpl {
	case "store/app/uninstalled", "store/information/updated":
		return one(obj("type", "store"))
	case "store/order/created", "store/order/updated", "store/order/archived":
		return one(orderEvent(tmpl, o).data)
	case "store/order/statusUpdated":
		return one(orderEvent(tmpl, o, "status", obj("previous_status_id", 11, "new_status_id", o.StatusID)).data)
	case "store/order/message/created":
		return one(orderEvent(tmpl, o, "message", obj("order_message_id", o.messages[0].ID)).data)
	case "store/order/refund/created":
		return one(orderEvent(tmpl, o, "refund", obj("refund_id", o.refunds[0].ID)).data)
	case "store/order/transaction/created", "store/order/transaction/updated":
		x := o.txns[0]
		return one(obj("type", "transaction", "order_id", strconv.Itoa(o.ID), "transaction_id", strconv.Itoa(x.ID),
			"transaction_status", "complete", "transaction_type", "capture",
			"result", obj("code", "00", "message", "Approved", "type", "success"),
			"platform_transaction_id", missingUUID(x.ID), "provider_transaction_id", x.GatewayTransactionID))
	case "store/shipment/created", "store/shipment/updated":
		return one(typeID(tmpl, "shipment", o.shipments[0].ID, "orderId", o.ID).data)
	case "store/shipment/deleted":
		return one(typeID(tmpl, "shipment", d.unusedID("shipment"), "orderId", o.ID).data)

	case "store/cart/created", "store/cart/updated", "store/cart/couponApplied", "store/cart/abandoned":
		c := f.cart
		extra := []any{}
		switch action {
		case "couponApplied":
			extra = []any{"couponId", 12}
		case "abandoned":
			if f.token != "" {
				c = d.carts[d.abandoned[f.token]]
			}
			extra = []any{"token", f.token}
		}
		return one(cartEvent(tmpl, c, extra...).data)
	case "store/cart/deleted":
		return one(typeID(tmpl, "cart", missingUUID(1)).data)
	case "store/cart/converted":
		return one(typeID(tmpl, "cart", o.CartID, "orderId", o.ID).data)
	case "store/cart/lineItem/created", "store/cart/lineItem/updated":
		return one(lineEvent(tmpl, f.cart, f.cart.LineItems.PhysicalItems[0]).data)
	case "store/cart/lineItem/deleted":
		return one(lineEvent(tmpl, f.cart, &lineItem{ID: missingUUID(2)}).data)

	case "store/product/created", "store/product/updated":
		return one(typeID(tmpl, "product", p.ID).data)
	case "store/product/deleted":
		return one(typeID(tmpl, "product", d.unusedID("product")).data)
	case "store/product/inventory/updated", "store/product/inventory/order/updated":
		return one(typeID(tmpl, "product", p.ID, "inventory", obj("product_id", p.ID, "method", "relative", "value", -1)).data)
	case "store/sku/created", "store/sku/updated":
		return one(typeID(tmpl, "sku", *f.sku.SKUID, "sku", obj("product_id", f.sku.ProductID, "variant_id", f.sku.ID)).data)
	case "store/sku/deleted":
		return one(typeID(tmpl, "sku", d.unusedID("sku"), "sku", obj("product_id", f.sku.ProductID, "variant_id", d.unusedID("variant"))).data)
	case "store/sku/inventory/updated", "store/sku/inventory/order/updated":
		v := f.sku
		return one(typeID(tmpl, "sku", *v.SKUID, "inventory", obj("product_id", v.ProductID, "method", "absolute",
			"value", v.InventoryLevel, "variant_id", v.ID)).data)
	case "store/modifier/updated":
		id := 0
		if len(p.modifiers) > 0 {
			id = p.modifiers[0].ID
		}
		return one(typeID(tmpl, "local_modifier", id, "affected_product_ids", []int{p.ID}, "context", obj("channel_id", 1, "locale", nil)).data)
	case "store/option/updated":
		id := 0
		if len(p.options) > 0 {
			id = p.options[0].ID
		}
		return one(typeID(tmpl, "local_option", id, "affected_product_ids", []int{p.ID}, "context", obj("channel_id", 1, "locale", nil)).data)
	case "store/category/created", "store/category/updated":
		return one(typeID(tmpl, "category", first(d.categories).ID).data)
	case "store/category/deleted":
		return one(typeID(tmpl, "category", d.unusedID("category")).data)

	case "store/customer/created", "store/customer/updated":
		return one(customerEvent(tmpl, f.cust).data)
	case "store/customer/deleted":
		return one(typeID(tmpl, "customer", d.unusedID("customer")).data)
	case "store/customer/address/created", "store/customer/address/updated":
		return one(typeID(tmpl, "customer", f.addr.ID, "address", obj("customer_id", f.cust.ID)).data)
	case "store/customer/address/deleted":
		return one(typeID(tmpl, "customer", d.unusedID("customer_address"), "address", obj("customer_id", f.cust.ID)).data)
	case "store/customer/payment/instrument/default/updated":
		return one(typeID(tmpl, "customer", f.cust.ID).data)
	case "store/customer/channel/login/access/updated":
		return one(obj("customer_id", f.cust.ID, "channel_ids", []int{1, 2}))
	case "store/subscriber/created", "store/subscriber/updated":
		return one(typeID(tmpl, "subscriber", first(d.subscribers).ID).data)
	case "store/subscriber/deleted":
		return one(typeID(tmpl, "subscriber", d.unusedID("subscriber")).data)

	case "store/channel/created", "store/channel/updated":
		return one(typeID(tmpl, "channel", ch).data)
	case "store/hook/deliveryException":
		return one(typeID(tmpl, "webhook", first(d.hooks).ID, "error_code", 90001,
			"message", "Delivery failed: destination responded 503; will retry").data)
	case "store/redirects/updated":
		r := first(d.redirects)
		return one(obj("id", r.ID, "site_id", r.SiteID, "from_path", r.FromPath, "to", r.To))

	case "store/priceList/created", "store/priceList/updated", "store/priceList/activated", "store/priceList/deactivated":
		return one(obj("price_list_id", first(d.priceLists).ID))
	case "store/priceList/deleted":
		return one(obj("price_list_id", d.unusedID("price_list")))
	case "store/priceLists/deleted":
		return one(obj("price_list_ids", []int{d.unusedID("price_list"), d.unusedID("price_list") + 1}))
	case "store/priceList/record/created", "store/priceList/record/updated", "store/priceList/record/deleted",
		"store/priceList/records/created", "store/priceList/records/updated", "store/priceList/records/deleted":
		keys := (&builder{d: d}).recordKeys()
		if len(keys) < 2 {
			return nil, fmt.Errorf("bctest: store %s has too few price records", d.hash)
		}
		recs := [][]byte{recordData(d.records[keys[0]]), recordData(d.records[keys[1]])}
		if deleted {
			recs[0] = obj("price_list_id", keys[0].list, "variant_id", d.unusedID("variant"), "currency", "USD")
		}
		if strings.Contains(tmpl, "/records/") {
			return one([]byte("[" + string(recs[0]) + "," + string(recs[1]) + "]"))
		}
		return one(recs[0])
	case "store/priceList/assignment/updated", "store/priceList/assignment/deleted":
		a := d.plAssign[0]
		return one(obj("price_list_id", a.PriceListID, "channel_id", a.ChannelID, "customer_group_id", a.CustomerGroupID))

	case "store/inventory/location/created", "store/inventory/location/updated":
		return one(obj("location_id", first(d.locations).ID))
	case "store/channel/*/inventory/product/stock_changed", "store/channel/*/inventory/product/low_stock_reached",
		"store/channel/*/inventory/product/out_of_stock_reached", "store/channel/*/inventory/product/settings_changed":
		v := p.variants[0]
		return one(obj("variant_id", v.ID, "product_id", v.ProductID, "location_id", first(d.locations).ID))

	case "store/company/created", "store/company/updated", "store/company/statusUpdated", "store/company/superadmin/assignmentUpdated":
		return one(obj("company_id", first(d.companies).CompanyID))
	case "store/company/deleted":
		return one(obj("company_id", d.unusedID("company")))
	case "store/company/user/created", "store/company/user/updated":
		u := first(d.b2bUsers)
		return one(obj("company_id", u.CompanyID, "user_id", u.ID))
	case "store/company/user/deleted":
		return one(obj("company_id", first(d.companies).CompanyID, "user_id", d.unusedID("b2b_user")))
	case "store/company/address/created", "store/company/address/updated":
		a := first(d.companyAddrs)
		return one(obj("company_id", a.CompanyID, "address_id", a.AddressID))
	case "store/company/address/deleted":
		return one(obj("company_id", first(d.companies).CompanyID, "address_id", d.unusedID("company_address")))
	case "store/superadmin/created", "store/superadmin/updated", "store/superadmin/assignmentUpdated":
		return one(obj("user_id", first(d.superAdmins).ID))
	case "store/superadmin/deleted":
		return one(obj("user_id", d.unusedID("super_admin")))
	case "store/quote/created", "store/quote/updated", "store/quote/statusUpdated":
		q := first(d.quotes)
		return one(obj("quote_id", q.QuoteID, "quote_uuid", q.UUID))
	case "store/quote/deleted":
		return one(obj("quote_id", d.unusedID("quote"), "quote_uuid", missingUUID(3)))
	}
	if rest, ok := strings.CutPrefix(tmpl, "store/channel/{channel_id}/"); ok {
		return channelEventData(f, rest, action)
	}
	return nil, fmt.Errorf("bctest: no event payload for scope %q", tmpl)
}

// channelEventData returns payloads for the channel-templated scopes
// (rest follows "store/channel/{channel_id}/"). The channel ID is only in
// the scope.
func channelEventData(f *fixtures, rest, action string) ([][]byte, error) {
	d, ch := f.d, f.ch
	one := func(b []byte) ([][]byte, error) { return [][]byte{b}, nil }
	deleted := action == "deleted"
	switch {
	case strings.HasPrefix(rest, "order/"):
		return one(obj("order_id", f.order.ID))
	case strings.HasPrefix(rest, "cart/lineItem/") || strings.HasPrefix(rest, "cart/lineItems/"):
		li := f.cart.LineItems.PhysicalItems[0].ID
		if deleted {
			li = missingUUID(2)
		}
		return one(obj("cart_id", f.cart.ID, "cart_item_id", li))
	case strings.HasPrefix(rest, "cart/"):
		id := f.cart.ID
		if deleted || action == "converted" {
			id = missingUUID(1)
		}
		return one(obj("cart_id", id))
	case rest == "categoryTree/updated":
		return one(obj("tree_id", f.tree()))
	case strings.HasPrefix(rest, "category/product/"), strings.HasPrefix(rest, "product/"):
		return one(obj("product_id", f.product.ID))
	case strings.HasPrefix(rest, "category/"):
		cat := f.category()
		id := cat.ID
		if deleted {
			id = d.unusedID("category")
		}
		return one(obj("category_id", id, "tree_id", cat.tree))
	case strings.HasPrefix(rest, "page/"):
		return one(obj("page_id", f.page().ID))
	case strings.HasPrefix(rest, "script/"):
		return one(obj("uuid", f.script().UUID))
	case rest == "settings/route/updated", strings.HasPrefix(rest, "settings/site/"):
		return one(obj("site_id", f.site()))
	case strings.HasPrefix(rest, "settings/emailStatus/"), strings.HasPrefix(rest, "email/templates/"):
		return one(obj("template_kind", emailTemplates[2]))
	case rest == "settings/searchContextFilters/updated":
		return one(obj("category_id", f.category().ID))
	case strings.HasPrefix(rest, "theme/configuration/"):
		for _, id := range sortedKeys(d.themeConfs) {
			if tc := d.themeConfs[id]; tc.ChannelID == ch || ch > 2 {
				return one(obj("theme_id", tc.ThemeUUID, "variation_id", tc.VariationUUID, "version_id", tc.VersionUUID,
					"configuration_id", tc.UUID))
			}
		}
	case strings.HasPrefix(rest, "settings/"), strings.HasPrefix(rest, "notifications/"), rest == "socialMediaLinks/updated":
		return one([]byte("{}"))
	}
	return nil, fmt.Errorf("bctest: no event payload for scope %q", "store/channel/{channel_id}/"+rest)
}

// metafield returns a copy of the first metafield of resource type rt.
func (f *fixtures) metafield(rt string) *metafield {
	for _, id := range sortedKeys(f.d.metafields) {
		if m := f.d.metafields[id]; m.ResourceType == rt {
			cp := *m
			return &cp
		}
	}
	return &metafield{ID: f.d.unusedID("metafield"), ResourceType: rt, ResourceID: 0, Namespace: "none"}
}

// tree is the category tree of the fixture channel (channel 1's for
// channels without one).
func (f *fixtures) tree() int {
	for _, id := range sortedKeys(f.d.trees) {
		if f.d.trees[id].Channels[0] == f.ch {
			return id
		}
	}
	return sortedKeys(f.d.trees)[0]
}

func (f *fixtures) category() *category {
	t := f.tree()
	for _, id := range sortedKeys(f.d.categories) {
		if c := f.d.categories[id]; c.tree == t {
			return c
		}
	}
	return first(f.d.categories)
}

func (f *fixtures) page() *page {
	for _, id := range sortedKeys(f.d.pages) {
		if p := f.d.pages[id]; p.ChannelID == f.ch {
			return p
		}
	}
	return first(f.d.pages)
}

func (f *fixtures) script() *script {
	for _, id := range sortedKeys(f.d.scripts) {
		if s := f.d.scripts[id]; s.ChannelID == f.ch {
			return s
		}
	}
	return f.d.scripts[sortedKeys(f.d.scripts)[0]]
}

// site is the fixture channel's site ID (the default site for channels
// without one).
func (f *fixtures) site() int {
	if s := f.d.channels[f.ch].site; s != 0 {
		return s
	}
	return sortedKeys(f.d.sites)[0]
}
