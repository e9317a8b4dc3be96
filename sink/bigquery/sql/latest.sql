-- The latest known state of each {{.EntityType}}, per store and entity ID.
--
-- It is the entity the worker fetched most recently (enriched_at), from
-- the events whose enrichment learned something about it: the entity
-- itself (ok), or that it no longer exists (deleted, not_found), in which
-- case entity is NULL and deleted is TRUE. Events that were not enriched
-- (skipped, failed) say nothing about the state and are left out.
--
-- UNIX_MICROS in the ORDER BY orders as the timestamps do; it is there
-- because goccy/bigquery-emulator, which the tests run this view on,
-- ignores an ARRAY_AGG ORDER BY on a bare column.
SELECT
  latest.store_hash,
  latest.entity_id,
  latest.entity,
  latest.enrichment != 'ok' AS deleted,
  latest.enriched_at AS state_at,
  latest.scope AS last_scope,
  latest.event_created_at AS last_event_created_at,
  latest.event_id AS last_event_id
FROM (
  SELECT ARRAY_AGG(e ORDER BY UNIX_MICROS(e.enriched_at) DESC, UNIX_MICROS(e.received_at) DESC LIMIT 1)[OFFSET(0)] AS latest
  FROM `{{.Project}}.{{.Dataset}}.{{.Table}}` AS e
  WHERE e.entity_type = '{{.EntityType}}'
    AND e.entity_id IS NOT NULL
    AND e.enrichment IN ('ok', 'deleted', 'not_found')
  GROUP BY e.store_hash, e.entity_id
)
