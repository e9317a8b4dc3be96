package main

import (
	"context"
	"testing"
	"time"

	"bcstream/sink"
)

func TestLatenciesPct(t *testing.T) {
	t.Parallel()
	var l latencies
	for i := 100; i >= 1; i-- {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	cases := []struct {
		p    float64
		want time.Duration
	}{
		{0.5, 50 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{0.001, time.Millisecond},
	}
	for _, c := range cases {
		if got := l.pct(c.p); got != c.want {
			t.Errorf("pct(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := latencies(nil).pct(0.99); got != 0 {
		t.Errorf("empty pct = %v, want 0", got)
	}
	if l[0] != 100*time.Millisecond {
		t.Error("pct sorted its receiver")
	}
}

func TestParseEnrichOptionsDefaults(t *testing.T) {
	t.Parallel()
	o, err := parseEnrichOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.stores != 20 || o.products != 2000 || o.burst != 20_000 || o.quota != 150 || o.window != 30*time.Second {
		t.Errorf("defaults %+v are not the issue's (20 stores, 20,000 events over 2,000 products, 150 / 30 s)", o)
	}
	if _, err := parseEnrichOptions([]string{"-stores", "1"}); err == nil {
		t.Error("-stores 1: no error")
	}
}

func TestRecorderCountsRepeats(t *testing.T) {
	t.Parallel()
	r := newRecorder()
	now := time.Now()
	recs := []sink.Record{
		{EventID: "a", StoreHash: "s1", ReceivedAt: now, PublishedAt: now},
		{EventID: "b", StoreHash: "s1", ReceivedAt: now, PublishedAt: now},
	}
	if err := r.Write(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(context.Background(), recs[:1]); err != nil {
		t.Fatal(err)
	}
	if got := r.written([]string{"a", "b", "c"}); got != 2 {
		t.Errorf("written = %d, want 2", got)
	}
	if got := r.storeCount("s1"); got != 2 {
		t.Errorf("storeCount = %d, want 2 distinct events", got)
	}
	first, repeated := r.snapshot()
	if len(first) != 2 || repeated != 1 {
		t.Errorf("snapshot: %d events, %d repeated; want 2, 1", len(first), repeated)
	}
}
