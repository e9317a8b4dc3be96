package main_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	bq "cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"bcstream/internal/bqemulator/bqemutest"
	"bcstream/sink/bigquery"
)

const bqProject = "worker-bq-it"

// TestIntegration_BigQueryTenThousandEvents runs the worker binary with
// SINKS=bigquery against the Pub/Sub emulator and the BigQuery emulator:
// 10,000 messages from the generator, about 10% re-sent and 1% malformed.
// Every unique event must be queryable exactly once, and the README's
// per-scope query must count them all.
func TestIntegration_BigQueryTenThousandEvents(t *testing.T) {
	s := newStack(t)
	emu := bqemutest.Start(t, bqProject)
	b := s.publish(t, 10_000, 0.10, 0.01, 4242)
	t.Logf("published %d messages: %d unique events, %d malformed", b.total, len(b.uniqueIDs), len(b.malformed))

	began := time.Now()
	env := append(emu.Env(), "SINKS=bigquery", "BIGQUERY_DATASET=bcstream", "EXIT_WHEN_IDLE=3s")
	cmd, out := s.startWorker(t, env...)
	wait(t, cmd, out, 4*time.Minute)
	t.Logf("worker drained the backlog into BigQuery in %v", time.Since(began).Round(time.Millisecond))

	c, err := bq.NewClient(context.Background(), bqProject, option.WithEndpoint(emu.RESTEndpoint()), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	query := func(sql string, params ...bq.QueryParameter) []map[string]bq.Value {
		t.Helper()
		q := c.Query(sql)
		q.Parameters = params
		it, err := q.Read(t.Context())
		if err != nil {
			t.Fatalf("query: %v\n%s", err, sql)
		}
		var rows []map[string]bq.Value
		for {
			row := map[string]bq.Value{}
			if err := it.Next(&row); err == iterator.Done {
				return rows
			} else if err != nil {
				t.Fatalf("query: %v\n%s", err, sql)
			}
			rows = append(rows, row)
		}
	}

	rows := query(fmt.Sprintf("SELECT event_id FROM `%s.bcstream.events`", bqProject))
	ids := map[string]int{}
	for _, r := range rows {
		ids[r["event_id"].(string)]++
	}
	missing, extra, twice := 0, 0, 0
	for id := range b.uniqueIDs {
		if ids[id] == 0 {
			missing++
		}
	}
	for id, n := range ids {
		if !b.uniqueIDs[id] {
			extra++
		}
		if n > 1 {
			twice++
		}
	}
	if missing > 0 || extra > 0 || twice > 0 {
		t.Fatalf("table holds %d rows, %d distinct events: %d of %d unique events missing, %d unexpected, %d stored more than once",
			len(rows), len(ids), missing, len(b.uniqueIDs), extra, twice)
	}
	if n := query(fmt.Sprintf("SELECT COUNT(*) AS n FROM `%s.bcstream.events_dedup`", bqProject))[0]["n"].(int64); n != int64(len(b.uniqueIDs)) {
		t.Errorf("events_dedup has %d rows, want %d", n, len(b.uniqueIDs))
	}

	// The README's first query counts every event, per scope and day.
	perScope := bigquery.Queries(bqProject, "bcstream")[0]
	var total int64
	for _, r := range query(perScope.SQL, bq.QueryParameter{Name: "since", Value: began.Add(-24 * time.Hour)}) {
		total += r["events"].(int64)
	}
	if total != int64(len(b.uniqueIDs)) {
		t.Errorf("%s counts %d events, want %d", perScope.Name, total, len(b.uniqueIDs))
	}
	dl := s.deadLetters(t, len(b.malformed))
	if len(dl) != len(b.malformed) {
		t.Errorf("dead-letter topic holds %d messages, want the %d malformed ones", len(dl), len(b.malformed))
	}
}
