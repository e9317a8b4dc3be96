package pipeline

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"bcstream/bigcommerce"
)

const codesError = codes.Error

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

func eventAttrs(ev *bigcommerce.Event) []attribute.KeyValue {
	return []attribute.KeyValue{
		attrScope.String(ev.Scope),
		attrStoreHash.String(ev.StoreHash),
		attrEntityType.String(ev.Spec.Entity),
		attrEntityID.String(ev.EntityID),
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
