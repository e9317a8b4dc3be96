// Package bigcommerce knows BigCommerce's webhooks: it decodes and validates
// the callback envelope BigCommerce publishes to Pub/Sub (Decode, Event),
// and holds the scope catalog (Lookup, ScopeSpec) that says, for every
// scope, what entity an event is about, where its ID is in the payload, and
// which REST call fetches the entity's current state.
//
// The catalog is generated (catalog_gen.go) from the scope reference
// vendored in testdata/bigcommerce/scopes.json, by internal/gencatalog,
// which also encodes the project's choices of ID field and delete scopes.
//
// Decode runs once per Pub/Sub message, so it and Lookup are written to
// allocate little and to cost a few microseconds per typical payload
// (BenchmarkDecode). Every Decode failure is a *DecodeError wrapping ErrPoison: a payload that
// does not decode never will, and the pipeline dead-letters it by Reason.
//
// The package imports nothing else of this module, so the pipeline, the
// registrar and the test store simulator (package bctest) can all depend on
// it.
package bigcommerce
