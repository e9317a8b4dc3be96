package pipeline

import (
	"context"

	"bcstream/bigcommerce"
	"bcstream/sink"
)

// Enricher adds the entity's current state to a record. It is called once
// per new (not duplicate) event, concurrently, in two steps:
//
//   - Prepare runs on the pipeline's CPU goroutine and must not block:
//     it settles every event it can without the network (a delete, a
//     scope with no REST call, an unknown store, a cache hit) and
//     reports done. Most of the stream never goes further.
//   - Enrich runs only when Prepare was not done, on the message's own
//     callback goroutine, and may wait for the store's API (its quota,
//     a shared fetch) as long as ctx allows.
//
// Both set rec.Entity, rec.Enrichment and rec.EnrichedAt when they succeed.
// An error that wraps bigcommerce.ErrPoison or is a *PoisonError
// dead-letters the message; any other error nacks it for redelivery.
// Outcomes that are facts about the entity (it is gone, it has no REST
// call) are statuses on the record, not errors.
type Enricher interface {
	Prepare(ev *bigcommerce.Event, rec *sink.Record) (done bool, err error)
	Enrich(ctx context.Context, ev *bigcommerce.Event, rec *sink.Record) error
}

// PassThrough is the Enricher used when no store API is configured: it
// records every event with status "skipped" and no entity.
type PassThrough struct{}

// Prepare marks rec as skipped.
func (PassThrough) Prepare(_ *bigcommerce.Event, rec *sink.Record) (bool, error) {
	rec.Enrichment = sink.EnrichmentSkipped
	return true, nil
}

// Enrich marks rec as skipped.
func (PassThrough) Enrich(_ context.Context, _ *bigcommerce.Event, rec *sink.Record) error {
	rec.Enrichment = sink.EnrichmentSkipped
	return nil
}
