package pipeline

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"bcstream/bigcommerce"
)

// Span attribute keys. The store hash is an identifier, not a secret;
// tokens never reach a span.
const (
	attrScope      = attribute.Key("bigcommerce.scope")
	attrStoreHash  = attribute.Key("bigcommerce.store_hash")
	attrEntityType = attribute.Key("bigcommerce.entity_type")
	attrEntityID   = attribute.Key("bigcommerce.entity_id")
	attrDedupeHit  = attribute.Key("bcstream.dedupe_hit")
	attrOutcome    = attribute.Key("bcstream.outcome")
	attrReason     = attribute.Key("bcstream.dead_letter_reason")
	attrEnrichment = attribute.Key("bcstream.enrichment")
	attrBatchSize  = attribute.Key("bcstream.batch.size")
)

// annotateEvent puts the event's identity on the message's span. It is
// kept out of line so that its attribute array is not in the hot path's
// stack frame when tracing is off.
//
//go:noinline
func annotateEvent(ctx context.Context, ev *bigcommerce.Event) {
	trace.SpanFromContext(ctx).SetAttributes(
		attrScope.String(ev.Scope),
		attrStoreHash.String(ev.StoreHash),
		attrEntityType.String(ev.Spec.Entity),
		attrEntityID.String(ev.EntityID),
	)
}

// annotate records the message's outcome on its span.
//
//go:noinline
func annotate(ctx context.Context, o outcome) {
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(outcomeAttr(o))
	if o.fate == fatePoison {
		span.SetAttributes(reasonAttr(o.reason))
	}
}

func dedupeHitAttr(hit bool) attribute.KeyValue       { return attrDedupeHit.Bool(hit) }
func reasonAttr(reason string) attribute.KeyValue     { return attrReason.String(reason) }
func enrichmentAttr(status string) attribute.KeyValue { return attrEnrichment.String(status) }
func batchSizeAttr(n int) attribute.KeyValue          { return attrBatchSize.Int(n) }

func outcomeAttr(o outcome) attribute.KeyValue {
	switch o.fate {
	case fateWritten:
		return attrOutcome.String("written")
	case fateDuplicate:
		return attrOutcome.String("duplicate")
	case fatePoison:
		return attrOutcome.String("dead_lettered")
	default:
		return attrOutcome.String("nacked")
	}
}

// maxLinks caps the links on a batch span (the SDK keeps 128 by default).
const maxLinks = 128

func linksOf(scs []trace.SpanContext) []trace.Link {
	n := min(len(scs), maxLinks)
	links := make([]trace.Link, n)
	for i := range n {
		links[i] = trace.Link{SpanContext: scs[i]}
	}
	return links
}
