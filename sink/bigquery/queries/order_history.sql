-- The full history of one order: every event about it, oldest first, with
-- the order's status as fetched after each event.
SELECT
  event_created_at,
  scope,
  enrichment,
  JSON_VALUE(entity, '$.status') AS status,
  event_id
FROM `{{.Project}}.{{.Dataset}}.events_dedup`
WHERE store_hash = @store_hash
  AND entity_type = 'order'
  AND entity_id = @order_id
ORDER BY event_created_at, received_at
