package bigquery

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"bcstream/sink"
	"bcstream/sink/bigquery/bqfake"
	"bcstream/sink/sinktest"
)

// TestLargeBatchIsSplit lowers the request limit to 20 KB and writes a
// batch of about 100 KB: it must go out as several requests, each under
// the limit, all rows stored once; a row bigger than the limit on its own
// is rejected without failing the others.
func TestLargeBatchIsSplit(t *testing.T) {
	t.Parallel()
	srv, err := bqfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s, err := New(t.Context(), envconfig.MapLookuper(map[string]string{
		"BIGQUERY_PROJECT": "p", "BIGQUERY_DATASET": "d",
		"BIGQUERY_STORAGE_ENDPOINT": srv.Addr, "BIGQUERY_MANAGE_SCHEMA": "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(t.Context())
	const limit = 20_000
	s.maxRequestBytes = limit

	var mu sync.Mutex
	var sizes []int
	srv.SetFault(func(a bqfake.Append) bqfake.Fault {
		mu.Lock()
		sizes = append(sizes, a.RequestBytes)
		mu.Unlock()
		return bqfake.Fault{}
	})
	recs := sinktest.Records(t.Name(), 120)
	huge := &recs[5]
	huge.Payload = []byte(`{"blob":"` + stringOf('x', limit) + `"}`)

	err = s.Write(t.Context(), recs)
	for i := range recs {
		got := sink.RecordErr(err, i)
		if i == 5 {
			if !errors.Is(got, sink.ErrRejected) {
				t.Errorf("oversized record: %v, want a rejection", got)
			}
		} else if got != nil {
			t.Errorf("record %d: %v", i, got)
		}
	}
	if len(sizes) < 4 {
		t.Errorf("batch went out in %d requests, want it split (sizes %v)", len(sizes), sizes)
	}
	for _, n := range sizes {
		// The first request on a stream also carries the writer schema
		// (about 1 KB), which the limit's headroom is for.
		if n > limit+2000 {
			t.Errorf("request of %d bytes, want <= %d plus the writer schema", n, limit)
		}
	}
	want := append(append([]sink.Record(nil), recs[:5]...), recs[6:]...)
	rows := srv.Rows("projects/p/datasets/d/tables/events")
	if len(rows) != len(want) {
		t.Fatalf("stored %d rows, want %d", len(rows), len(want))
	}
	ids := map[string]int{}
	for _, r := range rows {
		ids[r["event_id"].(string)]++
	}
	for _, r := range want {
		if ids[r.EventID] != 1 {
			t.Errorf("event %s stored %d times", r.EventID, ids[r.EventID])
		}
	}
}

func stringOf(c byte, n int) string { return strings.Repeat(string(c), n) }
