package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/option"

	"bcstream/internal/bqemulator/bqemutest"
	"bcstream/internal/emulator"
	"bcstream/internal/pubsubtest"
)

// The demo (README command 1) must end with exactly the unique events in
// SQLite, enriched from the simulated stores, and every malformed message
// and every event of the unregistered store dead-lettered with its
// reason, on the in-process fake and on Google's emulator.
func TestDemo(t *testing.T) {
	if os.Getenv("PUBSUB_EMULATOR_HOST") != "" {
		t.Skip("PUBSUB_EMULATOR_HOST is set; the demo would use it")
	}
	for _, inProcess := range []bool{true, false} {
		name := "emulator"
		if inProcess {
			name = "in-process"
		}
		t.Run(name, func(t *testing.T) {
			if !inProcess {
				if testing.Short() {
					t.Skip("emulator run skipped under -short")
				}
				if _, err := emulator.Available(); err != nil {
					if pubsubtest.InCI() {
						t.Fatalf("CI=true but the emulator is unavailable: %v", err)
					}
					t.Skip(err)
				}
			}
			db := filepath.Join(t.TempDir(), "demo.db")
			res, err := run(t.Context(), options{events: 2000, stores: 3, rate: 0, dupRate: 0.1, badRate: 0.02, strangerRate: 0.01,
				quota: 1500, dbPath: db, seed: 11, inProcess: inProcess})
			if err != nil {
				t.Fatal(err)
			}
			if res.stats.Written != int64(res.unique) || res.stats.Duplicates != int64(res.dups) || res.stats.DeadLettered != int64(res.bads+res.strangers) {
				t.Fatalf("published %d unique, %d duplicates, %d malformed, %d unregistered; worker wrote %d, deduped %d, dead-lettered %d",
					res.unique, res.dups, res.bads, res.strangers, res.stats.Written, res.stats.Duplicates, res.stats.DeadLettered)
			}
			if res.deadByReason["unknown_store"] != res.strangers {
				t.Errorf("dead letters by reason %v, want %d unknown_store", res.deadByReason, res.strangers)
			}
			if ok := res.enrich.ByOutcome["ok"]; ok < int64(res.unique)/2 {
				t.Errorf("only %d of %d events enriched ok: %v", ok, res.unique, res.enrich.ByOutcome)
			}
			dead := 0
			for reason, n := range res.deadByReason {
				if reason == "" {
					t.Errorf("%d dead letters without a reason", n)
				}
				dead += n
			}
			if dead != res.bads+res.strangers {
				t.Errorf("dead-letter subscription holds %d messages, want %d", dead, res.bads+res.strangers)
			}
			conn, err := sql.Open("sqlite", db)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var rows int
			// The queries the demo prints must run on the file it leaves.
			for _, q := range []string{exampleQuery, orderQuery} {
				if err := conn.QueryRow("SELECT count(*) FROM (" + q[:len(q)-1] + ")").Scan(&rows); err != nil {
					t.Fatalf("example query: %v", err)
				}
				if rows == 0 {
					t.Fatalf("example query returned no rows:\n%s", q)
				}
			}
			var orders int
			conn.QueryRow("SELECT count(*) FROM events WHERE entity_type = 'order' AND enrichment = 'ok' AND json_extract(entity, '$.orders.id') = CAST(entity_id AS INTEGER)").Scan(&orders)
			if orders == 0 {
				t.Error("no enriched order whose entity is the order the event names")
			}
			var n int
			conn.QueryRow("SELECT count(*) FROM events").Scan(&n)
			if n != res.unique {
				t.Fatalf("events table holds %d rows, want %d", n, res.unique)
			}
		})
	}
}

// TestDemoBigQuery runs the demo's -bigquery mode (the README's way to try
// BigQuery SQL locally) against the BigQuery emulator: every unique event
// lands in the events table and the printed example query runs.
func TestDemoBigQuery(t *testing.T) {
	if os.Getenv("PUBSUB_EMULATOR_HOST") != "" || os.Getenv("BIGQUERY_ENDPOINT") != "" {
		t.Skip("PUBSUB_EMULATOR_HOST or BIGQUERY_ENDPOINT is set; the demo would use it")
	}
	bq := bqemutest.Start(t, demoProject)
	// The demo takes an emulator that is already running from the
	// environment, as the README describes.
	for _, kv := range bq.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	res, err := run(t.Context(), options{events: 600, stores: 2, rate: 0, dupRate: 0.1, badRate: 0.02, strangerRate: 0.01,
		quota: 1500, dbPath: filepath.Join(t.TempDir(), "unused.db"), seed: 12, inProcess: true, bigQuery: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.stats.Written != int64(res.unique) || res.stats.DeadLettered != int64(res.bads+res.strangers) {
		t.Fatalf("published %d unique, %d malformed, %d unregistered; worker wrote %d, dead-lettered %d",
			res.unique, res.bads, res.strangers, res.stats.Written, res.stats.DeadLettered)
	}
	client, err := bigquery.NewClient(t.Context(), demoProject, option.WithEndpoint(bq.RESTEndpoint()), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	it, err := client.Query("SELECT COUNT(DISTINCT event_id) AS n FROM `" + demoProject + "." + bigQueryDataset + ".events`").Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var row []bigquery.Value
	if err := it.Next(&row); err != nil {
		t.Fatal(err)
	}
	if n, _ := row[0].(int64); n != int64(res.unique) {
		t.Errorf("BigQuery holds %v distinct events, want %d", row[0], res.unique)
	}
}
