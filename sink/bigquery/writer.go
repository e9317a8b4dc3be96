package bigquery

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"cloud.google.com/go/bigquery/storage/managedwriter"
	"google.golang.org/protobuf/types/descriptorpb"
)

// writer owns the managed stream the sink appends to: one long-lived
// writer on the table's default stream, shared by all concurrent Writes
// (the client pipelines their appends on one gRPC stream), replaced when
// it keeps failing.
type writer struct {
	client *managedwriter.Client
	// life is the context the client library retains for the stream's
	// background connection for as long as it lives; it is cancelled only
	// by close. Per-append deadlines go on each append instead (see the
	// package doc on contexts in managedwriter).
	life          context.Context
	table         string // projects/p/datasets/d/tables/t
	schema        *descriptorpb.DescriptorProto
	recreateAfter int

	mu       sync.Mutex
	stream   *managedwriter.ManagedStream // nil: open one on next use
	failures int                          // transient failures in a row on stream
	opened   int                          // streams opened so far (for tests and logs)
}

// current returns the stream to append to, opening one if there is none.
// Opening makes a GetWriteStream call bounded by ctx; the stream itself
// lives on w.life.
func (w *writer) current(ctx context.Context) (*managedwriter.ManagedStream, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stream != nil {
		return w.stream, nil
	}
	ms, err := w.open(ctx)
	if err != nil {
		return nil, err
	}
	w.stream, w.failures = ms, 0
	w.opened++
	return ms, nil
}

// open opens a writer on the default stream. NewManagedStream retains
// the context it is given for the stream's whole life, so it gets w.life;
// the caller's ctx only bounds the wait, and a stream that arrives after
// the caller gave up is closed.
func (w *writer) open(ctx context.Context) (*managedwriter.ManagedStream, error) {
	type result struct {
		ms  *managedwriter.ManagedStream
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ms, err := w.client.NewManagedStream(w.life,
			managedwriter.WithDestinationTable(w.table),
			managedwriter.WithType(managedwriter.DefaultStream),
			managedwriter.WithSchemaDescriptor(w.schema),
			// Retries Unavailable, Aborted, Internal, EOF and the
			// throughput quota up to 4 attempts, reconnecting as
			// needed. On the default stream a retried append can be
			// applied twice; that is the at-least-once contract.
			managedwriter.EnableWriteRetries(true),
		)
		ch <- result{ms, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("bigquery: open writer on %s: %w", w.table, r.err)
		}
		return r.ms, nil
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.ms != nil {
				_ = r.ms.Close()
			}
		}()
		return nil, fmt.Errorf("bigquery: open writer on %s: %w", w.table, ctx.Err())
	}
}

// append sends rows as one AppendRows request on the current stream and
// waits for BigQuery's answer, within ctx. The response is returned along
// with the error when BigQuery answered with one (it carries row errors).
func (w *writer) append(ctx context.Context, rows [][]byte) (*storagepb.AppendRowsResponse, error) {
	ms, err := w.current(ctx)
	if err != nil {
		return nil, err
	}
	res, err := ms.AppendRows(ctx, rows)
	if err != nil {
		// AppendRows fails by itself when the writer is closed or broken
		// for good (its retained context ended, a send failed after the
		// library's retries); a new writer is the only way forward.
		if ctx.Err() == nil {
			w.drop(ms)
		}
		return nil, err
	}
	resp, err := res.FullResponse(ctx)
	if !errors.Is(err, context.Canceled) {
		// The caller giving up (shutdown) says nothing about the stream.
		w.record(ms, err)
	}
	return resp, err
}

// record counts a transient failure of ms, or resets the count, and drops
// ms once it has failed recreateAfter times in a row.
func (w *writer) record(ms *managedwriter.ManagedStream, err error) {
	w.mu.Lock()
	if w.stream != ms {
		w.mu.Unlock()
		return
	}
	if err == nil || !transient(err) {
		// A row error or a refusal is an answer: the stream works.
		w.failures = 0
		w.mu.Unlock()
		return
	}
	w.failures++
	if w.failures < w.recreateAfter {
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	w.drop(ms)
}

// drop closes ms, if it is still the current stream, so that the next
// append opens a new one.
func (w *writer) drop(ms *managedwriter.ManagedStream) {
	w.mu.Lock()
	if w.stream != ms {
		w.mu.Unlock()
		return
	}
	w.stream = nil
	w.mu.Unlock()
	// Close cancels the stream's context: appends still waiting on it
	// fail and their batches are redelivered.
	_ = ms.Close()
}

// streamsOpened returns how many streams the writer has opened.
func (w *writer) streamsOpened() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.opened
}

// close closes the stream and the client.
func (w *writer) close() error {
	w.mu.Lock()
	ms := w.stream
	w.stream = nil
	w.mu.Unlock()
	var errs []error
	if ms != nil {
		// A closed stream reports io.EOF as its terminal state; that is
		// the normal outcome, not a failure.
		if err := ms.Close(); err != nil && !isEOF(err) {
			errs = append(errs, fmt.Errorf("bigquery: close writer: %w", err))
		}
	}
	if err := w.client.Close(); err != nil {
		errs = append(errs, fmt.Errorf("bigquery: close storage client: %w", err))
	}
	return errors.Join(errs...)
}
