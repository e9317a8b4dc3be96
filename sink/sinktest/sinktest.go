// Package sinktest is the conformance suite every sink's tests run, plus
// the helpers they share: realistic records and per-test destinations.
package sinktest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"bcstream/sink"
)

// Options describes the sink under test to Run.
type Options struct {
	// ReadAll returns every record stored in t's destination, in any
	// order, reading it independently of the sink (a fresh connection, a
	// new file handle). Run calls it both while the sink is open, right
	// after a Write returned nil (durable must mean readable), and after
	// Close. It must fail t if it cannot read.
	//
	// ReadAll should also fail t when a nullable column holds a non-NULL
	// zero value (an empty string, 0, a zero time): the Record can only
	// carry zero values, so that strictness is how the suite checks that
	// the sink stores NULL for them.
	ReadAll func(t *testing.T) []sink.Record

	// Idempotent is set for sinks that store an EventID at most once, so
	// that writing the same records again is a no-op.
	Idempotent bool

	// RejectsInvalid is set for sinks that check records with
	// Record.Validate and report invalid ones with a *sink.BatchError
	// while storing the valid ones.
	RejectsInvalid bool

	// TimePrecision is how precisely the sink stores timestamps (for
	// example time.Microsecond for BigQuery); zero means exactly, to the
	// nanosecond. Read-back times may differ from the written ones by up
	// to this much.
	TimePrecision time.Duration
}

// Run runs the conformance suite against the sink that open returns. It
// checks the sink.Sink contract plus what the pipeline relies on:
//
//   - every field round-trips (strings with quotes, control characters and
//     multi-byte UTF-8; JSON as is; timestamps as instants, within
//     TimePrecision), and nullable zero values round-trip as NULL;
//   - a Write that returned nil is readable at once, and Write does not
//     keep references to the batch;
//   - an empty batch is a no-op;
//   - concurrent Writes (run with -race) lose and duplicate nothing;
//   - rewriting stored events is a no-op (if Options.Idempotent);
//   - invalid records are rejected one by one, with ErrRejected in a
//     *sink.BatchError, and the others stored (if Options.RejectsInvalid);
//   - a Write whose ctx is already done fails every record with an error
//     wrapping the ctx's error and stores nothing: the pipeline nacks
//     those records, so storing them would only make duplicates;
//   - Close flushes, a second Close returns nil, and opening the
//     destination again keeps what is there.
//
// Each case runs as a parallel subtest and calls open with its own t: open
// must return a new, empty destination for a t it has not seen, and the
// same destination again when called twice with the same t (that is how
// the suite checks that Close flushed and that reopening keeps the data).
// Path gives such a per-t file name. Run closes every sink it opens.
func Run(t *testing.T, open func(t *testing.T) sink.Sink, opts Options) {
	t.Helper()
	if opts.ReadAll == nil {
		t.Fatal("sinktest.Run: Options.ReadAll is required")
	}
	s := suite{open: open, opts: opts}
	cases := []struct {
		name string
		run  func(t *testing.T)
		skip string
	}{
		{name: "WriteAndReadBack", run: s.writeAndReadBack},
		{name: "ZeroValuesRoundTripAsNull", run: s.zeroValues},
		{name: "EmptyBatchIsNoOp", run: s.emptyBatch},
		{name: "ConcurrentWrites", run: s.concurrentWrites},
		{name: "IdempotentRewrite", run: s.idempotentRewrite, skip: skipUnless(opts.Idempotent, "Idempotent")},
		{name: "RejectedRecordDoesNotFailOthers", run: s.rejected, skip: skipUnless(opts.RejectsInvalid, "RejectsInvalid")},
		{name: "CancelledContext", run: s.cancelledContext},
		{name: "CloseFlushesAndReopenKeepsData", run: s.closeAndReopen},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			tc.run(t)
		})
	}
}

func skipUnless(ok bool, option string) string {
	if ok {
		return ""
	}
	return "sink does not set Options." + option
}

type suite struct {
	open func(t *testing.T) sink.Sink
	opts Options
}

// openSink opens the sink for t and closes it when t ends. Close must be
// idempotent, so cases that close it themselves are fine.
func (s *suite) openSink(t *testing.T) sink.Sink {
	t.Helper()
	sk := s.open(t)
	if sk == nil {
		t.Fatal("open returned a nil sink")
	}
	t.Cleanup(func() {
		if err := sk.Close(context.Background()); err != nil {
			t.Errorf("Close() at cleanup = %v, want nil (Close must be idempotent)", err)
		}
	})
	return sk
}

// writeAndReadBack writes a batch with every kind of value and reads it
// back, field by field. It also clobbers the batch after Write returns,
// which must not change what was stored (Write must not retain recs).
func (s *suite) writeAndReadBack(t *testing.T) {
	sk := s.openSink(t)
	recs := Records(t.Name(), 40)
	for i := range 8 {
		recs = append(recs, tricky(t.Name(), 40+i))
	}
	want := cloneRecords(recs)

	if err := sk.Write(t.Context(), recs); err != nil {
		t.Fatalf("Write() = %v, want nil", err)
	}
	clobber(recs)
	s.wantStored(t, want)
}

// zeroValues writes records whose nullable fields are all zero.
func (s *suite) zeroValues(t *testing.T) {
	sk := s.openSink(t)
	recs := Records(t.Name(), 3)
	for i := range recs {
		r := &recs[i]
		r.EntityID = ""
		r.ChannelID = 0
		r.EventCreatedAt = time.Time{}
		r.PublishedAt = time.Time{}
		r.DeliveryAttempt = 0
		r.Entity = nil
		r.EnrichedAt = time.Time{}
	}
	if err := sk.Write(t.Context(), recs); err != nil {
		t.Fatalf("Write() = %v, want nil", err)
	}
	s.wantStored(t, recs)
}

func (s *suite) emptyBatch(t *testing.T) {
	sk := s.openSink(t)
	for _, recs := range [][]sink.Record{nil, {}} {
		if err := sk.Write(t.Context(), recs); err != nil {
			t.Errorf("Write(%#v) = %v, want nil", recs, err)
		}
	}
	s.wantStored(t, nil)
}

// concurrentWrites writes from several goroutines at once, as the
// pipeline's writers do. Run it with -race.
func (s *suite) concurrentWrites(t *testing.T) {
	const writers, batches, size = 6, 5, 20
	sk := s.openSink(t)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		want []sink.Record
	)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				recs := Records(fmt.Sprintf("%s/%d/%d", t.Name(), w, b), size)
				if err := sk.Write(t.Context(), recs); err != nil {
					t.Errorf("writer %d: Write(batch %d) = %v, want nil", w, b, err)
					return
				}
				mu.Lock()
				want = append(want, recs...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	s.wantStored(t, want)
}

// idempotentRewrite writes a batch, the same batch again, and an
// overlapping batch, as redelivery does; each event must be stored once.
func (s *suite) idempotentRewrite(t *testing.T) {
	sk := s.openSink(t)
	all := Records(t.Name(), 15)
	first, overlap := all[:10], all[5:]
	for i, batch := range [][]sink.Record{first, first, overlap} {
		if err := sk.Write(t.Context(), batch); err != nil {
			t.Fatalf("Write(batch %d) = %v, want nil", i, err)
		}
	}
	s.wantStored(t, all)
}

// rejected writes invalid records among valid ones: the invalid ones must
// be reported as rejected, one by one, and the valid ones stored.
func (s *suite) rejected(t *testing.T) {
	sk := s.openSink(t)
	recs := Records(t.Name(), 8)
	recs[1].StoreHash = ""
	recs[3].Payload = []byte(`{"id":`)
	recs[5].Entity = []byte(`not json`)
	recs[6].ReceivedAt = time.Time{}
	bad := map[int]bool{1: true, 3: true, 5: true, 6: true}

	err := sk.Write(t.Context(), recs)
	var be *sink.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("Write() = %v, want a *sink.BatchError", err)
	}
	if len(be.Errs) != len(recs) {
		t.Fatalf("BatchError has %d entries, want %d", len(be.Errs), len(recs))
	}
	var want []sink.Record
	for i := range recs {
		got := sink.RecordErr(err, i)
		switch {
		case bad[i] && !errors.Is(got, sink.ErrRejected):
			t.Errorf("record %d: error %v, want one wrapping sink.ErrRejected", i, got)
		case !bad[i] && got != nil:
			t.Errorf("record %d: error %v, want nil", i, got)
		case !bad[i]:
			want = append(want, recs[i])
		}
	}
	s.wantStored(t, want)

	// A batch of only invalid records stores nothing and still reports
	// each record.
	err = sk.Write(t.Context(), []sink.Record{recs[1], recs[3]})
	for i := range 2 {
		if got := sink.RecordErr(err, i); !errors.Is(got, sink.ErrRejected) {
			t.Errorf("all-invalid batch, record %d: error %v, want one wrapping sink.ErrRejected", i, got)
		}
	}
	s.wantStored(t, want)
}

// cancelledContext checks that a Write whose ctx is already done fails
// every record with the context's error and stores nothing: the pipeline
// nacks them, so storing them would only create duplicates.
func (s *suite) cancelledContext(t *testing.T) {
	sk := s.openSink(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	recs := Records(t.Name(), 5)
	err := sk.Write(ctx, recs)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Write(cancelled ctx) = %v, want an error wrapping context.Canceled", err)
	}
	for i := range recs {
		if sink.RecordErr(err, i) == nil {
			t.Errorf("record %d reported durable after a cancelled Write", i)
		}
	}
	s.wantStored(t, nil)
}

// closeAndReopen checks that Close flushes, that a second Close is a
// no-op, and that opening the destination again keeps what was stored.
func (s *suite) closeAndReopen(t *testing.T) {
	sk := s.openSink(t)
	first := Records(t.Name()+"/first", 10)
	if err := sk.Write(t.Context(), first); err != nil {
		t.Fatalf("Write() = %v, want nil", err)
	}
	if err := sk.Close(t.Context()); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
	if err := sk.Close(t.Context()); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	s.wantStored(t, first)

	sk = s.openSink(t)
	second := Records(t.Name()+"/second", 10)
	if err := sk.Write(t.Context(), second); err != nil {
		t.Fatalf("Write() after reopening = %v, want nil", err)
	}
	if err := sk.Close(t.Context()); err != nil {
		t.Fatalf("Close() after reopening = %v, want nil", err)
	}
	s.wantStored(t, append(first, second...))
}

// wantStored compares the destination's records with want, ignoring
// order.
func (s *suite) wantStored(t *testing.T, want []sink.Record) {
	t.Helper()
	got := s.opts.ReadAll(t)
	if diff := Diff(want, got, s.opts.TimePrecision); diff != "" {
		t.Errorf("stored records differ from those written:\n%s", diff)
	}
}

// Diff compares two sets of records, ignoring order, and returns a
// description of the differences or "": events missing from got, events
// got has in excess (an event stored twice is one of those), and a go-cmp
// diff (-want +got) for each event in both that differs. Timestamps
// compare as instants (the zone does not matter) within precision; a nil
// and an empty JSON value are equal.
func Diff(want, got []sink.Record, precision time.Duration) string {
	byID := func(a, b sink.Record) int { return cmp.Compare(a.EventID, b.EventID) }
	want = slices.SortedStableFunc(slices.Values(want), byID)
	got = slices.SortedStableFunc(slices.Values(got), byID)
	opts := gocmp.Options{
		cmpopts.EquateApproxTime(precision),
		// As text: readable diffs, and much faster than comparing
		// byte slices element by element. nil and empty are both "".
		gocmp.Transformer("string", func(m json.RawMessage) string { return string(m) }),
	}

	// Walk both sorted lists together, comparing record by record: far
	// cheaper than diffing the slices, and it names what is missing.
	var b strings.Builder
	for w, g := 0, 0; w < len(want) || g < len(got); {
		switch {
		case g == len(got) || (w < len(want) && want[w].EventID < got[g].EventID):
			fmt.Fprintf(&b, "missing event %q\n", want[w].EventID)
			w++
		case w == len(want) || got[g].EventID < want[w].EventID:
			fmt.Fprintf(&b, "unexpected event %q (stored twice, or never written)\n", got[g].EventID)
			g++
		default:
			if d := gocmp.Diff(want[w], got[g], opts); d != "" {
				fmt.Fprintf(&b, "event %q:\n%s", want[w].EventID, d)
			}
			w++
			g++
		}
	}
	return b.String()
}

func cloneRecords(recs []sink.Record) []sink.Record {
	out := slices.Clone(recs)
	for i := range out {
		out[i].Payload = slices.Clone(out[i].Payload)
		out[i].Entity = slices.Clone(out[i].Entity)
	}
	return out
}

// clobber overwrites recs in place, including the JSON bytes they share
// with no one else, so that a sink that kept references would store junk.
func clobber(recs []sink.Record) {
	for i := range recs {
		for j := range recs[i].Payload {
			recs[i].Payload[j] = 'X'
		}
		for j := range recs[i].Entity {
			recs[i].Entity[j] = 'X'
		}
		recs[i] = sink.Record{EventID: "clobbered"}
	}
}

// Path returns the path of a file called name in a temporary directory
// that belongs to t: the same path for every call with the same t and
// name, a different one for every other t. It is how a sink's open and
// ReadAll functions agree on t's destination.
func Path(t testing.TB, name string) string {
	t.Helper()
	pathsMu.Lock()
	defer pathsMu.Unlock()
	dir, ok := paths[t]
	if !ok {
		dir = t.TempDir()
		paths[t] = dir
		t.Cleanup(func() {
			pathsMu.Lock()
			delete(paths, t)
			pathsMu.Unlock()
		})
	}
	return filepath.Join(dir, name)
}

var (
	pathsMu sync.Mutex
	paths   = map[testing.TB]string{}
)
