// Package sink defines where enriched events go: the Record every sink
// stores (one row of the `events` table), the Sink contract, and the
// registry that picks sinks by name from SINKS.
//
// # Sinks
//
// A sink stores batches of Records in one destination (a SQLite file, a
// JSON Lines stream, a BigQuery table) and reports, per record, whether
// each is durable. The pipeline acks a Pub/Sub message only after the sink
// has said its record is durable, so a sink's nil error is a promise that
// survives at least a crash of the process; each sink documents what it
// promises beyond that (a power loss, a machine crash).
//
// A sink reports a record it will never accept as an error wrapping
// ErrRejected (the message is dead-lettered) and anything else as a
// transient error (the message is redelivered). Record.Validate decides
// the rejections common to all sinks.
//
// Every destination has the same columns, listed by Columns. Because a
// redelivered event carries the same Record.EventID, sinks that can be
// idempotent on it are; see Fanout for why that matters when several
// sinks run at once.
//
// # Adding a sink
//
//  1. Create package sink/<name>. It imports this package and its
//     destination's client, never the pipeline or another sink.
//  2. Write a constructor with the Factory signature that reads its
//     settings from the given Lookuper, under its own prefix
//     (envconfig.PrefixLookuper("<NAME>_", l)), and call
//     sink.Register("<name>", New) from the package's init function.
//  3. Validate each record with Record.Validate and map Columns to the
//     destination's types; test that the destination's schema matches
//     Columns.
//  4. Run the conformance suite, sinktest.Run, from the package's tests.
//  5. Compile it into the worker with a blank import in the worker's list
//     of sinks (the worker's wiring lives in cmd/ and internal/); it can
//     then be selected with SINKS=<name>.
package sink
