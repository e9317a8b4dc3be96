package sink_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sethvargo/go-envconfig"

	"bcstream/sink"
)

// printSink is a toy sink that prints one line per record. A real sink
// lives in its own package, sink/<name>, and has its own Config.
type printSink struct {
	w      io.Writer
	prefix string
}

// newPrintSink is the factory: it reads its settings (PRINT_PREFIX) from
// the lookuper it is given, never from the process environment directly,
// so that tests can pass an envconfig.MapLookuper.
func newPrintSink(_ context.Context, l envconfig.Lookuper) (sink.Sink, error) {
	prefix, ok := l.Lookup("PRINT_PREFIX")
	if !ok {
		prefix = "event"
	}
	return &printSink{w: os.Stdout, prefix: prefix}, nil
}

// Sinks register themselves from init, so that a blank import of the
// package is what compiles the sink into the worker.
func init() { sink.Register("print", newPrintSink) }

func (p *printSink) Write(ctx context.Context, recs []sink.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("print: %w", err)
	}
	errs := make([]error, len(recs))
	failed := false
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			errs[i], failed = err, true
			continue
		}
		fmt.Fprintln(p.w, p.prefix, recs[i].Scope, recs[i].EventID)
	}
	if failed {
		return &sink.BatchError{Errs: errs}
	}
	return nil
}

func (p *printSink) Close(context.Context) error { return nil }

func Example() {
	ctx := context.Background()
	// The worker passes the names from SINKS and envconfig.OsLookuper().
	s, err := sink.Open(ctx, []string{"print"}, envconfig.MapLookuper(map[string]string{
		"PRINT_PREFIX": "stored",
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close(ctx)

	recs := []sink.Record{
		{
			EventID: "9f2c…", StoreHash: "abc123", StoreID: "1025646", Scope: "store/order/created",
			EntityType: "order", EntityID: "250", EventHash: "5c1e…", ReceivedAt: time.Now(),
			MessageID: "17000000000000000", Payload: []byte(`{"type":"order","id":250}`),
			Enrichment: sink.EnrichmentSkipped, WorkerVersion: "dev",
		},
		{EventID: "invalid: no store hash"},
	}
	err = s.Write(ctx, recs)
	for i := range recs {
		fmt.Printf("record %d: %v\n", i, sink.RecordErr(err, i))
	}

	fmt.Println(sink.Registered())
	_, err = sink.Open(ctx, []string{"print", "nope"}, envconfig.MapLookuper(nil))
	fmt.Println(err)
	// Output:
	// stored store/order/created 9f2c…
	// record 0: <nil>
	// record 1: record rejected by sink: store_hash is empty
	// [print]
	// open sinks: unknown or uncompiled sink "nope" (have: print)
}
