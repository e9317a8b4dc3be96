package bigquery_test

import (
	"fmt"

	"bcstream/sink/bigquery"
)

// The README's example queries, for the views next to the events table in
// dataset bcstream of project my-project. @name placeholders are query
// parameters.
func ExampleQueries() {
	for _, q := range bigquery.Queries("my-project", "bcstream") {
		fmt.Printf("%s\n\n", q.SQL)
	}
	// Output:
	// -- Events per scope per day since @since (a TIMESTAMP), duplicates removed.
	// SELECT
	//   DATE(event_created_at) AS day,
	//   scope,
	//   COUNT(*) AS events
	// FROM `my-project.bcstream.events_dedup`
	// WHERE event_created_at >= @since
	// GROUP BY day, scope
	// ORDER BY day, scope
	//
	// -- The full history of one order: every event about it, oldest first, with
	// -- the order's status as fetched after each event.
	// SELECT
	//   event_created_at,
	//   scope,
	//   enrichment,
	//   JSON_VALUE(entity, '$.status') AS status,
	//   event_id
	// FROM `my-project.bcstream.events_dedup`
	// WHERE store_hash = @store_hash
	//   AND entity_type = 'order'
	//   AND entity_id = @order_id
	// ORDER BY event_created_at, received_at
	//
	// -- The latest state of every product whose state was fetched in the last
	// -- hour, newest first.
	// SELECT
	//   store_hash,
	//   entity_id AS product_id,
	//   JSON_VALUE(entity, '$.name') AS name,
	//   deleted,
	//   state_at
	// FROM `my-project.bcstream.products_latest`
	// WHERE state_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR)
	// ORDER BY state_at DESC
	// LIMIT 100
}
