// Package pipeline is bcstream's worker core: it pulls BigCommerce webhook
// events from a Pub/Sub subscription and writes them, deduplicated and
// enriched, to the configured sinks.
//
// # Stages
//
// Each message is handled inside its Pub/Sub Receive callback, in order:
//
//  1. decode: bigcommerce.Decode validates the envelope and looks the scope
//     up in the catalog. A malformed payload is poison.
//  2. dedupe: the event key (store hash, scope, hash, created_at) is claimed
//     in a bounded in-memory store. An event already written is a
//     duplicate; a concurrent delivery of the same event waits for the
//     first one instead of being written twice.
//  3. enrich: the Enricher fetches the entity's current state (or, without
//     a store API, records the event as "skipped").
//  4. batch and write: the record joins a batch; the batch is written when
//     it reaches BATCH_MAX_ROWS or BATCH_MAX_BYTES, when a sink writer is
//     idle and no more messages are queued, or BATCH_MAX_DELAY after its
//     first record (not at all once receiving stopped: then a partial
//     batch goes to the first idle writer). The callback waits for the
//     batch's result.
//  5. settle: the one function that acks, nacks or dead-letters.
//
// # Delivery guarantees
//
// At least once, end to end:
//   - A message is acked only after every sink accepted its record, after
//     it was recognised as a duplicate of a written event, or after its
//     copy was accepted by the dead-letter topic.
//   - A transient failure (sink error, enrichment error, shutdown before
//     the write finished) nacks the message; the subscription's retry and
//     dead-letter policies decide what happens next.
//   - Poison (an invalid payload, a record a sink rejects for good) is
//     published to the dead-letter topic with a reason attribute, then
//     acked. If that publish fails, the message is nacked, never dropped.
//   - The dedupe store marks an event as seen only after the write was
//     confirmed and forgets the claim when it failed, so a failed write
//     never hides a redelivery. It is per process: the rare duplicate that
//     reaches two replicas is written twice under the same event_id.
//
// # Backpressure and memory
//
// Pub/Sub flow control (PUBSUB_MAX_OUTSTANDING_MESSAGES and _BYTES) is the
// only admission control. Every record in memory belongs to a callback that
// is waiting for it, so memory is bounded by the outstanding limits; when
// the sink is slow, callbacks wait, slots stay taken and Pub/Sub stops
// delivering. There is no unbounded queue.
//
// # Shutdown
//
// When Run's context is cancelled (SIGTERM), pulling stops and in-flight
// callbacks continue on a context that outlives the signal. They have
// DRAIN_TIMEOUT to be written and acked; the last partial batch is flushed.
// Whatever is still unwritten when the budget is spent is not acked, so
// Pub/Sub redelivers it: a hard stop costs duplicates (which dedupe or the
// event_id absorb), never loss.
package pipeline
