package sink

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// Fanout is a Sink that writes every batch to several sinks concurrently.
// Open returns one when SINKS names more than one sink.
//
// A record is durable only when every sink has stored it, so Write reports
// a record as failed if any sink failed it. Its error wraps ErrRejected if
// any sink rejected it permanently: a sink that will never accept the
// record makes retrying pointless, even if another sink's failure was
// transient. Otherwise the error is transient and the record is redelivered.
//
// Redelivery writes the record to every sink again, including those that
// had already stored it. That is why sinks should be idempotent on
// Record.EventID: the sqlite sink is (a second insert of an event_id is a
// no-op); the jsonl sink is append-only and then holds the record twice,
// which its readers must tolerate by deduplicating on event_id.
//
// The sinks receive the same recs slice at the same time, so they must
// treat it as read-only (the Sink contract already forbids retaining it).
type Fanout struct {
	sinks []Sink
}

var _ Sink = (*Fanout)(nil)

// NewFanout returns a Fanout over sinks, which it owns from then on:
// Fanout.Close closes them. It panics if sinks is empty.
func NewFanout(sinks ...Sink) *Fanout {
	if len(sinks) == 0 {
		panic("sink: NewFanout with no sinks")
	}
	return &Fanout{sinks: slices.Clone(sinks)}
}

// Write writes recs to every sink concurrently and waits for all of them.
// It returns nil if every sink stored every record; a plain error if no
// sink reported per-record results (then each record failed in at least
// one sink as a whole); otherwise a *BatchError with, for each record, the
// errors of the sinks that failed it, joined.
func (f *Fanout) Write(ctx context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	errs := make([]error, len(f.sinks))
	var wg sync.WaitGroup
	for i, s := range f.sinks[1:] {
		wg.Go(func() { errs[i+1] = s.Write(ctx, recs) })
	}
	// The first sink runs on this goroutine: one goroutine fewer per batch.
	errs[0] = f.sinks[0].Write(ctx, recs)
	wg.Wait()
	return mergeResults(len(recs), errs)
}

// Close closes every sink concurrently and joins their errors. Each sink
// gets ctx, so one slow sink does not eat into the others' time.
func (f *Fanout) Close(ctx context.Context) error {
	return closeConcurrently(ctx, f.sinks)
}

// mergeResults combines the Write results of several sinks for a batch of
// n records, as described on Fanout.Write.
func mergeResults(n int, errs []error) error {
	var failed, perRecord bool
	for _, err := range errs {
		if err == nil {
			continue
		}
		failed = true
		var be *BatchError
		if errors.As(err, &be) {
			perRecord = true
		}
	}
	switch {
	case !failed:
		return nil
	case !perRecord:
		return joinNonNil(errs)
	}

	recErrs := make([]error, n)
	scratch := make([]error, 0, len(errs))
	anyFailed := false
	for i := range recErrs {
		scratch = scratch[:0]
		for _, err := range errs {
			if e := RecordErr(err, i); e != nil {
				scratch = append(scratch, e)
			}
		}
		if len(scratch) > 0 {
			recErrs[i] = joinNonNil(scratch)
			anyFailed = true
		}
	}
	if !anyFailed {
		// Every sink that returned a *BatchError had only nil entries.
		return nil
	}
	return &BatchError{Errs: recErrs}
}

// joinNonNil is errors.Join, except that a single error is returned as is
// rather than wrapped, which keeps messages and allocations small in the
// common case of one failing sink.
func joinNonNil(errs []error) error {
	var only error
	n := 0
	for _, err := range errs {
		if err != nil {
			only = err
			n++
		}
	}
	if n <= 1 {
		return only
	}
	return errors.Join(errs...)
}

// closeConcurrently closes sinks in parallel and joins their errors.
func closeConcurrently(ctx context.Context, sinks []Sink) error {
	errs := make([]error, len(sinks))
	var wg sync.WaitGroup
	for i, s := range sinks {
		wg.Go(func() { errs[i] = s.Close(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
