package sink

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	errTransient = errors.New("transient")
	errBad       = fmt.Errorf("bad record: %w", ErrRejected)
)

// outcome summarises a record's error: "ok", "rejected" or "transient".
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrRejected):
		return "rejected"
	default:
		return "transient"
	}
}

func TestMergeResults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		errs []error // one per sink, for a batch of 3
		want []string
		// wantBatch is whether the result must be a *BatchError (per
		// record) rather than a plain error for the whole batch.
		wantBatch bool
	}{
		{name: "all ok", errs: []error{nil, nil}, want: []string{"ok", "ok", "ok"}},
		{name: "one sink fails whole batch", errs: []error{errTransient, nil}, want: []string{"transient", "transient", "transient"}},
		{name: "one sink rejects whole batch", errs: []error{nil, errBad}, want: []string{"rejected", "rejected", "rejected"}},
		{
			name:      "one sink rejects one record",
			errs:      []error{&BatchError{Errs: []error{nil, errBad, nil}}, nil},
			want:      []string{"ok", "rejected", "ok"},
			wantBatch: true,
		},
		{
			name: "rejection wins over transient failure of the same record",
			errs: []error{
				&BatchError{Errs: []error{nil, errBad, nil}},
				&BatchError{Errs: []error{nil, errTransient, errTransient}},
			},
			want:      []string{"ok", "rejected", "transient"},
			wantBatch: true,
		},
		{
			name:      "whole-batch failure and per-record rejection",
			errs:      []error{errTransient, &BatchError{Errs: []error{errBad, nil, nil}}},
			want:      []string{"rejected", "transient", "transient"},
			wantBatch: true,
		},
		{name: "batch error with no failures", errs: []error{&BatchError{Errs: make([]error, 3)}, nil}, want: []string{"ok", "ok", "ok"}},
		{
			name:      "short batch error fails the records it omits",
			errs:      []error{&BatchError{Errs: []error{nil}}, nil},
			want:      []string{"ok", "transient", "transient"},
			wantBatch: true,
		},
		{name: "three sinks", errs: []error{nil, nil, &BatchError{Errs: []error{nil, nil, errBad}}}, want: []string{"ok", "ok", "rejected"}, wantBatch: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := mergeResults(3, tc.errs)
			var got []string
			for i := range 3 {
				got = append(got, outcome(RecordErr(err, i)))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("per-record outcomes mismatch (-want +got):\n%s\nerror: %v", diff, err)
			}
			var be *BatchError
			if isBatch := errors.As(err, &be); err != nil && isBatch != tc.wantBatch {
				t.Errorf("mergeResults() = %T, want *BatchError: %v", err, tc.wantBatch)
			}
			if be != nil && len(be.Errs) != 3 {
				t.Errorf("BatchError has %d entries, want 3", len(be.Errs))
			}
		})
	}
}

// TestMergeResultsKeepsBothCauses checks that a record failed by two
// sinks reports both errors.
func TestMergeResultsKeepsBothCauses(t *testing.T) {
	t.Parallel()
	err := mergeResults(1, []error{
		&BatchError{Errs: []error{errBad}},
		&BatchError{Errs: []error{errTransient}},
	})
	rec := RecordErr(err, 0)
	if !errors.Is(rec, errBad) || !errors.Is(rec, errTransient) {
		t.Errorf("record error %v, want both causes", rec)
	}
}

// TestFanoutWrite runs a Fanout over two in-memory sinks, one of which
// rejects some records and fails others transiently.
func TestFanoutWrite(t *testing.T) {
	t.Parallel()
	good := &fakeSink{}
	picky := &fakeSink{writeFn: func(_ context.Context, recs []Record) error {
		errs := make([]error, len(recs))
		errs[1] = errBad
		errs[3] = errTransient
		return &BatchError{Errs: errs}
	}}
	f := NewFanout(good, picky)

	err := f.Write(t.Context(), records(5))
	var got []string
	for i := range 5 {
		got = append(got, outcome(RecordErr(err, i)))
	}
	if diff := cmp.Diff([]string{"ok", "rejected", "ok", "transient", "ok"}, got); diff != "" {
		t.Errorf("outcomes mismatch (-want +got):\n%s", diff)
	}
	// The good sink stored everything, including the records that failed
	// elsewhere: on redelivery it will see records 1 and 3 again.
	if diff := cmp.Diff([]string{"0", "1", "2", "3", "4"}, good.ids()); diff != "" {
		t.Errorf("good sink stored (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"0", "2", "4"}, picky.ids()); diff != "" {
		t.Errorf("picky sink stored (-want +got):\n%s", diff)
	}
}

// TestFanoutWritesConcurrently checks that the sinks are written at the
// same time: each one waits until the other has started.
func TestFanoutWritesConcurrently(t *testing.T) {
	t.Parallel()
	started := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	meet := func(me, other int) *fakeSink {
		return &fakeSink{writeFn: func(ctx context.Context, _ []Record) error {
			close(started[me])
			select {
			case <-started[other]:
				return nil
			case <-time.After(5 * time.Second):
				return errors.New("the other sink never started: writes are sequential")
			}
		}}
	}
	f := NewFanout(meet(0, 1), meet(1, 0))
	if err := f.Write(t.Context(), records(2)); err != nil {
		t.Error(err)
	}
}

func TestFanoutEmptyBatch(t *testing.T) {
	t.Parallel()
	called := false
	f := NewFanout(&fakeSink{writeFn: func(context.Context, []Record) error {
		called = true
		return nil
	}})
	if err := f.Write(t.Context(), nil); err != nil || called {
		t.Errorf("Write(nil) = %v, sink called: %v; want nil and not called", err, called)
	}
}

func TestFanoutClose(t *testing.T) {
	t.Parallel()
	errA, errB := errors.New("a failed"), errors.New("b failed")
	a, b, c := &fakeSink{closeErr: errA}, &fakeSink{closeErr: errB}, &fakeSink{}
	err := NewFanout(a, b, c).Close(t.Context())
	if !errors.Is(err, errA) || !errors.Is(err, errB) {
		t.Errorf("Close() = %v, want both close errors", err)
	}
	for i, s := range []*fakeSink{a, b, c} {
		if n := s.closeCount(); n != 1 {
			t.Errorf("sink %d closed %d times, want 1", i, n)
		}
	}
}

func TestNewFanoutPanicsWithoutSinks(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("NewFanout() did not panic")
		}
	}()
	NewFanout()
}
