package bigquery_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"bcstream/sink"
	"bcstream/sink/bigquery"
	"bcstream/sink/bigquery/bqfake"
)

const (
	fakeProject = "fake-project"
	fakeDataset = "events_ds"
)

// startFake starts a bqfake server for tb, stopped at cleanup.
func startFake(tb testing.TB) *bqfake.Server {
	tb.Helper()
	srv, err := bqfake.Start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(srv.Close)
	return srv
}

// fakeEnv is the environment of a sink that writes table to srv, with no
// schema management (the fake has no REST API).
func fakeEnv(srv *bqfake.Server, table string, extra ...string) envconfig.Lookuper {
	env := map[string]string{
		"GOOGLE_CLOUD_PROJECT":      fakeProject,
		"BIGQUERY_DATASET":          fakeDataset,
		"BIGQUERY_TABLE":            table,
		"BIGQUERY_STORAGE_ENDPOINT": srv.Addr,
		"BIGQUERY_MANAGE_SCHEMA":    "false",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return envconfig.MapLookuper(env)
}

// openFake opens a sink on srv's table, closed at cleanup.
func openFake(tb testing.TB, srv *bqfake.Server, table string, extra ...string) *bigquery.Sink {
	tb.Helper()
	s, err := bigquery.New(tb.Context(), fakeEnv(srv, table, extra...))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close(tb.Context()) })
	return s
}

// tableParent is the fake's name for a table of fakeDataset.
func tableParent(table string) string {
	return "projects/" + fakeProject + "/datasets/" + fakeDataset + "/tables/" + table
}

// recordsOf converts the fake's rows back to Records. It fails t when a
// nullable column holds a zero value instead of being left out: the
// sink must send NULL for those.
func recordsOf(t testing.TB, rows []bqfake.Row) []sink.Record {
	t.Helper()
	out := make([]sink.Record, len(rows))
	for i, row := range rows {
		str := func(col string) string {
			v, ok := row[col]
			if !ok {
				return ""
			}
			s := v.(string)
			if s == "" {
				t.Errorf("row %d: column %s holds an empty string, want NULL", i, col)
			}
			return s
		}
		num := func(col string) int64 {
			v, ok := row[col]
			if !ok {
				return 0
			}
			n := v.(int64)
			if n == 0 {
				t.Errorf("row %d: column %s holds 0, want NULL", i, col)
			}
			return n
		}
		ts := func(col string) time.Time {
			if _, ok := row[col]; !ok {
				return time.Time{}
			}
			return time.UnixMicro(num(col))
		}
		js := func(col string) json.RawMessage {
			if s := str(col); s != "" {
				return json.RawMessage(s)
			}
			return nil
		}
		out[i] = sink.Record{
			EventID:         str("event_id"),
			StoreHash:       str("store_hash"),
			StoreID:         str("store_id"),
			Scope:           str("scope"),
			EntityType:      str("entity_type"),
			EntityID:        str("entity_id"),
			ChannelID:       num("channel_id"),
			EventHash:       str("event_hash"),
			EventCreatedAt:  ts("event_created_at"),
			PublishedAt:     ts("published_at"),
			ReceivedAt:      ts("received_at"),
			MessageID:       str("message_id"),
			DeliveryAttempt: int(num("delivery_attempt")),
			Payload:         js("payload"),
			Entity:          js("entity"),
			Enrichment:      str("enrichment"),
			EnrichedAt:      ts("enriched_at"),
			WorkerVersion:   str("worker_version"),
		}
	}
	return out
}
