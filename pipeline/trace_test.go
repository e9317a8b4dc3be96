package pipeline_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"bcstream/pipeline"
)

// With the Pub/Sub client's tracing on, the pipeline's stage spans are
// children of the library's per-message "process" span, and the batch's
// sink.write span links back to the messages. The library reads the
// global tracer provider, so this test sets it and does not run in
// parallel.
func TestPipelineSpansNestUnderPubSubProcessSpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	f := newFixture(t)
	conn, err := grpc.NewClient(f.srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	traced, err := pubsub.NewClientWithConfig(t.Context(), project, &pubsub.ClientConfig{EnableOpenTelemetryTracing: true}, option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { traced.Close() })

	f.publish(t, event("abc123", "store/order/created", 42, hashOf(42), 1_760_000_000), []byte(`{bad`))
	p, err := pipeline.New(f.cfg, pipeline.Deps{Client: traced, Sink: f.sink, TracerProvider: tp,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	waitFor(t, "both settled", 10*time.Second, func() bool { return p.Stats().Settled() == 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	tp.ForceFlush(t.Context())

	byID := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byID[s.SpanContext().SpanID().String()] = s
	}
	parentName := func(s sdktrace.ReadOnlySpan) string {
		if p, ok := byID[s.Parent().SpanID().String()]; ok {
			return p.Name()
		}
		return ""
	}
	attr := func(s sdktrace.ReadOnlySpan, k attribute.Key) string {
		for _, a := range s.Attributes() {
			if a.Key == k {
				return a.Value.String()
			}
		}
		return ""
	}
	stages := map[string]int{}
	var write sdktrace.ReadOnlySpan
	outcomes := map[string]bool{}
	for _, s := range rec.Ended() {
		switch s.Name() {
		case "decode", "dedupe", "enrich", "sink.wait":
			if pn := parentName(s); pn != f.top.Subscription+" process" {
				t.Errorf("span %q has parent %q, want the library's %q", s.Name(), pn, f.top.Subscription+" process")
			}
			stages[s.Name()]++
		case "sink.write":
			write = s
		case f.top.Subscription + " process":
			outcomes[attr(s, "bcstream.outcome")] = true
			if attr(s, "bcstream.outcome") == "written" {
				if got := attr(s, "bigcommerce.scope"); got != "store/order/created" {
					t.Errorf("process span scope = %q", got)
				}
				if got := attr(s, "bigcommerce.entity_id"); got != "42" {
					t.Errorf("process span entity_id = %q", got)
				}
			}
		}
	}
	// Two messages are decoded; only the valid one goes further.
	if stages["decode"] != 2 || stages["dedupe"] != 1 || stages["enrich"] != 1 || stages["sink.wait"] != 1 {
		t.Errorf("stage spans = %v", stages)
	}
	if !outcomes["written"] || !outcomes["dead_lettered"] {
		t.Errorf("process span outcomes = %v, want written and dead_lettered", outcomes)
	}
	if write == nil {
		t.Fatal("no sink.write span")
	}
	if len(write.Links()) != 1 {
		t.Errorf("sink.write has %d links, want 1 (the written message)", len(write.Links()))
	}
}
