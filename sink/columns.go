package sink

import "time"

// Type is the logical type of a column. The names are BigQuery's standard
// SQL types; each sink maps them to its own (SQLite stores TIMESTAMP and
// JSON as TEXT, JSON Lines writes TIMESTAMP as a string and JSON inline).
type Type string

// Column types used by Columns.
const (
	TypeString    Type = "STRING"
	TypeInt64     Type = "INT64"
	TypeTimestamp Type = "TIMESTAMP"
	TypeJSON      Type = "JSON"
)

// Column describes one column of the events table.
type Column struct {
	// Name is the column name, snake_case. Sinks use it verbatim as the
	// SQL column name or JSON key.
	Name string
	Type Type
	// Nullable reports whether the column may be NULL. Sinks store NULL
	// for a nullable column whose Record field holds its zero value (see
	// Record); a non-nullable column always holds a value (Validate
	// rejects a record that leaves one empty).
	Nullable bool
	// Description is one sentence for the README table and the BigQuery
	// schema.
	Description string
}

// TimeLayout is how sinks that store timestamps as text format them: UTC,
// always nine fractional digits, "Z" suffix, e.g.
// 2024-05-01T13:04:05.123456789Z.
//
// It is valid RFC 3339 (time.Parse with time.RFC3339Nano reads it back) and,
// unlike time.RFC3339Nano, fixed-width: RFC3339Nano drops trailing zeros,
// so "…:05Z" would sort after "…:05.1Z" because 'Z' > '.'. With a fixed
// width and a single zone, plain string comparison (ORDER BY, <, MIN/MAX)
// is chronological order, and SQLite's date functions (datetime(),
// julianday(), unixepoch()) accept it as their format 10 with a "Z" zone.
const TimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// columns is the canonical list; Columns hands out copies so that no
// caller can change what every other sink sees.
var columns = []Column{
	{"event_id", TypeString, false, "Deterministic event ID (32 hex characters) derived from store hash, scope, webhook hash and created_at; every delivery of an event gets the same ID."},
	{"store_hash", TypeString, false, "BigCommerce store hash, from the webhook's producer (stores/{store_hash})."},
	{"store_id", TypeString, false, "BigCommerce numeric store ID, as the string of digits the webhook sends."},
	{"scope", TypeString, false, "Webhook scope as delivered, e.g. store/order/created or store/channel/1/order/updated."},
	{"entity_type", TypeString, false, "Entity type the scope is about, e.g. order or product_metafield; unknown for scopes not in the catalog."},
	{"entity_id", TypeString, true, "ID of the entity, from the webhook's data (numbers in decimal); NULL when the scope has none."},
	{"channel_id", TypeInt64, true, "Channel ID from a channel scope (store/channel/{id}/…); NULL when the scope has none."},
	{"event_hash", TypeString, false, "The webhook's hash: BigCommerce's SHA-1 of the event, 40 hex characters."},
	{"event_created_at", TypeTimestamp, true, "The webhook's created_at (whole seconds); NULL when the payload omits it."},
	{"published_at", TypeTimestamp, true, "When Pub/Sub accepted the message; NULL when unknown."},
	{"received_at", TypeTimestamp, false, "When the worker received the message."},
	{"message_id", TypeString, false, "Pub/Sub message ID of the delivery that was stored."},
	{"delivery_attempt", TypeInt64, true, "Pub/Sub delivery attempt (1-based); NULL when the subscription does not count attempts."},
	{"payload", TypeJSON, false, "The webhook's data value (object or array), as received."},
	{"entity", TypeJSON, true, "The enriched entity fetched from the BigCommerce API; NULL when not fetched or not found."},
	{"enrichment", TypeString, false, "Enrichment status: ok, not_found, deleted, skipped or failed."},
	{"enriched_at", TypeTimestamp, true, "When the entity was fetched; NULL when it was not."},
	{"worker_version", TypeString, false, "Version of the worker that wrote the row."},
}

// Columns returns the columns of the events table in their canonical
// order, one per Record field, in field order. It is the single source the
// sinks' schemas, the README table and the BigQuery schema derive from, so
// that every destination has the same names, types and nullability; each
// sink's tests check its schema against it. The slice is a fresh copy.
func Columns() []Column {
	return append([]Column(nil), columns...)
}

// FormatTime formats t in TimeLayout, or returns "" for the zero time
// (which sinks store as NULL).
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}
