package sinktest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"bcstream/sink"
	"bcstream/sink/sinktest"
)

// memStore is a destination that outlives the sinks opened on it, like a
// file does.
type memStore struct {
	mu   sync.Mutex
	recs map[string]sink.Record
}

// memSink is a minimal correct sink: it validates, is idempotent on
// EventID, honours ctx and closes idempotently.
type memSink struct {
	store  *memStore
	mu     sync.Mutex
	closed bool
}

func (m *memSink) Write(ctx context.Context, recs []sink.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mem: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errors.New("mem: write after close")
	}
	var errs []error
	m.store.mu.Lock()
	defer m.store.mu.Unlock()
	for i, r := range recs {
		if err := r.Validate(); err != nil {
			if errs == nil {
				errs = make([]error, len(recs))
			}
			errs[i] = err
			continue
		}
		if _, dup := m.store.recs[r.EventID]; !dup {
			r.Payload = append([]byte(nil), r.Payload...)
			r.Entity = append([]byte(nil), r.Entity...)
			m.store.recs[r.EventID] = r
		}
	}
	if errs != nil {
		return &sink.BatchError{Errs: errs}
	}
	return nil
}

func (m *memSink) Close(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// memStores hands out one store per (test, name), as sinktest.Path does
// for files.
type memStores struct {
	mu     sync.Mutex
	stores map[string]*memStore
}

func (s *memStores) get(t *testing.T, name string) *memStore {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := sinktest.Path(t, name)
	st, ok := s.stores[key]
	if !ok {
		st = &memStore{recs: map[string]sink.Record{}}
		s.stores[key] = st
	}
	return st
}

func (st *memStore) all() []sink.Record {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []sink.Record
	for _, r := range st.recs {
		out = append(out, r)
	}
	return out
}

// TestRunPassesReferenceSink checks the suite against a correct sink: a
// case that fails here is a bug in the suite.
func TestRunPassesReferenceSink(t *testing.T) {
	t.Parallel()
	stores := &memStores{stores: map[string]*memStore{}}
	sinktest.Run(t, func(t *testing.T) sink.Sink {
		return &memSink{store: stores.get(t, "mem")}
	}, sinktest.Options{
		ReadAll:        func(t *testing.T) []sink.Record { return stores.get(t, "mem").all() },
		Idempotent:     true,
		RejectsInvalid: true,
	})
}

// TestRunPassesFanout runs the suite against a Fanout over two reference
// sinks; ReadAll checks that both hold the same records.
func TestRunPassesFanout(t *testing.T) {
	t.Parallel()
	stores := &memStores{stores: map[string]*memStore{}}
	sinktest.Run(t, func(t *testing.T) sink.Sink {
		return sink.NewFanout(&memSink{store: stores.get(t, "a")}, &memSink{store: stores.get(t, "b")})
	}, sinktest.Options{
		ReadAll: func(t *testing.T) []sink.Record {
			a, b := stores.get(t, "a").all(), stores.get(t, "b").all()
			if diff := sinktest.Diff(a, b, 0); diff != "" {
				t.Errorf("fan-out sinks disagree (-a +b):\n%s", diff)
			}
			return a
		},
		Idempotent:     true,
		RejectsInvalid: true,
	})
}

func TestDiff(t *testing.T) {
	t.Parallel()
	recs := sinktest.Records(t.Name(), 3)
	moved := func(f func(r []sink.Record)) []sink.Record {
		c := append([]sink.Record(nil), recs...)
		f(c)
		return c
	}
	cases := []struct {
		name      string
		got       []sink.Record
		precision time.Duration
		want      []string // substrings of the diff; none means equal
	}{
		{name: "equal, other order", got: []sink.Record{recs[2], recs[0], recs[1]}},
		{name: "missing", got: recs[:2], want: []string{"missing event " + fmt.Sprintf("%q", recs[2].EventID)}},
		{name: "duplicate", got: append(append([]sink.Record(nil), recs...), recs[1]), want: []string{"unexpected event"}},
		{name: "field differs", got: moved(func(r []sink.Record) { r[1].Scope = "other" }), want: []string{"Scope", "other"}},
		{name: "zone ignored", got: moved(func(r []sink.Record) { r[0].ReceivedAt = r[0].ReceivedAt.In(time.FixedZone("X", 3600)) })},
		{name: "nanos differ", got: moved(func(r []sink.Record) { r[0].ReceivedAt = r[0].ReceivedAt.Add(time.Nanosecond) }), want: []string{"ReceivedAt"}},
		{name: "within precision", precision: time.Microsecond, got: moved(func(r []sink.Record) { r[0].ReceivedAt = r[0].ReceivedAt.Truncate(time.Microsecond) })},
		{name: "zero vs set time", precision: time.Hour, got: moved(func(r []sink.Record) { r[0].ReceivedAt = time.Time{} }), want: []string{"ReceivedAt"}},
		{name: "json differs", got: moved(func(r []sink.Record) { r[2].Payload = []byte(`{}`) }), want: []string{"Payload"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			diff := sinktest.Diff(recs, tc.got, tc.precision)
			if len(tc.want) == 0 && diff != "" {
				t.Errorf("Diff() = %s, want none", diff)
			}
			if len(tc.want) > 0 && diff == "" {
				t.Errorf("Diff() found no difference, want one mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(diff, w) {
					t.Errorf("Diff() = %s, want it to mention %q", diff, w)
				}
			}
		})
	}
}

func TestRecordsAreValidAndDistinct(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, seed := range []string{"a", "b"} {
		for i, r := range sinktest.Records(seed, 100) {
			if err := r.Validate(); err != nil {
				t.Errorf("Records(%q)[%d]: %v", seed, i, err)
			}
			if seen[r.EventID] {
				t.Errorf("Records(%q)[%d]: duplicate EventID %s", seed, i, r.EventID)
			}
			seen[r.EventID] = true
		}
	}
}

func TestPathIsStablePerTest(t *testing.T) {
	t.Parallel()
	a, b := sinktest.Path(t, "x"), sinktest.Path(t, "x")
	if a != b {
		t.Errorf("Path() = %q then %q, want the same", a, b)
	}
	var other string
	t.Run("sub", func(t *testing.T) { other = sinktest.Path(t, "x") })
	if other == a {
		t.Errorf("Path() in a subtest = %q, want a different directory", other)
	}
}
