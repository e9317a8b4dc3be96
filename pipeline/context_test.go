package pipeline_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"bcstream/bigcommerce"
	"bcstream/pipeline"
	"bcstream/sink"
)

type runValueKey struct{}

// valueEnricher defers every record to Enrich and notes the value of
// runValueKey in each context Enrich gets.
type valueEnricher struct {
	mu   sync.Mutex
	seen []any
}

func (e *valueEnricher) Prepare(*bigcommerce.Event, *sink.Record) (bool, error) { return false, nil }

func (e *valueEnricher) Enrich(ctx context.Context, _ *bigcommerce.Event, rec *sink.Record) error {
	e.mu.Lock()
	e.seen = append(e.seen, ctx.Value(runValueKey{}))
	e.mu.Unlock()
	rec.Enrichment = sink.EnrichmentSkipped
	return nil
}

// TestWorkContextCarriesRunValues checks that, with tracing off, the
// context a message is processed under still carries the values of Run's
// context: the pipeline then uses its life context instead of wrapping
// the callback's, on the grounds that the two carry the same values.
func TestWorkContextCarriesRunValues(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 3 {
		f.publish(t, event("abc123", "store/order/updated", i, hashOf(i), 1_760_000_000))
	}
	enr := &valueEnricher{}
	p, err := pipeline.New(f.cfg, pipeline.Deps{
		Client: f.client, Sink: f.sink, Enricher: enr, WorkerVersion: "test",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithValue(t.Context(), runValueKey{}, "from Run"))
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	waitFor(t, "3 events written", 10*time.Second, func() bool { return p.Stats().Written == 3 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run() = %v", err)
	}

	enr.mu.Lock()
	defer enr.mu.Unlock()
	if len(enr.seen) != 3 {
		t.Fatalf("Enrich ran %d times, want 3", len(enr.seen))
	}
	for i, v := range enr.seen {
		if v != "from Run" {
			t.Errorf("Enrich call %d saw value %v, want the one in Run's context", i, v)
		}
	}
}
