package sink

import (
	"fmt"
	"time"
)

// Validate reports whether r can be stored by every sink: each non-nullable
// column has a value, JSON columns hold valid JSON, timestamps fall in
// years 1–9999 (BigQuery's TIMESTAMP range, and what RFC 3339 can
// express), integers are not negative and Enrichment is one of the
// Enrichment* statuses. The error wraps ErrRejected and names the column.
//
// Sinks call it before storing a record so that they all reject the same
// records for the same reason, whatever their destination would tolerate
// (SQLite stores any text in a TEXT column, so malformed JSON or an empty
// store hash would go in, while BigQuery's JSON type refuses the former).
// In a fan-out, a record one sink took and another refused would be
// written to the first again on every redelivery.
// A record that fails it can never be stored, so it is dead-lettered
// rather than retried.
func (r *Record) Validate() error {
	for _, f := range [...]struct {
		col, val string
	}{
		{"event_id", r.EventID},
		{"store_hash", r.StoreHash},
		{"store_id", r.StoreID},
		{"scope", r.Scope},
		{"entity_type", r.EntityType},
		{"event_hash", r.EventHash},
		{"message_id", r.MessageID},
		{"enrichment", r.Enrichment},
		{"worker_version", r.WorkerVersion},
	} {
		if f.val == "" {
			return rejectf("%s is empty", f.col)
		}
	}
	if r.ReceivedAt.IsZero() {
		return rejectf("received_at is zero")
	}
	for _, f := range [...]struct {
		col string
		val time.Time
	}{
		{"event_created_at", r.EventCreatedAt},
		{"published_at", r.PublishedAt},
		{"received_at", r.ReceivedAt},
		{"enriched_at", r.EnrichedAt},
	} {
		if f.val.IsZero() {
			continue
		}
		if y := f.val.UTC().Year(); y < 1 || y > 9999 {
			return rejectf("%s year %d outside 1–9999", f.col, y)
		}
	}
	if r.ChannelID < 0 {
		return rejectf("channel_id %d is negative", r.ChannelID)
	}
	if r.DeliveryAttempt < 0 {
		return rejectf("delivery_attempt %d is negative", r.DeliveryAttempt)
	}
	if len(r.Payload) == 0 {
		return rejectf("payload is empty")
	}
	if !validJSON(r.Payload) {
		return rejectf("payload is not valid JSON")
	}
	if len(r.Entity) > 0 && !validJSON(r.Entity) {
		return rejectf("entity is not valid JSON")
	}
	switch r.Enrichment {
	case EnrichmentOK, EnrichmentNotFound, EnrichmentDeleted, EnrichmentSkipped, EnrichmentFailed:
	default:
		return rejectf("enrichment %q is not a known status", r.Enrichment)
	}
	return nil
}

func rejectf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRejected}, args...)...)
}
