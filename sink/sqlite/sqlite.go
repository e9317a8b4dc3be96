// Package sqlite is a sink that stores events in a local SQLite database,
// using the pure-Go driver modernc.org/sqlite (no cgo).
//
// It is registered as "sqlite" and configured by SQLITE_PATH (default
// bcstream.db), SQLITE_BUSY_TIMEOUT and SQLITE_CACHE_MIB; see Config. The
// events table is created on first use (see Schema); its columns are
// sink.Columns.
//
// A nil error from Write means the batch is committed and fsynced (WAL
// with synchronous=FULL), so it survives a power loss. Writes are
// idempotent on event_id: a redelivered event is not stored twice.
//
// The database must be on a local file system: WAL mode relies on shared
// memory between the connections, which network file systems do not
// provide. Other processes may read the file while the worker runs.
//
// # Querying
//
// Timestamps are TEXT in sink.TimeLayout (2026-11-23T10:00:00.000000123Z),
// so comparing them as strings is comparing instants, and a bound in the
// same layout uses the event_created_at index:
//
//	SELECT scope, event_created_at, entity ->> '$.status'
//	FROM events
//	WHERE store_hash = 'abc123' AND entity_type = 'order' AND entity_id = '250'
//	ORDER BY event_created_at;
//
//	SELECT count(*) FROM events
//	WHERE event_created_at >= '2026-11-23T00:00:00.000000000Z';
//
// SQLite's date functions read them too, for ad-hoc queries (these do not
// use the index):
//
//	SELECT count(*) FROM events WHERE unixepoch(received_at) > unixepoch('now', '-1 hour');
//
// # Throughput
//
// Each batch is one transaction with one fsync, so the cost per row is
// SQLite's B-tree work, not the disk flush. The largest part is the
// event_id index: event IDs are hashes, so every insert lands on a random
// page of it, and each such page is written to the WAL at commit. The
// cost per row therefore grows as that index outgrows SQLITE_CACHE_MIB.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sethvargo/go-envconfig"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"bcstream/sink"
)

func init() {
	sink.Register("sqlite", func(ctx context.Context, l envconfig.Lookuper) (sink.Sink, error) {
		return New(ctx, l)
	})
}

var tracer = otel.Tracer("bcstream/sink/sqlite")

// errClosed is returned by Write after Close.
var errClosed = errors.New("sqlite: write after close")

// Sink writes records to the events table of a SQLite database. It is safe
// for concurrent use; writes are serialized, since SQLite has one writer.
type Sink struct {
	path string

	// lock serializes writers and Close. It is a channel rather than a
	// sync.Mutex so that waiting for it honours the caller's ctx.
	lock chan struct{}
	// Guarded by lock; nil after Close.
	db     *sql.DB
	insert *sql.Stmt
	args   []any
}

var _ sink.Sink = (*Sink)(nil)

// New reads Config from l and opens the sink: it opens (or creates) the
// database, creates the events table and indexes if missing, and checks
// that an existing table has the expected columns.
func New(ctx context.Context, l envconfig.Lookuper) (*Sink, error) {
	cfg, err := LoadConfig(ctx, l)
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg)
}

// Open opens the sink with cfg, as New does.
func Open(ctx context.Context, cfg Config) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sqlite: config: %w", err)
	}
	db, err := sql.Open("sqlite", cfg.dsn())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	// One connection: the sink only writes, and SQLite has one writer at a
	// time anyway. Keeping it open for good means the prepared insert is
	// prepared once, and the WAL is checkpointed on Close, not whenever
	// the pool drops an idle connection.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	stmt, err := db.PrepareContext(ctx, insertSQL())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: prepare insert: %w", err)
	}
	return &Sink{
		path:   cfg.Path,
		lock:   make(chan struct{}, 1),
		db:     db,
		insert: stmt,
		args:   make([]any, len(sink.Columns())),
	}, nil
}

// Write inserts recs in one transaction and commits it.
//
// Records that fail sink.Record.Validate, or that the database refuses
// with a constraint error, are rejected one by one (ErrRejected in a
// *sink.BatchError) and the others are still committed. An event_id that
// is already stored counts as stored. Any other failure (a busy lock held
// past the busy timeout, an I/O error, a full disk, ctx done) rolls the
// whole batch back and is a transient error for every record that was not
// rejected.
func (s *Sink) Write(ctx context.Context, recs []sink.Record) (err error) {
	if len(recs) == 0 {
		return nil
	}
	ctx, span := tracer.Start(ctx, "sqlite.Write", trace.WithAttributes(
		attribute.Int("batch.size", len(recs)),
		attribute.String("db.system", "sqlite"),
	))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "write failed")
		}
		span.End()
	}()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: write batch: %w", err)
	}

	// Validate before taking the lock, so that concurrent callers do it in
	// parallel, and before inserting, so that the valid records commit.
	var errs []error // allocated on the first failure
	rejected := 0
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			if errs == nil {
				errs = make([]error, len(recs))
			}
			errs[i] = fmt.Errorf("sqlite: event %q: %w", recs[i].EventID, err)
			rejected++
		}
	}
	if rejected == len(recs) {
		return &sink.BatchError{Errs: errs}
	}
	if errs, err = s.insertBatch(ctx, recs, errs); err != nil {
		return failBatch(errs, err)
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

// insertBatch inserts the records whose errs entry is nil (errs may be
// nil: no failures yet) and commits. It returns errs with the records
// the database rejected filled in, and an error if the transaction as a
// whole failed, in which case nothing was stored.
func (s *Sink) insertBatch(ctx context.Context, recs []sink.Record, errs []error) ([]error, error) {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return errs, fmt.Errorf("sqlite: wait for writer lock: %w", ctx.Err())
	}
	defer func() {
		clear(s.args) // do not keep the batch's strings alive until the next one
		<-s.lock
	}()
	if s.db == nil {
		return errs, errClosed
	}

	// If ctx ends during the transaction, database/sql rolls it back and
	// Commit fails.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return errs, fmt.Errorf("sqlite: begin batch: %w", err)
	}
	// A no-op after Commit; otherwise it undoes a partial batch.
	defer func() { _ = tx.Rollback() }()
	stmt := tx.StmtContext(ctx, s.insert)
	// Each insert runs under a ctx that cannot be cancelled: with a
	// cancellable one, the driver starts a goroutine per statement to
	// interrupt it, which costs more than the insert's own Go-side work.
	// ctx is checked between rows instead; a single insert takes tens of
	// microseconds.
	rowCtx := context.WithoutCancel(ctx)
	for i := range recs {
		if errs != nil && errs[i] != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return errs, fmt.Errorf("sqlite: insert batch: %w", err)
		}
		bind(s.args, &recs[i])
		if _, err := stmt.ExecContext(rowCtx, s.args...); err != nil {
			if !isPermanent(err) {
				return errs, fmt.Errorf("sqlite: insert batch: %w", err)
			}
			// The failed statement was rolled back on its own; the
			// transaction and the rows before it stand.
			if errs == nil {
				errs = make([]error, len(recs))
			}
			errs[i] = fmt.Errorf("sqlite: insert event %q: %w: %w", recs[i].EventID, sink.ErrRejected, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return errs, fmt.Errorf("sqlite: commit batch: %w", err)
	}
	return errs, nil
}

// bind fills args with r's column values, in sink.Columns order, with nil
// (NULL) for the zero values of nullable columns.
func bind(args []any, r *sink.Record) {
	args[0] = r.EventID
	args[1] = r.StoreHash
	args[2] = r.StoreID
	args[3] = r.Scope
	args[4] = r.EntityType
	args[5] = nullString(r.EntityID)
	args[6] = nullInt(r.ChannelID)
	args[7] = r.EventHash
	args[8] = nullString(sink.FormatTime(r.EventCreatedAt))
	args[9] = nullString(sink.FormatTime(r.PublishedAt))
	args[10] = sink.FormatTime(r.ReceivedAt)
	args[11] = r.MessageID
	args[12] = nullInt(int64(r.DeliveryAttempt))
	// TEXT, not BLOB: a []byte would be bound as a BLOB, which a STRICT
	// TEXT column refuses and the json_* functions would not read.
	args[13] = string(r.Payload)
	args[14] = nullString(string(r.Entity))
	args[15] = r.Enrichment
	args[16] = nullString(sink.FormatTime(r.EnrichedAt))
	args[17] = r.WorkerVersion
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// isPermanent reports whether err is SQLite refusing this one row (a
// constraint, a value too big or of the wrong type) rather than the
// database being unavailable. Validate should have caught all of these;
// this keeps a gap in it from failing a whole batch forever.
func isPermanent(err error) bool {
	var e *sqlitedrv.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH:
		return true
	}
	return false
}

// Close waits for a write in progress, checkpoints the WAL into the main
// database file (so the file is complete on its own, for whoever copies
// it) and closes the database. It returns early with ctx's error if ctx is
// done before the write in progress finishes. Closing twice is a no-op.
func (s *Sink) Close(ctx context.Context) error {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("sqlite: close: %w", ctx.Err())
	}
	defer func() { <-s.lock }()
	if s.db == nil {
		return nil
	}
	db := s.db
	s.db = nil
	var errs []error
	if err := s.insert.Close(); err != nil {
		errs = append(errs, fmt.Errorf("sqlite: close statement: %w", err))
	}
	// Closing the last connection checkpoints too, but silently; doing it
	// here reports a failure. TRUNCATE also empties the -wal file.
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		errs = append(errs, fmt.Errorf("sqlite: checkpoint: %w", err))
	}
	if err := db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("sqlite: close %s: %w", s.path, err))
	}
	return errors.Join(errs...)
}
