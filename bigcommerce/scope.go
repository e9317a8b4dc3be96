package bigcommerce

// EntityUnknown is the entity type recorded for well-formed scopes that the
// catalog does not list. BigCommerce adds scopes over time; such events are
// kept (and counted), never dead-lettered for being new.
const EntityUnknown = "unknown"

// ScopeSpec describes one webhook scope: what entity it is about, where its
// ID is in `data`, and which REST call fetches the entity's current state.
//
// Specs returned by Lookup (and carried in Event.Spec) share their Enrich
// values with the catalog: treat them as read-only.
type ScopeSpec struct {
	// Scope is the catalog spelling, with "{channel_id}" standing for the
	// channel ID in channel-templated scopes.
	Scope string
	// Entity is the entity type (e.g. "order", "product", "cart_line_item",
	// "product_metafield"); EntityUnknown for scopes not in the catalog.
	Entity string
	// IDField is the `data` field holding the entity's ID ("id", "order_id",
	// "metafield_id", …); "" when the payload has none. A dotted name
	// ("refund.refund_id") is a path into nested objects. For scopes the
	// catalog does not know it is "id", BigCommerce's usual spelling.
	IDField string
	// Delete is true for scopes announcing that the entity named by IDField
	// is gone. Their Enrich, when not nil, never reads the deleted entity
	// itself but a related one that still exists (the cart after one of its
	// line items was deleted, the order a cart was converted into).
	Delete bool
	// Enrich is the REST call that returns the entity's current state (or,
	// for Delete scopes, a related entity's); nil when there is none.
	Enrich *EnrichCall
	// Known is false for scopes missing from the catalog.
	Known bool
}

// EnrichCall is a REST request template.
//
// Placeholders in Path and Query name `data` fields of the event:
//   - "{id}", "{resource_id}": a top-level field;
//   - "{refund.refund_id}": a field of a nested object;
//   - "{affected_product_ids[]}": one call per element of an array field;
//   - "{channel_id}" in a channel-templated scope: the channel ID from the
//     scope (Event.ChannelID), which is never in `data`.
//
// In calls listed under Then, placeholders may also name fields of the
// previous call's response ("{product_id}" for variant metafields), and
// "{n}" is a page number.
type EnrichCall struct {
	// Method is the HTTP method, "GET" for every catalog entry.
	Method string
	// Path is relative to Base, e.g. "/v2/orders/{id}". It is "" when the
	// call is chosen by DispatchOn.
	Path string
	// Query is the query string without "?", e.g. "include=variants,images";
	// "" for none.
	Query string
	// Base is the API root Path is relative to. "" means the store's REST
	// API, https://api.bigcommerce.com/stores/{store_hash}; B2B Edition
	// calls set https://api-b2b.bigcommerce.com/api/v3/io.
	Base string
	// PerItem is true when `data` is an array (price-list records) and the
	// call is made once per element, its placeholders naming the element's
	// fields.
	PerItem bool
	// Then lists calls made after this one to complete the entity (an
	// order's products, shipping addresses and coupons), or that need its
	// response (a variant metafield needs the variant's product ID).
	Then []EnrichCall
	// Alt is an alternative call returning the same state (for example the
	// inventory items endpoint instead of the product); nil when none.
	Alt *EnrichCall
	// DispatchOn names a `data` field whose value selects the call from
	// Dispatch; generic metafield scopes dispatch on "resource_type". ""
	// when the call does not depend on the payload.
	DispatchOn string
	// Dispatch maps each value of the DispatchOn field to its call.
	Dispatch map[string]*EnrichCall
}
