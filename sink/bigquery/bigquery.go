package bigquery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/bigquery/storage/managedwriter"
	"github.com/sethvargo/go-envconfig"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"bcstream/sink"
)

func init() {
	sink.Register("bigquery", func(ctx context.Context, l envconfig.Lookuper) (sink.Sink, error) {
		return New(ctx, l)
	})
}

var tracer = otel.Tracer("bcstream/sink/bigquery")

// errClosed is returned by Write after Close.
var errClosed = errors.New("bigquery: write after close")

// maxRequestBytes is the most row bytes the sink puts in one AppendRows
// request. BigQuery refuses requests of 10 MB or more (and a very large
// one can make it drop the connection); the rest of the request — the
// writer schema on a stream's first request, the stream name, per-row
// framing of a few bytes — is far below the 1 MB left over.
const maxRequestBytes = 9 << 20

// setupTimeout bounds Open's calls to BigQuery (schema management and
// opening the writer). The REST client retries 5xx answers for as long as
// its context allows, so without a bound a BigQuery that keeps failing
// (or an emulator that cannot run a view's SQL) would hang the worker's
// startup instead of failing it with the reason.
const setupTimeout = 2 * time.Minute

// Sink writes records to a BigQuery table through the Storage Write API's
// default stream. It is safe for concurrent use: concurrent Writes share
// one writer, whose appends the client pipelines on one connection.
type Sink struct {
	cfg    Config
	table  string // projects/p/datasets/d/tables/t, for the writer and errors
	enc    *encoder
	w      *writer
	cancel context.CancelFunc // ends the writer's retained context
	// maxRequestBytes is the package constant, lowered by tests to
	// exercise splitting without 9 MiB batches.
	maxRequestBytes int

	mu       sync.Mutex
	closed   bool
	inflight sync.WaitGroup
}

var _ sink.Sink = (*Sink)(nil)

// New reads Config from l and opens the sink, as Open does.
func New(ctx context.Context, l envconfig.Lookuper) (*Sink, error) {
	cfg, err := LoadConfig(ctx, l)
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg)
}

// Open opens the sink with cfg. Unless cfg.ManageSchema is false, it
// first makes sure the dataset, the events table and the views exist and
// that the table can take the sink's rows (see ensureTable). Then it opens
// the writer, which checks that the table is there and writable, so that
// a missing table or permission fails at startup rather than on the first
// batch. ctx bounds only this setup, not the sink's life.
func Open(ctx context.Context, cfg Config) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bigquery: config: %w", err)
	}
	dp, md, err := descriptor()
	if err != nil {
		return nil, fmt.Errorf("bigquery: %w", err)
	}
	enc, err := newEncoder(md)
	if err != nil {
		return nil, err
	}
	setupCtx, cancelSetup := context.WithTimeout(ctx, setupTimeout)
	defer cancelSetup()
	if cfg.ManageSchema {
		if err := manageSchema(setupCtx, cfg); err != nil {
			return nil, err
		}
	}

	// The writer's context must outlive this call and every Write; only
	// Close ends it.
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	client, err := managedwriter.NewClient(life, cfg.Project, storageOptions(cfg)...)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("bigquery: storage write client: %w", err)
	}
	s := &Sink{
		cfg:             cfg,
		table:           managedwriter.TableParentFromParts(cfg.Project, cfg.Dataset, cfg.Table),
		enc:             enc,
		cancel:          cancel,
		maxRequestBytes: maxRequestBytes,
	}
	s.w = &writer{client: client, life: life, table: s.table, schema: dp, recreateAfter: cfg.RecreateAfter}
	if _, err := s.w.current(setupCtx); err != nil {
		_ = s.w.close()
		cancel()
		return nil, err
	}
	return s, nil
}

// storageOptions are the Storage Write client's options: an emulator's
// endpoint over plaintext gRPC without credentials when one is set,
// Google's defaults (Application Default Credentials) otherwise.
func storageOptions(cfg Config) []option.ClientOption {
	if cfg.StorageEndpoint == "" {
		return nil
	}
	return []option.ClientOption{
		option.WithEndpoint(cfg.StorageEndpoint),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
		option.WithTelemetryDisabled(),
	}
}

// Write appends recs to the table.
//
// Records that fail sink.Record.Validate, or that BigQuery reports as row
// errors, are rejected one by one (ErrRejected in a *sink.BatchError); the
// others are still written. BigQuery refuses a whole request when any of
// its rows is bad, so after row errors the request is sent again without
// those rows.
//
// Any other failure — BigQuery unavailable or overloaded, a deadline, a
// broken connection, a permission — fails the records of the requests it
// hit with a transient error (a plain error when that is the whole batch),
// so that their messages are redelivered. A request that timed out may
// still have been applied, so a redelivered record can be stored twice:
// the default stream is at-least-once, and the events_dedup view collapses
// such duplicates by event_id.
func (s *Sink) Write(ctx context.Context, recs []sink.Record) (err error) {
	if len(recs) == 0 {
		return nil
	}
	ctx, span := tracer.Start(ctx, "bigquery.Write", trace.WithAttributes(
		attribute.Int("batch.size", len(recs)),
		attribute.String("db.system", "bigquery"),
	))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "write failed")
		}
		span.End()
	}()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bigquery: write batch: %w", err)
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.inflight.Done()

	b := newBatch(s, recs)
	b.send(ctx)
	return b.result()
}

// begin registers a Write in flight, or fails after Close.
func (s *Sink) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	s.inflight.Add(1)
	return nil
}

// Close waits for Writes in flight, then closes the writer and its
// client. If ctx ends first, it closes them anyway — the Writes still
// waiting fail, and their messages are redelivered — and returns ctx's
// error. Closing twice is a no-op.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	idle := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(idle)
	}()
	var waitErr error
	select {
	case <-idle:
	case <-ctx.Done():
		waitErr = fmt.Errorf("bigquery: close: writes still in flight: %w", ctx.Err())
	}
	err := s.w.close()
	s.cancel()
	return errors.Join(waitErr, err)
}

// StreamsOpened reports how many Storage Write streams the sink has
// opened: 1 unless a writer kept failing and was replaced. For tests and
// diagnostics.
func (s *Sink) StreamsOpened() int { return s.w.streamsOpened() }
