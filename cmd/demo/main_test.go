package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"bcstream/internal/emulator"
	"bcstream/internal/pubsubtest"
)

// The demo (README command 1) must end with exactly the unique events in
// SQLite and every malformed message dead-lettered with its reason, on
// the in-process fake and on Google's emulator.
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
			res, err := run(t.Context(), options{events: 3000, stores: 3, rate: 0, dupRate: 0.1, badRate: 0.02,
				dbPath: db, seed: 11, inProcess: inProcess})
			if err != nil {
				t.Fatal(err)
			}
			if res.stats.Written != int64(res.unique) || res.stats.Duplicates != int64(res.dups) || res.stats.DeadLettered != int64(res.bads) {
				t.Fatalf("published %d unique, %d duplicates, %d malformed; worker wrote %d, deduped %d, dead-lettered %d",
					res.unique, res.dups, res.bads, res.stats.Written, res.stats.Duplicates, res.stats.DeadLettered)
			}
			dead := 0
			for reason, n := range res.deadByReason {
				if reason == "" {
					t.Errorf("%d dead letters without a reason", n)
				}
				dead += n
			}
			if dead != res.bads {
				t.Errorf("dead-letter subscription holds %d messages, want %d", dead, res.bads)
			}
			conn, err := sql.Open("sqlite", db)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var rows int
			// The query the demo prints must run on the file it leaves.
			if err := conn.QueryRow("SELECT count(*) FROM (" + exampleQuery[:len(exampleQuery)-1] + ")").Scan(&rows); err != nil {
				t.Fatalf("example query: %v", err)
			}
			if rows == 0 {
				t.Fatal("example query returned no rows")
			}
			var n int
			conn.QueryRow("SELECT count(*) FROM events").Scan(&n)
			if n != res.unique {
				t.Fatalf("events table holds %d rows, want %d", n, res.unique)
			}
		})
	}
}
