package bigquery_test

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"bcstream/sink"
	"bcstream/sink/bigquery"
	"bcstream/sink/sinktest"
)

// benchBatches are the batch sizes of the sweep. The pipeline's default
// BATCH_MAX_ROWS is 500.
var benchBatches = []int{50, 100, 500, 1000, 2000}

// BenchmarkWriteFake writes realistic records (half with a ~600-byte
// enriched entity) through Write to the in-process Storage Write fake,
// which counts the rows without decoding them, sweeping the batch size.
// It reports rows/s, CPU per row (this process: the sink, the client
// library and the fake's gRPC receive) and the bytes per row of the
// AppendRows requests on the wire.
func BenchmarkWriteFake(b *testing.B) {
	for _, n := range benchBatches {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			srv := startFake(b)
			srv.SetDiscard(true)
			s := openFake(b, srv, "events")
			benchWrite(b, s, n, func() int64 { return srv.Stats().RequestBytes })
		})
	}
}

// benchWrite runs the write loop and reports the metrics; wire returns
// the request bytes sent so far, or nil when unknown.
func benchWrite(b *testing.B, s *bigquery.Sink, batch int, wire func() int64) {
	tmpl := sinktest.Records(b.Name(), batch)
	recs := make([]sink.Record, batch)
	rng := rand.New(rand.NewPCG(1, 2))
	rows := 0
	var wire0 int64
	if wire != nil {
		wire0 = wire()
	}
	cpu0 := processCPU(b)
	for b.Loop() {
		copy(recs, tmpl)
		for j := range recs {
			recs[j].EventID = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
		}
		if err := s.Write(b.Context(), recs); err != nil {
			b.Fatal(err)
		}
		rows += batch
	}
	cpu := processCPU(b) - cpu0
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(rows), "cpu-ns/row")
	if wire != nil {
		b.ReportMetric(float64(wire()-wire0)/float64(rows), "wire-B/row")
	}
}

// processCPU returns the user+system CPU time the process has used.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWriteEmulator writes through the same loop to
// goccy/bigquery-emulator (a separate process, so cpu-ns/row is the
// client's alone). The emulator stores rows in SQLite one by one, so its
// rows/s is the emulator's speed, not BigQuery's.
func BenchmarkWriteEmulator(b *testing.B) {
	for _, n := range []int{100, 500} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			// One emulator per table: see perTest.
			e := startEmulator(b)
			s := e.open(b, e.dataset())
			benchWrite(b, s, n, nil)
		})
	}
}
