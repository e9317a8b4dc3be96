package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// Config is the sink's configuration, read from SQLITE_* variables.
type Config struct {
	// Path is the database file, created if missing (its directory must
	// exist). It is a plain path, not a URI: "file:" prefixes, query
	// strings and ":memory:" (which would not be durable) are refused.
	Path string `env:"PATH, default=bcstream.db"`

	// BusyTimeout is how long a write waits for a lock held by another
	// connection (an analyst writing to the file, a reader's checkpoint)
	// before the batch fails and is redelivered. 5s is orders of magnitude
	// longer than a checkpoint of a WAL at its 1000-page auto-checkpoint
	// size takes, so only a lock held on purpose fails a batch, and it
	// stays inside Pub/Sub's minimum ack deadline of 10s.
	BusyTimeout time.Duration `env:"BUSY_TIMEOUT, default=5s"`

	// CacheMiB is the page cache size. What needs it is the event_id
	// index: event IDs are random, so each insert touches a random page
	// of it, and once the index outgrows the cache each insert also reads
	// a page from disk. At about 60 bytes per event, 64 MiB keeps the
	// index of roughly a million events cached next to the other indexes'
	// hot pages. The cache fills only as pages are used.
	CacheMiB int `env:"CACHE_MIB, default=64"`
}

// LoadConfig reads Config from l, under the SQLITE_ prefix, and validates
// it.
func LoadConfig(ctx context.Context, l envconfig.Lookuper) (Config, error) {
	var cfg Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{
		Target:   &cfg,
		Lookuper: envconfig.PrefixLookuper("SQLITE_", l),
	}); err != nil {
		return Config{}, fmt.Errorf("sqlite: config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("sqlite: config: %w", err)
	}
	return cfg, nil
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	var errs []error
	switch {
	case c.Path == "":
		errs = append(errs, errors.New("SQLITE_PATH is empty"))
	case c.Path == ":memory:" || strings.HasPrefix(c.Path, "file:") || strings.Contains(c.Path, "?"):
		errs = append(errs, fmt.Errorf("SQLITE_PATH %q must be a plain file path (no URI, query string or :memory:)", c.Path))
	}
	if c.BusyTimeout < 0 {
		errs = append(errs, fmt.Errorf("SQLITE_BUSY_TIMEOUT must not be negative, got %v", c.BusyTimeout))
	}
	if c.CacheMiB < 1 {
		errs = append(errs, fmt.Errorf("SQLITE_CACHE_MIB must be at least 1, got %d", c.CacheMiB))
	}
	return errors.Join(errs...)
}

// dsn is the driver's data source name for c. The settings apply to every
// connection the driver opens:
//
//   - journal_mode=WAL lets readers (analysts, exporters) query the file
//     while the worker writes, and makes a commit one sequential append.
//   - synchronous=FULL fsyncs the WAL on every commit. The pipeline acks
//     Pub/Sub as soon as Write returns, so a committed batch must survive
//     a power loss or kernel crash, not just a process crash. With NORMAL,
//     WAL commits are only synced at checkpoints, and a power loss can
//     roll back the last transactions after they were acked: data loss.
//     FULL costs one fsync per batch, not per row.
//   - busy_timeout: see Config.BusyTimeout; cache_size: Config.CacheMiB.
//   - wal_autocheckpoint=10000 pages (40 MiB of WAL) instead of 1000: a
//     batch of 500 events dirties several hundred pages, so the default
//     checkpoints after nearly every batch, writing the index pages that
//     every batch changes (roots, the ends of the time and scope indexes)
//     back to the database each time. Checkpointing every ten or so
//     batches writes them once. With the larger cache, this measured
//     about 30% less CPU per row than SQLite's defaults.
//   - _txlock=immediate takes the write lock at BEGIN, so a batch waits
//     for the lock (under busy_timeout) up front instead of failing with
//     SQLITE_BUSY when a deferred transaction tries to upgrade.
func (c *Config) dsn() string {
	return c.Path +
		"?_busy_timeout=" + strconv.FormatInt(c.BusyTimeout.Milliseconds(), 10) +
		"&_journal_mode=WAL" +
		"&_synchronous=FULL" +
		"&_txlock=immediate" +
		"&_pragma=cache_size(-" + strconv.Itoa(c.CacheMiB*1024) + ")" +
		"&_pragma=wal_autocheckpoint(10000)"
}
