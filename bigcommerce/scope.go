package bigcommerce

// EntityUnknown is the entity type recorded for well-formed scopes that the
// catalog does not list. BigCommerce adds scopes over time; such events are
// kept (and counted), never dead-lettered for being new.
const EntityUnknown = "unknown"

// ScopeSpec describes one webhook scope: what entity it is about, where its
// ID is in `data`, and which REST call fetches the entity's current state.
type ScopeSpec struct {
	// Scope is the catalog spelling, with "{channel_id}" standing for the
	// channel ID in channel-templated scopes.
	Scope string
	// Entity is the entity type (e.g. "order", "product", "cart_line_item",
	// "product_metafield"); EntityUnknown for scopes not in the catalog.
	Entity string
	// IDField is the `data` field holding the entity's ID ("id", "order_id",
	// "metafield_id", …); "" when the payload has none.
	IDField string
	// Delete is true for scopes announcing that the entity is gone; they are
	// not enriched.
	Delete bool
	// Enrich is the REST call that returns the entity's current state; nil
	// when there is none.
	Enrich *EnrichCall
	// Known is false for scopes missing from the catalog.
	Known bool
}

// EnrichCall is a REST request template. Path placeholders ("{id}",
// "{resource_id}", …) name `data` fields of the event.
type EnrichCall struct {
	Method string
	// Path is relative to https://api.bigcommerce.com/stores/{store_hash},
	// e.g. "/v2/orders/{id}".
	Path string
}
