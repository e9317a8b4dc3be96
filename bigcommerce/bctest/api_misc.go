package bctest

import (
	"fmt"
	"strconv"
	"strings"
)

// --- metafields -------------------------------------------------------------

// resourceOf returns the resource ID a metafield route names and whether
// that resource exists; rt is the metafield resource_type. It answers 404
// when it does not.
func (c *call) resourceOf(rt string) (string, bool) {
	d := c.d
	key := c.param("id")
	exists := false
	n, err := strconv.Atoi(key)
	switch rt {
	case "store":
		return "0", true
	case "cart":
		exists = d.carts[key] != nil
	case "variant":
		key = c.param("variant_id")
		vid, verr := strconv.Atoi(key)
		v := d.variants[vid]
		exists = verr == nil && err == nil && v != nil && v.ProductID == n
	case "product":
		exists = err == nil && d.products[n] != nil
	case "category":
		exists = err == nil && d.categories[n] != nil
	case "brand":
		exists = err == nil && d.brands[n] != nil
	case "channel":
		exists = err == nil && d.channels[n] != nil
	case "location":
		exists = err == nil && d.locations[n] != nil
	case "order":
		exists = err == nil && d.orders[n] != nil
	case "customer":
		exists = err == nil && d.customers[n] != nil
	}
	if !exists {
		c.notFound(fmt.Sprintf("The %s %s was not found", rt, key))
	}
	return key, exists
}

func (m *metafield) belongsTo(rt, resource string) bool {
	return m.ResourceType == rt && (rt == "store" || fmt.Sprint(m.ResourceID) == resource)
}

// getMetafield serves one metafield of a resource type.
func getMetafield(rt string) func(*call) {
	return func(c *call) {
		res, ok := c.resourceOf(rt)
		if !ok {
			return
		}
		id, ok := c.intParam("metafield_id")
		if !ok {
			return
		}
		if m := c.d.metafields[id]; m != nil && m.belongsTo(rt, res) {
			c.one(m)
			return
		}
		c.notFound(fmt.Sprintf("Metafield %d not found", id))
	}
}

// listMetafields serves a resource's metafields (?namespace= filters).
func listMetafields(rt string) func(*call) {
	return func(c *call) {
		res, ok := c.resourceOf(rt)
		if !ok {
			return
		}
		ns := c.query().Get("namespace")
		out := []*metafield{}
		for _, id := range sortedKeys(c.d.metafields) {
			if m := c.d.metafields[id]; m.belongsTo(rt, res) && (ns == "" || m.Namespace == ns) {
				out = append(out, m)
			}
		}
		listV3(c, out)
	}
}

// --- price lists ------------------------------------------------------------

func getPriceLists(c *call) {
	ids, ok := c.idSet("id:in", sortedKeys(c.d.priceLists))
	if !ok {
		return
	}
	out := []*priceList{}
	for _, id := range ids {
		out = append(out, c.d.priceLists[id])
	}
	listV3(c, out)
}

func getPriceList(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	if pl := c.d.priceLists[id]; pl != nil {
		c.one(pl)
		return
	}
	c.notFound(fmt.Sprintf("Price list %d not found", id))
}

func getPriceRecord(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	vid, ok := c.intParam("variant_id")
	if !ok {
		return
	}
	if c.d.priceLists[id] == nil {
		c.notFound(fmt.Sprintf("Price list %d not found", id))
		return
	}
	if r := c.d.records[recordKey{id, vid, strings.ToUpper(c.param("currency"))}]; r != nil {
		c.one(r)
		return
	}
	c.notFound("Price record not found")
}

// getPriceListAssignments filters by price_list_id, channel_id and
// customer_group_id (single values or :in lists).
func getPriceListAssignments(c *call) {
	type filter struct {
		set     map[int]bool
		present bool
	}
	var fs [3]filter
	for i, name := range []string{"price_list_id", "channel_id", "customer_group_id"} {
		for _, n := range []string{name, name + ":in"} {
			set, present, ok := c.ints(n)
			if !ok {
				return
			}
			if present {
				fs[i] = filter{set, true}
			}
		}
	}
	out := []*priceListAssignment{}
	for _, a := range c.d.plAssign {
		if fs[0].present && !fs[0].set[a.PriceListID] || fs[1].present && !fs[1].set[a.ChannelID] ||
			fs[2].present && !fs[2].set[a.CustomerGroupID] {
			continue
		}
		out = append(out, a)
	}
	listV3(c, out)
}

// --- inventory ----------------------------------------------------------------

func getLocations(c *call) {
	ids, ok := c.idSet("location_id:in", sortedKeys(c.d.locations))
	if !ok {
		return
	}
	out := []*location{}
	for _, id := range ids {
		out = append(out, c.d.locations[id])
	}
	listV3(c, out)
}

type itemIdentity struct {
	SKU       string `json:"sku"`
	VariantID int    `json:"variant_id"`
	ProductID int    `json:"product_id"`
	SKUID     *int   `json:"sku_id"`
}

func identity(v *variant) itemIdentity {
	return itemIdentity{SKU: v.SKU, VariantID: v.ID, ProductID: v.ProductID, SKUID: v.SKUID}
}

func stockSettings(s *stockLevel) map[string]any {
	return map[string]any{"safety_stock": s.SafetyStock, "is_in_stock": s.OnHand > s.SafetyStock,
		"warning_level": s.WarningLevel, "bin_picking_number": s.BinPicking}
}

// variantFilter returns the variants selected by variant_id:in and
// product_id:in; ok is false when a filter was malformed (answered).
func (c *call) variantFilter() ([]*variant, bool) {
	vids, byVariant, ok := c.ints("variant_id:in")
	if !ok {
		return nil, false
	}
	pids, byProduct, ok := c.ints("product_id:in")
	if !ok {
		return nil, false
	}
	var out []*variant
	for _, id := range sortedKeys(c.d.variants) {
		v := c.d.variants[id]
		if byVariant && !vids[v.ID] || byProduct && !pids[v.ProductID] {
			continue
		}
		out = append(out, v)
	}
	return out, true
}

// getLocationItems is /v3/inventory/locations/{id}/items: one location's
// stock per variant.
func getLocationItems(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	if c.d.locations[id] == nil {
		c.notFound(fmt.Sprintf("Location %d not found", id))
		return
	}
	vs, ok := c.variantFilter()
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, v := range vs {
		s := c.d.stock[stockKey{id, v.ID}]
		if s == nil {
			continue
		}
		out = append(out, map[string]any{"identity": identity(v), "settings": stockSettings(s),
			"available_to_sell": max(s.OnHand-s.SafetyStock, 0), "total_inventory_onhand": s.OnHand})
	}
	listV3(c, out)
}

// getInventoryItems is /v3/inventory/items: stock per variant across
// locations (location_id:in narrows them).
func getInventoryItems(c *call) {
	vs, ok := c.variantFilter()
	if !ok {
		return
	}
	locs, ok := c.idSet("location_id:in", sortedKeys(c.d.locations))
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, v := range vs {
		var at []map[string]any
		for _, l := range locs {
			s := c.d.stock[stockKey{l, v.ID}]
			if s == nil {
				continue
			}
			loc := c.d.locations[l]
			at = append(at, map[string]any{"location_id": l, "location_code": loc.Code, "location_name": loc.Label,
				"available_to_sell": max(s.OnHand-s.SafetyStock, 0), "total_inventory_onhand": s.OnHand,
				"location_enabled": loc.Enabled, "settings": stockSettings(s)})
		}
		out = append(out, map[string]any{"identity": identity(v), "locations": orEmpty(at)})
	}
	listV3(c, out)
}

// --- store and webhooks -------------------------------------------------------

func getStoreInfo(c *call) { c.v2(c.d.info) }

// getHook serves GET /v3/hooks/{id} for store/hook/deliveryException
// enrichment. The rest of webhook management is the registrar issue's.
func getHook(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	if h := c.d.hooks[id]; h != nil {
		c.one(h)
		return
	}
	c.notFound(fmt.Sprintf("Webhook with id [%d] not found", id))
}
