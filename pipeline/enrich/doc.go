// Package enrich is the pipeline's enrichment stage: it fetches each
// event's entity from the store's REST API, within the store's quota, and
// puts the result on the event's record.
//
// BigCommerce webhooks carry only {type, id}; the entity is what users
// want in their event history. What limits enrichment is each store's API
// quota (150 requests per 30 s on Standard and Plus plans, shared with
// every other app on the store), so the stage spends as few requests as it
// can and never lets one store's backlog hurt another store:
//
//   - Coalescing. Events that need the same request — the same store,
//     call and entity — share one fetch while it is queued, and a fetched
//     entity is reused for ENRICH_CACHE_TTL. Both only hand out a state at
//     least as new as the event: a fetch sent at least one second (the
//     resolution of created_at) after the event was created, or, for an
//     event without created_at, any fetch.
//   - Batching. Products, customers, categories and brands are fetched up
//     to 50 at a time with the API's `id:in` filter: a fetch waits up to
//     ENRICH_BATCH_WINDOW for company, and under a backlog batches form by
//     themselves.
//   - Fairness. Each store has its own queue and at most
//     ENRICH_STORE_CONCURRENCY fetches in flight; the API client's limiter
//     paces each store by the rate-limit headers it returns. A store may
//     have at most ENRICH_STORE_MAX_FETCHES requests' worth of fetches
//     queued or running (by default what its reported quota allows within
//     ENRICH_MAX_WAIT): a message that needs one more is nacked at once
//     (Pub/Sub redelivers it after the subscription's backoff) instead of
//     waiting longer than its quota allows, while a message that can
//     share a queued fetch is let in, since it costs no request (a burst
//     of updates to few products is nearly free). Pub/Sub's flow control
//     is shared by all stores, so a store may also hold at most
//     ENRICH_STORE_MAX_PENDING waiting messages in all. No message waits
//     longer than ENRICH_MAX_WAIT; it is nacked and comes back.
//
// Outcomes, on the record's enrichment column:
//
//	ok         the entity as the API returned it (entity, enriched_at)
//	not_found  the API says the entity is gone (404, or an empty lookup)
//	deleted    a delete scope: nothing to fetch
//	skipped    the scope has no REST call (or no call for this payload)
//	failed     the payload cannot name the entity, or the API refused the
//	           request for good (a 4xx other than 401/403/404/429): the
//	           event is kept without its entity; retrying cannot help
//
// Errors instead of statuses: an event from a store missing from the
// registry is dead-lettered (`unknown_store`: the topic accepts events from
// any store that points a webhook at it, so they are untrusted); an event
// of a store whose credentials the API rejected (401/403) is dead-lettered
// (`store_unauthorized`) — not nacked, because a bad token is fixed by a
// person, not by time: the events wait in the dead-letter topic, out of
// everyone's way, and the replay tool sends them back (filtered by that
// reason) once the token is rotated. The API client stops calling the
// store meanwhile and re-probes it every few minutes. Transient failures
// (429s beyond the retry budget, 5xx, timeouts) nack the message: Pub/Sub
// redelivers it under the subscription's retry policy, and its dead-letter
// policy is the final stop.
package enrich
