package pipeline_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"bcstream/pipeline"
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
