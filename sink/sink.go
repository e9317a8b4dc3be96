package sink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Record is one row of the `events` table. Every sink stores exactly these
// columns (see the README's "The events table"); BigQuery gets the same
// names and types.
type Record struct {
	// EventID is deterministic: derived from (store hash, scope, hash,
	// created_at), so a redelivered or re-sent event gets the same ID. Sinks
	// that can be idempotent are idempotent on it.
	EventID    string
	StoreHash  string
	StoreID    string
	Scope      string
	EntityType string
	EntityID   string // "" → NULL
	ChannelID  int64  // 0 → NULL
	EventHash  string
	// EventCreatedAt is the webhook's created_at; zero → NULL.
	EventCreatedAt time.Time
	// PublishedAt is when Pub/Sub accepted the message.
	PublishedAt time.Time
	// ReceivedAt is when the worker received the message.
	ReceivedAt time.Time
	MessageID  string
	// DeliveryAttempt is Pub/Sub's delivery attempt (1-based); 0 when the
	// subscription has no dead-letter policy and Pub/Sub does not count.
	DeliveryAttempt int
	// Payload is the webhook's `data` JSON, as received.
	Payload json.RawMessage
	// Entity is the enriched entity JSON; nil → NULL.
	Entity json.RawMessage
	// Enrichment is the enrichment status: ok, not_found, deleted, skipped
	// or failed.
	Enrichment string
	// EnrichedAt is when the entity was fetched; zero → NULL.
	EnrichedAt    time.Time
	WorkerVersion string
}

// Enrichment statuses recorded in Record.Enrichment.
const (
	EnrichmentOK       = "ok"
	EnrichmentNotFound = "not_found"
	EnrichmentDeleted  = "deleted"
	EnrichmentSkipped  = "skipped"
	EnrichmentFailed   = "failed"
)

// Size is an estimate of the record's encoded size in bytes, used by the
// batcher's byte limit. It counts the variable-length fields plus a fixed
// allowance for the rest.
func (r *Record) Size() int {
	return 160 + len(r.EventID) + len(r.StoreHash) + len(r.StoreID) + len(r.Scope) +
		len(r.EntityType) + len(r.EntityID) + len(r.EventHash) + len(r.MessageID) +
		len(r.Payload) + len(r.Entity) + len(r.Enrichment) + len(r.WorkerVersion)
}

// Sink persists batches of records.
//
// Implementations must be safe for concurrent use: the pipeline may call
// Write from several goroutines at once.
type Sink interface {
	// Write stores recs durably. It blocks until every record is stored,
	// ctx is done, or it fails. A nil error promises that every record is
	// durable and may be acked. Any other error means none of the records
	// may be acked, unless it is a *BatchError, which reports the fate of
	// each record separately. Write must not retain recs after it returns.
	Write(ctx context.Context, recs []Record) error

	// Close flushes buffered data and releases resources, returning early
	// (with ctx's error) if ctx is done first. Write must not be called
	// after Close.
	Close(ctx context.Context) error
}

// ErrRejected marks a record that the destination will never accept as it
// is (a schema violation, a value out of range): retrying cannot help, so
// the pipeline dead-letters it. Errors that do not wrap ErrRejected are
// transient: the message is nacked and redelivered.
var ErrRejected = errors.New("record rejected by sink")

// BatchError reports per-record outcomes of a Write that partly failed.
// Errs has one entry per record passed to Write, in order; a nil entry
// means that record is durable.
type BatchError struct {
	Errs []error
}

// Error summarises the failures.
func (e *BatchError) Error() string {
	n := 0
	var first error
	for _, err := range e.Errs {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	return fmt.Sprintf("%d of %d records failed (first: %v)", n, len(e.Errs), first)
}

// RecordErr returns the error for record i of a Write that returned err:
// nil if that record is durable. It is how callers read any Write result,
// whether or not it is a *BatchError.
func RecordErr(err error, i int) error {
	if err == nil {
		return nil
	}
	var be *BatchError
	if errors.As(err, &be) && i < len(be.Errs) {
		return be.Errs[i]
	}
	return err
}
