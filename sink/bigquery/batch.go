package bigquery

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"bcstream/sink"
)

// rowOverhead is what one row adds to a request besides its own bytes:
// the repeated field's tag and length prefix.
const rowOverhead = 6

// batch is one Write in progress: the encoded rows and each record's
// outcome so far.
type batch struct {
	s    *Sink
	recs []sink.Record
	rows [][]byte // encoded row per record; nil when rejected before sending
	errs []error  // outcome per record; nil = durable (once sent)
}

// newBatch validates and encodes recs. The rows share one buffer sized
// from the records' own size estimate, so a batch costs a couple of
// allocations however many rows it has; nothing refers to recs after it.
func newBatch(s *Sink, recs []sink.Record) *batch {
	b := &batch{s: s, recs: recs, rows: make([][]byte, len(recs)), errs: make([]error, len(recs))}
	size := 0
	for i := range recs {
		size += recs[i].Size()
	}
	buf := make([]byte, 0, size)
	for i := range recs {
		r := &recs[i]
		if err := r.Validate(); err != nil {
			b.errs[i] = fmt.Errorf("bigquery: event %q: %w", r.EventID, err)
			continue
		}
		start := len(buf)
		buf = s.enc.appendRow(buf, r)
		if n := len(buf) - start; n+rowOverhead > s.maxRequestBytes {
			// Such a row fits in no request; BigQuery would refuse it
			// on every redelivery.
			b.errs[i] = fmt.Errorf("bigquery: event %q: %w: row of %d bytes exceeds the %d-byte request limit", r.EventID, sink.ErrRejected, n, s.maxRequestBytes)
			buf = buf[:start]
			continue
		}
		// If buf grows, earlier rows keep pointing into the old array,
		// which stays valid.
		b.rows[i] = buf[start:len(buf):len(buf)]
	}
	return b
}

// send appends the pending rows in requests under maxRequestBytes, all
// at once (the writer pipelines them on its stream), and waits for them.
func (b *batch) send(ctx context.Context) {
	var chunks [][]int
	var cur []int
	size := 0
	for i, row := range b.rows {
		if row == nil {
			continue
		}
		n := len(row) + rowOverhead
		if size+n > b.s.maxRequestBytes && len(cur) > 0 {
			chunks = append(chunks, cur)
			cur, size = nil, 0
		}
		cur = append(cur, i)
		size += n
	}
	chunks = append(chunks, cur)
	if len(chunks) == 1 {
		b.appendChunk(ctx, chunks[0])
		return
	}
	var wg sync.WaitGroup
	for _, c := range chunks {
		wg.Go(func() { b.appendChunk(ctx, c) })
	}
	wg.Wait()
}

// appendChunk appends the records idx as one request, each attempt under
// its own AppendTimeout. When BigQuery answers with row errors, none of
// the request was written: those records are rejected and the rest sent
// again. Every round removes at least one record, so it ends.
func (b *batch) appendChunk(ctx context.Context, idx []int) {
	for len(idx) > 0 {
		rows := make([][]byte, len(idx))
		for j, i := range idx {
			rows[j] = b.rows[i]
		}
		actx, cancel := context.WithTimeout(ctx, b.s.cfg.AppendTimeout)
		resp, err := b.s.w.append(actx, rows)
		cancel()
		if err == nil {
			return
		}
		rowErrs := resp.GetRowErrors() // nil-safe
		bad := make(map[int]string, len(rowErrs))
		for _, re := range rowErrs {
			if j := int(re.GetIndex()); j >= 0 && j < len(idx) {
				bad[j] = fmt.Sprintf("%s: %s", re.GetCode(), re.GetMessage())
			}
		}
		if len(bad) == 0 {
			e := describe(b.s.table, len(rows), err)
			for _, i := range idx {
				b.errs[i] = e
			}
			return
		}
		next := make([]int, 0, len(idx)-len(bad))
		for j, i := range idx {
			if msg, ok := bad[j]; ok {
				b.errs[i] = fmt.Errorf("bigquery: event %q: %w: BigQuery row error %s", b.recs[i].EventID, sink.ErrRejected, msg)
				continue
			}
			next = append(next, i)
		}
		idx = next
	}
}

// result is Write's return value: nil when every record is durable, the
// error itself when one error failed the whole batch (so that every
// message is nacked the same way), a *sink.BatchError otherwise.
func (b *batch) result() error {
	var first error
	same := true
	for _, err := range b.errs {
		if err == nil {
			same = false
			continue
		}
		if first == nil {
			first = err
		} else if err != first {
			same = false
		}
	}
	if first == nil {
		return nil
	}
	if same && !errors.Is(first, sink.ErrRejected) {
		return first
	}
	return &sink.BatchError{Errs: b.errs}
}
