-- One row per event_id: the first stored copy of each event.
--
-- The worker deduplicates before writing, and BigQuery's default stream is
-- at-least-once, so a duplicate is rare: an append that timed out but was
-- applied, or the same event reaching two worker replicas at once. Query
-- this view for counts; query the table itself when duplicates do not
-- matter.
--
-- The grouping columns are the same for every copy of an event (event_id
-- is derived from store_hash, scope and created_at), so that a filter on
-- event_created_at, store_hash or scope is applied before the grouping:
-- it still prunes partitions and clusters. ARRAY_AGG(... LIMIT 1) is
-- BigQuery's cheap form of "first row per group" (a ROW_NUMBER() window
-- sorts every group in full). The ORDER BY key is UNIX_MICROS(received_at)
-- rather than received_at, which orders the same: goccy/bigquery-emulator,
-- which the tests run this view on, ignores an ARRAY_AGG ORDER BY on a
-- bare column.
SELECT first_copy.*
FROM (
  SELECT ARRAY_AGG(e ORDER BY UNIX_MICROS(e.received_at) LIMIT 1)[OFFSET(0)] AS first_copy
  FROM `{{.Project}}.{{.Dataset}}.{{.Table}}` AS e
  GROUP BY e.event_id, e.event_created_at, e.store_hash, e.scope
)
