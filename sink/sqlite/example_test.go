package sqlite_test

import (
	"fmt"

	"bcstream/sink/sqlite"
)

// The schema the sink creates, derived from sink.Columns.
func ExampleSchema() {
	fmt.Print(sqlite.Schema())
	// Output:
	// CREATE TABLE IF NOT EXISTS events (
	//	event_id TEXT PRIMARY KEY NOT NULL,
	//	store_hash TEXT NOT NULL,
	//	store_id TEXT NOT NULL,
	//	scope TEXT NOT NULL,
	//	entity_type TEXT NOT NULL,
	//	entity_id TEXT,
	//	channel_id INTEGER,
	//	event_hash TEXT NOT NULL,
	//	event_created_at TEXT,
	//	published_at TEXT,
	//	received_at TEXT NOT NULL,
	//	message_id TEXT NOT NULL,
	//	delivery_attempt INTEGER,
	//	payload TEXT NOT NULL,
	//	entity TEXT,
	//	enrichment TEXT NOT NULL,
	//	enriched_at TEXT,
	//	worker_version TEXT NOT NULL
	// ) STRICT;
	// CREATE INDEX IF NOT EXISTS events_store_entity ON events (store_hash, entity_type, entity_id);
	// CREATE INDEX IF NOT EXISTS events_scope ON events (scope);
	// CREATE INDEX IF NOT EXISTS events_event_created_at ON events (event_created_at);
}
