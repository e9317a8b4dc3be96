package sqlite_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-envconfig"

	"bcstream/sink"
	"bcstream/sink/sinktest"
	"bcstream/sink/sqlite"
)

const dbName = "events.db"

func openSink(tb testing.TB, path string) *sqlite.Sink {
	tb.Helper()
	s, err := sqlite.New(tb.Context(), envconfig.MapLookuper(map[string]string{"SQLITE_PATH": path}))
	if err != nil {
		tb.Fatalf("sqlite.New() = %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	sinktest.Run(t, func(t *testing.T) sink.Sink {
		return openSink(t, sinktest.Path(t, dbName))
	}, sinktest.Options{
		ReadAll:        func(t *testing.T) []sink.Record { return readAll(t, sinktest.Path(t, dbName)) },
		Idempotent:     true,
		RejectsInvalid: true,
	})
}

// readDB opens the database the way an analyst would: a second, read-only
// connection next to the sink's.
func readDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// readAll reads every row back into Records. It is strict about NULLs: a
// nullable column holding its zero value instead of NULL fails the test.
func readAll(t *testing.T, path string) []sink.Record {
	t.Helper()
	rows, err := readDB(t, path).QueryContext(t.Context(), "SELECT * FROM events")
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	defer rows.Close()
	var out []sink.Record
	for rows.Next() {
		var (
			r                                        sink.Record
			entityID, entity                         sql.NullString
			created, published, received, enrichedAt sql.NullString
			channel, attempt                         sql.NullInt64
			payload                                  string
		)
		if err := rows.Scan(&r.EventID, &r.StoreHash, &r.StoreID, &r.Scope, &r.EntityType,
			&entityID, &channel, &r.EventHash, &created, &published, &received,
			&r.MessageID, &attempt, &payload, &entity, &r.Enrichment, &enrichedAt,
			&r.WorkerVersion); err != nil {
			t.Fatalf("scan: %v", err)
		}
		col := func(name string, v sql.NullString) string {
			if v.Valid && v.String == "" {
				t.Errorf("event %s: %s is '' instead of NULL", r.EventID, name)
			}
			return v.String
		}
		num := func(name string, v sql.NullInt64) int64 {
			if v.Valid && v.Int64 == 0 {
				t.Errorf("event %s: %s is 0 instead of NULL", r.EventID, name)
			}
			return v.Int64
		}
		r.EntityID = col("entity_id", entityID)
		r.ChannelID = num("channel_id", channel)
		r.DeliveryAttempt = int(num("delivery_attempt", attempt))
		r.EventCreatedAt = parseTime(t, col("event_created_at", created))
		r.PublishedAt = parseTime(t, col("published_at", published))
		r.ReceivedAt = parseTime(t, received.String)
		r.EnrichedAt = parseTime(t, col("enriched_at", enrichedAt))
		r.Payload = json.RawMessage(payload)
		if s := col("entity", entity); s != "" {
			r.Entity = json.RawMessage(s)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows: %v", err)
	}
	return out
}

// parseTime parses a stored timestamp, checking it is in sink.TimeLayout
// exactly (fixed width, UTC), which string comparison in SQL relies on.
func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("stored timestamp %q: %v", s, err)
	}
	if want := ts.UTC().Format(sink.TimeLayout); s != want {
		t.Errorf("stored timestamp %q, want the fixed-width form %q", s, want)
	}
	return ts
}

// TestSchemaMatchesColumns checks the table the sink creates against
// sink.Columns: names in order, mapped types, NOT NULL, primary key.
func TestSchemaMatchesColumns(t *testing.T) {
	t.Parallel()
	path := sinktest.Path(t, dbName)
	s := openSink(t, path)
	defer s.Close(t.Context())

	type col struct {
		Name    string
		Type    string
		NotNull bool
		PK      bool
	}
	var want []col
	for _, c := range sink.Columns() {
		typ := "TEXT"
		if c.Type == sink.TypeInt64 {
			typ = "INTEGER"
		}
		want = append(want, col{c.Name, typ, !c.Nullable, c.Name == "event_id"})
	}
	rows, err := readDB(t, path).QueryContext(t.Context(), `SELECT name, type, "notnull", pk FROM pragma_table_info('events')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []col
	for rows.Next() {
		var c col
		var pk int
		if err := rows.Scan(&c.Name, &c.Type, &c.NotNull, &pk); err != nil {
			t.Fatal(err)
		}
		c.PK = pk > 0
		got = append(got, c)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events columns mismatch (-want +got):\n%s", diff)
	}

	var strict int
	if err := readDB(t, path).QueryRowContext(t.Context(), `SELECT strict FROM pragma_table_list('events')`).Scan(&strict); err != nil {
		t.Fatal(err)
	}
	if strict != 1 {
		t.Errorf("events is not a STRICT table")
	}
}

// TestOpenRefusesForeignTable checks that a file whose events table has
// other columns fails at Open, not at the first insert.
func TestOpenRefusesForeignTable(t *testing.T) {
	t.Parallel()
	path := sinktest.Path(t, dbName)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE events (event_id TEXT PRIMARY KEY, payload TEXT)"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, err = sqlite.New(t.Context(), envconfig.MapLookuper(map[string]string{"SQLITE_PATH": path}))
	if err == nil || !strings.Contains(err.Error(), "has columns") {
		t.Errorf("sqlite.New() on a foreign table = %v, want a column mismatch error", err)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		env     map[string]string
		want    sqlite.Config
		wantErr string
	}{
		{name: "defaults", env: nil, want: sqlite.Config{Path: "bcstream.db", BusyTimeout: 5 * time.Second, CacheMiB: 64}},
		{name: "set", env: map[string]string{"SQLITE_PATH": "/data/x.db", "SQLITE_BUSY_TIMEOUT": "1s", "SQLITE_CACHE_MIB": "256"}, want: sqlite.Config{Path: "/data/x.db", BusyTimeout: time.Second, CacheMiB: 256}},
		{name: "memory", env: map[string]string{"SQLITE_PATH": ":memory:"}, wantErr: "plain file path"},
		{name: "uri", env: map[string]string{"SQLITE_PATH": "file:x.db"}, wantErr: "plain file path"},
		{name: "query", env: map[string]string{"SQLITE_PATH": "x.db?_pragma=foo"}, wantErr: "plain file path"},
		{name: "negative timeout", env: map[string]string{"SQLITE_BUSY_TIMEOUT": "-1s"}, wantErr: "must not be negative"},
		{name: "zero cache", env: map[string]string{"SQLITE_CACHE_MIB": "0"}, wantErr: "SQLITE_CACHE_MIB"},
		{name: "unprefixed ignored", env: map[string]string{"PATH": "/usr/bin"}, want: sqlite.Config{Path: "bcstream.db", BusyTimeout: 5 * time.Second, CacheMiB: 64}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := sqlite.LoadConfig(t.Context(), envconfig.MapLookuper(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadConfig() error = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig() = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("LoadConfig() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTimestampsCompareAsStrings checks the claim in sink.TimeLayout's
// docs on real data: ordering by the stored text is chronological, and
// SQLite's datetime() reads it.
func TestTimestampsCompareAsStrings(t *testing.T) {
	t.Parallel()
	path := sinktest.Path(t, dbName)
	s := openSink(t, path)
	defer s.Close(t.Context())

	// Times that RFC3339Nano would render with different widths.
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	offsets := []time.Duration{0, 100 * time.Millisecond, time.Nanosecond, 120 * time.Millisecond, time.Second, 999999999}
	recs := sinktest.Records(t.Name(), len(offsets))
	for i := range recs {
		recs[i].EventCreatedAt = base.Add(offsets[i])
	}
	if err := s.Write(t.Context(), recs); err != nil {
		t.Fatal(err)
	}

	rows, err := readDB(t, path).QueryContext(t.Context(),
		`SELECT event_created_at, datetime(event_created_at) FROM events ORDER BY event_created_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []time.Time
	for rows.Next() {
		var ts, dt string
		if err := rows.Scan(&ts, &dt); err != nil {
			t.Fatal(err)
		}
		parsed := parseTime(t, ts)
		if want := parsed.Format(time.DateTime); dt != want {
			t.Errorf("datetime(%q) = %q, want %q", ts, dt, want)
		}
		got = append(got, parsed)
	}
	if !slices.IsSortedFunc(got, time.Time.Compare) {
		t.Errorf("ORDER BY event_created_at gave %v, not chronological", got)
	}
}

// TestDatabaseRejectsRow checks that a row the database itself refuses is
// rejected alone, even though Validate let it through. A CHECK added by
// hand to the table stands in for a constraint Validate does not know.
func TestDatabaseRejectsRow(t *testing.T) {
	t.Parallel()
	path := sinktest.Path(t, dbName)
	s := openSink(t, path)
	recs := sinktest.Records(t.Name(), 3)
	recs[1].EventID = "refuse-me"

	db, err := sql.Open("sqlite", path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `CREATE TRIGGER refuse BEFORE INSERT ON events
		WHEN NEW.event_id = 'refuse-me' BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	s.Close(t.Context())
	s = openSink(t, path) // a fresh connection sees the trigger
	defer s.Close(t.Context())

	err = s.Write(t.Context(), recs)
	for i, wantRejected := range []bool{false, true, false} {
		got := sink.RecordErr(err, i)
		if wantRejected != errors.Is(got, sink.ErrRejected) || (!wantRejected && got != nil) {
			t.Errorf("record %d: error %v, want rejected=%v", i, got, wantRejected)
		}
	}
	if n := len(readAll(t, path)); n != 2 {
		t.Errorf("stored %d rows, want 2", n)
	}
}

func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	s := openSink(t, sinktest.Path(t, dbName))
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	recs := sinktest.Records(t.Name(), 2)
	recs[1].Payload = nil
	err := s.Write(t.Context(), recs)
	// The valid record fails transiently, the invalid one is still
	// rejected: it will never be stored, wherever it is retried.
	if got := sink.RecordErr(err, 0); got == nil || errors.Is(got, sink.ErrRejected) {
		t.Errorf("Write() after Close, valid record: %v, want a transient error", got)
	}
	if got := sink.RecordErr(err, 1); !errors.Is(got, sink.ErrRejected) {
		t.Errorf("Write() after Close, invalid record: %v, want rejected", got)
	}
}
