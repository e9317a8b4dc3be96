-- The latest state of every product whose state was fetched in the last
-- hour, newest first.
SELECT
  store_hash,
  entity_id AS product_id,
  JSON_VALUE(entity, '$.name') AS name,
  deleted,
  state_at
FROM `{{.Project}}.{{.Dataset}}.products_latest`
WHERE state_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR)
ORDER BY state_at DESC
LIMIT 100
