package bigcommerce

import (
	"encoding/json"
	"time"
)

// Event is one decoded BigCommerce webhook callback: the envelope that
// BigCommerce publishes to the store's Pub/Sub topic, validated and with the
// fields the pipeline routes on pulled out.
//
// Decode is the only constructor; an Event returned without error has a
// well-formed scope, a store hash, a 40-hex hash and a JSON data value.
type Event struct {
	// Scope is the concrete scope as delivered, e.g. "store/order/created" or
	// "store/channel/1/order/updated".
	Scope string
	// StoreID is the numeric store ID, kept as the string of digits it is sent as.
	StoreID string
	// StoreHash is taken from producer ("stores/{store_hash}"); it is the key
	// for every REST call to the store.
	StoreHash string
	// ChannelID is the channel ID parsed from a channel scope
	// ("store/channel/{id}/…"); 0 when the scope carries none (BigCommerce
	// channel IDs start at 1, and BOPIS scopes use a literal "*").
	ChannelID int64
	// Data is the raw `data` value: an object, an array (price-list records)
	// or {}. It is compact JSON (the bytes as sent, or compacted when they
	// contain whitespace) and owned by the Event, not shared with the
	// payload Decode was given.
	Data json.RawMessage
	// Hash is BigCommerce's SHA-1 of the event, 40 lowercase hex characters.
	Hash string
	// CreatedAt is the event time (`created_at`, Unix seconds), in UTC; the
	// zero Time when the payload omits it or sends null or 0.
	CreatedAt time.Time
	// Spec is the catalog entry for Scope. For a well-formed scope the
	// catalog does not know, Spec.Entity is EntityUnknown and Spec.Known is
	// false: such events are recorded, not rejected.
	Spec ScopeSpec
	// EntityID is the value of the data field named by Spec.IDField,
	// rendered as a string (numbers as their JSON literal, strings
	// unescaped); "" when the scope has no entity ID, the field is absent,
	// or its value is not a number or string (data is an array, say).
	EntityID string
}
