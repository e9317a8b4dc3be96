// Package jsonl is a sink that appends events as JSON Lines to a file or
// to standard output: one JSON object per record, keyed by the names in
// sink.Columns.
//
// It is registered as "jsonl" and configured by JSONL_PATH ("-", the
// default, for standard output, which must then carry nothing else, so
// logs go to standard error; otherwise a file, appended to and created if
// missing, that has no other writer). Each line is
//
//	{"event_id":"…","store_hash":"…",…,"channel_id":1,…,"received_at":"2026-11-23T10:00:00.000000123Z",…,"payload":{…},"entity":null,…}
//
// Nullable columns are null for zero values; timestamps are strings in
// sink.TimeLayout; payload and entity are embedded JSON, not strings.
//
// # Durability
//
// Write returns once the batch has been handed to the kernel in a single
// write call, without fsync: a crash of the process after that loses
// nothing, but a crash of the machine (power loss, kernel panic) can lose
// the last batches, although their messages were acked. Close fsyncs. An
// fsync per batch would close that gap at the price of one disk flush per
// Write; this sink is for local runs, pipes and load tests, where that
// trade is not worth it. Use the sqlite sink for data that must survive a
// machine crash.
//
// # Page cache
//
// Writing to a file, the sink starts the writeback of every MiB it
// appended and then drops that MiB from the page cache (Linux), so a long
// run keeps a few MiB of the file cached rather than all of it; see
// dropBehind for why.
//
// # Duplicates
//
// The file is append-only, so the sink is not idempotent: an event that
// Pub/Sub redelivers (after a nack, a missed ack deadline, or a fan-out
// where another sink failed) and that the pipeline's deduplication does
// not catch is written again. Readers must deduplicate on event_id.
package jsonl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/sethvargo/go-envconfig"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"bcstream/sink"
)

func init() {
	sink.Register("jsonl", func(ctx context.Context, l envconfig.Lookuper) (sink.Sink, error) {
		return New(ctx, l)
	})
}

var tracer = otel.Tracer("bcstream/sink/jsonl")

// errClosed is returned by Write after Close.
var errClosed = errors.New("jsonl: write after close")

// Sink appends records as JSON Lines. It is safe for concurrent use:
// callers encode their batches in parallel, and each batch is written with
// one write call under a lock, so lines from different batches never
// interleave.
type Sink struct {
	path string

	// lock serializes writes and Close. It is a channel rather than a
	// sync.Mutex so that waiting for it honours the caller's ctx.
	lock chan struct{}
	// Guarded by lock.
	w    io.Writer
	file *os.File // nil for standard output, which Close leaves open
	// regular is whether file is a regular file, which can be truncated
	// and fsynced (a FIFO or a device cannot).
	regular bool
	// drop trims the page cache behind the writes to a regular file; nil
	// for standard output, FIFOs and devices.
	drop   *dropBehind
	closed bool
	// broken is set when a failed write left a partial line that could
	// not be removed: appending more would corrupt the next record, so
	// every later Write fails with it.
	broken error
}

var _ sink.Sink = (*Sink)(nil)

// New reads Config from l and opens the sink.
func New(ctx context.Context, l envconfig.Lookuper) (*Sink, error) {
	cfg, err := LoadConfig(ctx, l)
	if err != nil {
		return nil, err
	}
	return Open(cfg)
}

// Open opens the sink with cfg: standard output for "-", otherwise the
// file, opened for appending and created if missing.
func Open(cfg Config) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("jsonl: config: %w", err)
	}
	s := &Sink{path: cfg.Path, lock: make(chan struct{}, 1)}
	if cfg.Path == "-" {
		s.w = os.Stdout
		return s, nil
	}
	f, err := os.OpenFile(cfg.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("jsonl: open: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("jsonl: stat: %w", err)
	}
	s.w, s.file, s.regular = f, f, fi.Mode().IsRegular()
	if s.regular {
		conn, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("jsonl: %w", err)
		}
		s.drop = newDropBehind(conn, fi.Size())
	}
	return s, nil
}

// bufPool holds encoding buffers, so that a batch is encoded without
// growing a new buffer each time. A batch of 500 typical records is a few
// hundred KiB.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 64<<10)
	return &b
}}

// maxPooledBuf keeps one giant batch from pinning its buffer forever.
const maxPooledBuf = 16 << 20

// Write encodes recs and appends them with a single write call.
//
// Records that fail sink.Record.Validate are not written and are reported
// as rejected in a *sink.BatchError; the others are written. A failed
// write is a transient error for every record that was not rejected. If
// it wrote part of the batch, the sink truncates the file back to where
// the batch began, so that the retry does not follow a torn line; where
// it cannot (standard output, a FIFO), it fails every later Write
// instead.
func (s *Sink) Write(ctx context.Context, recs []sink.Record) (err error) {
	if len(recs) == 0 {
		return nil
	}
	ctx, span := tracer.Start(ctx, "jsonl.Write", trace.WithAttributes(attribute.Int("batch.size", len(recs))))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "write failed")
		}
		span.End()
	}()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("jsonl: write batch: %w", err)
	}

	// Encode before taking the lock, so that concurrent callers encode in
	// parallel.
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	defer func() {
		if cap(b) <= maxPooledBuf {
			*bp = b[:0]
			bufPool.Put(bp)
		}
	}()
	var errs []error // allocated on the first rejection
	var enc encoder
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			if errs == nil {
				errs = make([]error, len(recs))
			}
			errs[i] = fmt.Errorf("jsonl: event %q: %w", recs[i].EventID, err)
			continue
		}
		b = enc.appendRecord(b, &recs[i])
	}
	if len(b) > 0 {
		if err := s.write(ctx, b); err != nil {
			return failBatch(errs, err)
		}
	}
	if errs != nil {
		return &sink.BatchError{Errs: errs}
	}
	return nil
}

// failBatch is the result of a Write that failed as a whole with err after
// some records were rejected (errs non-nil): the rejections stand, so that
// those records are dead-lettered now instead of being redelivered only to
// be rejected again, and every other record fails with err.
func failBatch(errs []error, err error) error {
	if errs == nil {
		return err
	}
	for i := range errs {
		if errs[i] == nil {
			errs[i] = err
		}
	}
	return &sink.BatchError{Errs: errs}
}

// write appends b with one write call, under the lock.
func (s *Sink) write(ctx context.Context, b []byte) error {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("jsonl: wait for writer lock: %w", ctx.Err())
	}
	defer func() { <-s.lock }()
	switch {
	case s.closed:
		return errClosed
	case s.broken != nil:
		return s.broken
	}
	n, err := s.w.Write(b)
	if err == nil {
		if s.drop != nil {
			s.drop.wrote(n)
		}
		return nil
	}
	err = fmt.Errorf("jsonl: write batch: %w", err)
	if n > 0 {
		if uerr := s.undo(n); uerr != nil {
			s.broken = fmt.Errorf("jsonl: %s ends with a partial line, not writing more: %w", s.path, uerr)
			return errors.Join(err, s.broken)
		}
	}
	return err
}

// undo removes the last n bytes written, the start of a batch whose write
// failed. It relies on being the file's only writer: with O_APPEND the
// offset after the failed write is the end of the file.
func (s *Sink) undo(n int) error {
	if !s.regular {
		return errors.New("not a regular file, cannot truncate")
	}
	end, err := s.file.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("find end of file: %w", err)
	}
	if err := s.file.Truncate(end - int64(n)); err != nil {
		return fmt.Errorf("truncate partial batch: %w", err)
	}
	return nil
}

// Close fsyncs and closes the file (standard output is left open; a FIFO
// or device is closed but not synced). It returns early with ctx's error if ctx is done before a write
// in progress finishes. Closing twice is a no-op.
func (s *Sink) Close(ctx context.Context) error {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("jsonl: close: %w", ctx.Err())
	}
	defer func() { <-s.lock }()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.file == nil {
		return nil
	}
	var errs []error
	if s.regular {
		if err := s.file.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("jsonl: sync %s: %w", s.path, err))
		}
	}
	if err := s.file.Close(); err != nil {
		errs = append(errs, fmt.Errorf("jsonl: close %s: %w", s.path, err))
	}
	return errors.Join(errs...)
}
