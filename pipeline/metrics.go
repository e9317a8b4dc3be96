package pipeline

import (
	"context"
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"bcstream/sink"
)

// meterName is the instrumentation scope of the pipeline's metrics.
const meterName = "bcstream/pipeline"

// metrics records what happens to messages twice: as OpenTelemetry
// instruments (exported when OTEL_METRICS_EXPORTER is set) and as plain
// counters behind Stats, which the local run's progress line and the
// shutdown summary read without an exporter.
type metrics struct {
	received, written, duplicates, poisoned, nackedN, unknownScopes atomic.Int64
	firstReceived, lastSettled                                      atomic.Int64 // Unix nanoseconds

	mu       sync.Mutex
	byReason map[string]int64

	mReceived   metric.Int64Counter
	mDuplicates metric.Int64Counter
	mPoison     metric.Int64Counter
	mAcked      metric.Int64Counter
	mNacked     metric.Int64Counter
	mUnknown    metric.Int64Counter
	mSinkFail   metric.Int64Counter
	mBatchSize  metric.Int64Histogram
	mSinkTime   metric.Float64Histogram
	mLag        metric.Float64Histogram
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	m := &metrics{byReason: make(map[string]int64)}
	meter := mp.Meter(meterName)
	var err error
	counter := func(name, desc string) metric.Int64Counter {
		if err != nil {
			return nil
		}
		var c metric.Int64Counter
		c, err = meter.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit("{message}"))
		return c
	}
	m.mReceived = counter("bcstream.messages.received", "Messages received from the subscription.")
	m.mDuplicates = counter("bcstream.messages.duplicates", "Messages acked without writing because their event was already written.")
	m.mPoison = counter("bcstream.messages.dead_lettered", "Messages sent to the dead-letter topic, by reason.")
	m.mAcked = counter("bcstream.messages.acked", "Messages acked.")
	m.mNacked = counter("bcstream.messages.nacked", "Messages nacked for redelivery, by cause.")
	m.mUnknown = counter("bcstream.events.unknown_scope", "Events whose scope is not in the catalog (recorded with entity type unknown).")
	m.mSinkFail = counter("bcstream.sink.write.failures", "Batch writes that failed: result failed (the whole batch; its messages are nacked) or rejected (some records refused for good; they are dead-lettered).")
	if err != nil {
		return nil, err
	}
	if m.mBatchSize, err = meter.Int64Histogram("bcstream.batch.size", metric.WithDescription("Records per sink batch."), metric.WithUnit("{record}"),
		metric.WithExplicitBucketBoundaries(1, 10, 50, 100, 250, 500, 1000, 5000)); err != nil {
		return nil, err
	}
	if m.mSinkTime, err = meter.Float64Histogram("bcstream.sink.write.duration", metric.WithDescription("Time to write one batch to the sinks."), metric.WithUnit("s")); err != nil {
		return nil, err
	}
	if m.mLag, err = meter.Float64Histogram("bcstream.event.lag", metric.WithDescription("End-to-end lag: received_at minus the event's created_at."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) receivedOne(ctx context.Context, now time.Time) {
	m.received.Add(1)
	m.firstReceived.CompareAndSwap(0, now.UnixNano())
	m.mReceived.Add(ctx, 1)
}

func (m *metrics) lag(ctx context.Context, d time.Duration) { m.mLag.Record(ctx, d.Seconds()) }

// unknownScope counts an event whose scope the catalog lacks. The scope
// is not a metric label: scopes come from the payload, and an attribute
// fed by untrusted input would have unbounded cardinality. The pipeline
// logs each new one instead.
func (m *metrics) unknownScope(ctx context.Context) {
	m.unknownScopes.Add(1)
	m.mUnknown.Add(ctx, 1)
}

func (m *metrics) settled() { m.lastSettled.Store(time.Now().UnixNano()) }

// acked counts an ack. Written records are counted, and lastSettled
// moved, by their batch's writer (wrote); the other fates call settled
// themselves.
func (m *metrics) acked(ctx context.Context) { m.mAcked.Add(ctx, 1) }

// wrote counts n events of one batch written at at (their acks follow).
func (m *metrics) wrote(n int, at time.Time) {
	if n == 0 {
		return
	}
	m.written.Add(int64(n))
	m.lastSettled.Store(at.UnixNano())
}

func (m *metrics) duplicate(ctx context.Context) {
	m.duplicates.Add(1)
	m.mDuplicates.Add(ctx, 1)
	m.settled()
}

func (m *metrics) poison(ctx context.Context, reason string) {
	m.poisoned.Add(1)
	m.mu.Lock()
	m.byReason[reason]++
	m.mu.Unlock()
	m.mPoison.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", reason)))
	m.settled()
}

func (m *metrics) nacked(ctx context.Context, cause string) {
	m.nackedN.Add(1)
	m.mNacked.Add(ctx, 1, metric.WithAttributes(attribute.String("cause", cause)))
	m.settled()
}

func (m *metrics) batch(ctx context.Context, n int, took time.Duration, err error) {
	m.mBatchSize.Record(ctx, int64(n))
	m.mSinkTime.Record(ctx, took.Seconds())
	if err != nil {
		result := "failed"
		if be := (*sink.BatchError)(nil); errors.As(err, &be) {
			result = "rejected"
		}
		m.mSinkFail.Add(ctx, 1, metric.WithAttributes(attribute.String("result", result)))
	}
}

// Stats is a snapshot of the pipeline's counters since it started.
type Stats struct {
	Received      int64 // messages received
	Written       int64 // events written to every sink
	Duplicates    int64 // messages acked as duplicates of written events
	DeadLettered  int64 // messages dead-lettered
	Nacked        int64 // nacks (a message may be nacked more than once)
	UnknownScopes int64 // written events whose scope is not in the catalog
	// DeadLetteredByReason splits DeadLettered by reason.
	DeadLetteredByReason map[string]int64
	// FirstReceived and LastSettled bound the busy period (zero if none).
	FirstReceived, LastSettled time.Time
}

// Settled is the number of messages acked for good: written, duplicate or
// dead-lettered. Written events are counted when their batch is written,
// just before their callbacks ack them, so Settled can run a moment
// ahead of the acks.
func (s Stats) Settled() int64 { return s.Written + s.Duplicates + s.DeadLettered }

func (m *metrics) snapshot() Stats {
	s := Stats{
		Received:      m.received.Load(),
		Written:       m.written.Load(),
		Duplicates:    m.duplicates.Load(),
		DeadLettered:  m.poisoned.Load(),
		Nacked:        m.nackedN.Load(),
		UnknownScopes: m.unknownScopes.Load(),
	}
	m.mu.Lock()
	s.DeadLetteredByReason = maps.Clone(m.byReason)
	m.mu.Unlock()
	if v := m.firstReceived.Load(); v != 0 {
		s.FirstReceived = time.Unix(0, v)
	}
	if v := m.lastSettled.Load(); v != 0 {
		s.LastSettled = time.Unix(0, v)
	}
	return s
}
