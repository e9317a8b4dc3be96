package main

import (
	"context"
	"sync"
	"time"

	"github.com/sethvargo/go-envconfig"

	"bcstream/sink"
)

// measureSinkName is the sink the enrich benchmark's in-process worker
// writes to (SINKS=bcload-measure).
const measureSinkName = "bcload-measure"

// measured is the one recorder behind the measuring sink: the sink
// registry's factories take no arguments, and bcload runs one worker.
var measured = newRecorder()

func init() {
	sink.Register(measureSinkName, func(context.Context, envconfig.Lookuper) (sink.Sink, error) {
		return measured, nil
	})
}

// row is what the benchmark keeps of one written record.
type row struct {
	eventID, store, scope, status string
	// received is the record's ReceivedAt: when the worker received the
	// delivery that was written. published is Pub/Sub's publish time.
	received, published time.Time
	// written is when the sink's Write of the record's batch returned:
	// the row is durable and the message is about to be acked.
	written time.Time
	attempt int
}

// recorder is a sink that keeps, per record, the times the latency
// figures need and nothing else: no entity, no payload. Writing costs a
// lock and an append, so the figures measure the worker, not a database.
type recorder struct {
	mu      sync.Mutex
	rows    []row
	writes  map[string]int // event ID → times written
	byStore map[string]int // store → distinct events written
}

var _ sink.Sink = (*recorder)(nil)

func newRecorder() *recorder {
	return &recorder{writes: map[string]int{}, byStore: map[string]int{}}
}

// Write records recs as written now.
func (r *recorder) Write(_ context.Context, recs []sink.Record) error {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range recs {
		rec := &recs[i]
		r.rows = append(r.rows, row{
			eventID: rec.EventID, store: rec.StoreHash, scope: rec.Scope, status: rec.Enrichment,
			received: rec.ReceivedAt, published: rec.PublishedAt, written: now, attempt: rec.DeliveryAttempt,
		})
		if r.writes[rec.EventID]++; r.writes[rec.EventID] == 1 {
			r.byStore[rec.StoreHash]++
		}
	}
	return nil
}

// Close does nothing: the rows stay for the report.
func (r *recorder) Close(context.Context) error { return nil }

// written returns how many of ids have been written at least once.
func (r *recorder) written(ids []string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, id := range ids {
		if r.writes[id] > 0 {
			n++
		}
	}
	return n
}

// storeCount returns the distinct events of store written so far.
func (r *recorder) storeCount(store string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byStore[store]
}

// snapshot returns the first write of every event, and the number of
// events written more than once.
func (r *recorder) snapshot() (first map[string]row, repeated int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	first = make(map[string]row, len(r.writes))
	for _, w := range r.rows {
		if _, ok := first[w.eventID]; !ok {
			first[w.eventID] = w
		}
	}
	for _, n := range r.writes {
		if n > 1 {
			repeated++
		}
	}
	return first, repeated
}
