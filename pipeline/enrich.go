package pipeline

import (
	"context"

	"bcstream/bigcommerce"
	"bcstream/sink"
)

// Enricher adds the entity's current state to a record.
//
// Enrich is called once per new (not duplicate) event, concurrently from
// many callbacks. It sets rec.Entity, rec.Enrichment and rec.EnrichedAt.
// An error that wraps bigcommerce.ErrPoison or is a *PoisonError
// dead-letters the message; any other error nacks it for redelivery.
// Outcomes that are facts about the entity (it is gone, it has no REST
// call) are statuses on the record, not errors.
type Enricher interface {
	Enrich(ctx context.Context, ev *bigcommerce.Event, rec *sink.Record) error
}

// PassThrough is the Enricher used when no store API is configured: it
// records every event with status "skipped" and no entity.
type PassThrough struct{}

// Enrich marks rec as skipped.
func (PassThrough) Enrich(_ context.Context, _ *bigcommerce.Event, rec *sink.Record) error {
	rec.Enrichment = sink.EnrichmentSkipped
	return nil
}
