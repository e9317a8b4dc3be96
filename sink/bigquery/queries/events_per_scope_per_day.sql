-- Events per scope per day since @since (a TIMESTAMP), duplicates removed.
SELECT
  DATE(event_created_at) AS day,
  scope,
  COUNT(*) AS events
FROM `{{.Project}}.{{.Dataset}}.events_dedup`
WHERE event_created_at >= @since
GROUP BY day, scope
ORDER BY day, scope
