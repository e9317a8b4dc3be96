package sink

import (
	"context"
	"sync"
)

// fakeSink is an in-memory Sink for tests. By default it stores every
// record; writeFn, if set, decides the result instead (and nothing is
// stored for records it fails).
type fakeSink struct {
	writeFn  func(ctx context.Context, recs []Record) error
	closeErr error

	mu     sync.Mutex
	stored []Record
	closed int
}

var _ Sink = (*fakeSink)(nil)

func (f *fakeSink) Write(ctx context.Context, recs []Record) error {
	var err error
	if f.writeFn != nil {
		err = f.writeFn(ctx, recs)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range recs {
		if RecordErr(err, i) == nil {
			f.stored = append(f.stored, recs[i])
		}
	}
	return err
}

func (f *fakeSink) Close(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
	return f.closeErr
}

func (f *fakeSink) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, r := range f.stored {
		ids = append(ids, r.EventID)
	}
	return ids
}

func (f *fakeSink) closeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// records returns n records with IDs "0", "1", ….
func records(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		recs[i].EventID = string(rune('0' + i))
	}
	return recs
}
