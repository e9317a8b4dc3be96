package sqlite_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"

	"bcstream/sink"
	"bcstream/sink/sinktest"
)

// BenchmarkWrite writes batches of 500 realistic records (half with a
// ~600-byte enriched entity) through Write, each batch one committed,
// fsynced transaction, and reports rows/s and CPU time per row.
//
// Like live traffic, every batch has new event IDs, random like the real
// ones (a hash), so each row is a real insert landing anywhere in the
// primary-key index; and time and entity IDs move forward from batch to
// batch, so the other indexes grow at their ends. The table grows as the
// benchmark runs, and the cost per row grows with it (the random
// primary-key index outgrows the page cache): compare runs at the same
// -benchtime (e.g. 200x = 100k rows, 2000x = 1M rows).
func BenchmarkWrite(b *testing.B) {
	const batch = 500
	s := openSink(b, sinktest.Path(b, dbName))
	defer s.Close(b.Context())

	tmpl := sinktest.Records(b.Name(), batch)
	recs := make([]sink.Record, batch)
	rng := rand.New(rand.NewPCG(1, 2))
	rows := 0
	cpu0 := processCPU(b)
	for n := 0; b.Loop(); n++ {
		// Preparing the batch is cheap next to inserting it, so it is
		// left in the timing.
		shift := time.Duration(n) * 500 * time.Millisecond // 1000 events/s of event time
		copy(recs, tmpl)
		for j := range recs {
			r := &recs[j]
			r.EventID = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
			if r.EntityID != "" {
				r.EntityID = strconv.Itoa(100000 + n*batch + j)
			}
			for _, t := range []*time.Time{&r.EventCreatedAt, &r.PublishedAt, &r.ReceivedAt, &r.EnrichedAt} {
				if !t.IsZero() {
					*t = t.Add(shift)
				}
			}
		}
		if err := s.Write(b.Context(), recs); err != nil {
			b.Fatal(err)
		}
		rows += batch
	}
	cpu := processCPU(b) - cpu0
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
	// CPU time is what the 2-core budget is about, and unlike wall time it
	// is not inflated by other processes sharing the machine.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(rows), "cpu-ns/row")
}

// processCPU returns the user+system CPU time the process has used.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
