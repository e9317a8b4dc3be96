package pipeline_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"bcstream/pipeline"
	"bcstream/sink"
)

// The instruments the README lists are recorded with the right counts.
func TestPipelineMetrics(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	f := newFixture(t)
	ok := event("abc123", "store/order/created", 1, hashOf(1), time.Now().Unix()-5)
	f.publish(t, ok, ok, []byte(`{oops`),
		event("abc123", "store/loyalty/points/updated", 2, hashOf(2), time.Now().Unix()))
	p, err := pipeline.New(f.cfg, pipeline.Deps{Client: f.client, Sink: f.sink, MeterProvider: mp,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	waitFor(t, "all settled", 10*time.Second, func() bool { return p.Stats().Settled() == 4 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	counts := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					sums[m.Name] += dp.Value
				}
			case metricdata.Histogram[int64]:
				for _, dp := range d.DataPoints {
					counts[m.Name] += dp.Count
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					counts[m.Name] += dp.Count
				}
			}
		}
	}
	wantSums := map[string]int64{
		"bcstream.messages.received":      4,
		"bcstream.messages.duplicates":    1,
		"bcstream.messages.dead_lettered": 1,
		"bcstream.messages.acked":         4,
		"bcstream.events.unknown_scope":   1,
	}
	for name, want := range wantSums {
		if sums[name] != want {
			t.Errorf("%s = %d, want %d", name, sums[name], want)
		}
	}
	for _, name := range []string{"bcstream.batch.size", "bcstream.sink.write.duration", "bcstream.event.lag"} {
		if counts[name] == 0 {
			t.Errorf("histogram %s recorded nothing", name)
		}
	}
}

// failOnce fails its first write as a whole, then writes through.
type failOnce struct {
	sink.Sink
	failed atomic.Bool
}

func (s *failOnce) Write(ctx context.Context, recs []sink.Record) error {
	if s.failed.CompareAndSwap(false, true) {
		return errors.New("injected: destination unavailable")
	}
	return s.Sink.Write(ctx, recs)
}

// bcstream.sink.write.failures counts a failed batch as "failed" and a
// batch with records refused for good as "rejected".
func TestPipelineSinkFailureMetric(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	f := newFixture(t)
	f.publish(t, event("abc123", "store/order/updated", 13, hashOf(13), 1_760_000_000))
	p, err := pipeline.New(f.cfg, pipeline.Deps{Client: f.client, Sink: &failOnce{Sink: rejectingSink{f.sink}}, MeterProvider: mp,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	waitFor(t, "dead-lettered after a failed write", 15*time.Second, func() bool { return p.Stats().DeadLettered == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "bcstream.sink.write.failures" {
				for _, dp := range d.DataPoints {
					v, _ := dp.Attributes.Value("result")
					got[v.AsString()] += dp.Value
				}
			}
		}
	}
	if got["failed"] != 1 || got["rejected"] != 1 || len(got) != 2 {
		t.Fatalf("bcstream.sink.write.failures by result = %v, want failed 1 and rejected 1", got)
	}
}
