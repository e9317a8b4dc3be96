// Package bigquery is the production sink: it appends events to a
// BigQuery table through the Storage Write API's default stream
// (cloud.google.com/go/bigquery/storage/managedwriter).
//
// It is registered as "bigquery" (SINKS=bigquery) and configured by
// BIGQUERY_* variables; see Config. The table's columns are
// sink.Columns, with JSON columns as JSON and timestamps as TIMESTAMP
// (microseconds); see Schema.
//
// # Delivery
//
// A nil error from Write means BigQuery acknowledged every row: on the
// default stream, rows are committed and queryable when acknowledged.
// The default stream is at-least-once — an append that timed out or was
// retried by the client library may have been applied — and the sink does
// not deduplicate: idempotency comes from the pipeline's dedupe and the
// deterministic event_id, and the events_dedup view hides the rare
// duplicate that gets through (two replicas receiving the same event, an
// ambiguous timeout).
//
// Failures are classified per record. Records that fail
// sink.Record.Validate, or that BigQuery refuses with row errors, wrap
// sink.ErrRejected (the pipeline dead-letters them with the error as
// reason) and the rest of the batch is still written. Anything else —
// Unavailable, ResourceExhausted, DeadlineExceeded, Aborted, a broken
// connection, a permission or a missing table — fails the affected
// requests' records with a plain error, so that their messages are
// nacked and redelivered.
//
// # Writer lifecycle
//
// One writer (a managed stream on the table's _default stream, with the
// client's write retries enabled) lives from Open to Close and is shared
// by concurrent Writes, whose appends the library pipelines on one
// connection. Its context is the sink's own, never a caller's. Each
// append has its own deadline (BIGQUERY_APPEND_TIMEOUT), and a writer
// whose appends keep failing (BIGQUERY_RECREATE_AFTER in a row) is closed
// and replaced. A batch larger than the 10 MB request limit is split into
// several requests.
//
// Rows are encoded by hand in the proto2 wire format of the descriptor
// that managedwriter/adapt derives from Schema; see encoder for why.
//
// # Tables and views
//
// At startup (unless BIGQUERY_MANAGE_SCHEMA=false) the sink creates the
// dataset and the table if they are missing — partitioned by day on
// event_created_at, clustered on store_hash, entity_type, scope — adds
// columns the table lacks, refuses a table it cannot write to with
// ErrIncompatibleSchema, and creates or updates the views next to the
// table (see Views): events_dedup, orders_latest, products_latest and
// customers_latest. Queries returns the README's example queries.
//
// # Emulators
//
// BIGQUERY_ENDPOINT (REST) and BIGQUERY_STORAGE_ENDPOINT (gRPC) point the
// sink at goccy/bigquery-emulator (see internal/bqemulator) or at the
// in-process fake in bqfake, without credentials and over plaintext.
package bigquery
