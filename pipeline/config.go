package pipeline

import (
	"errors"
	"fmt"
	"time"
)

// Config holds the pipeline's settings, read from the environment by
// internal/config. Defaults are sized for a Cloud Run instance with 1 vCPU
// and 512 MiB; each non-obvious default says why.
type Config struct {
	// Subscription is the worker's subscription (ID or full name).
	Subscription string `env:"PUBSUB_SUBSCRIPTION, required"`

	// DeadLetterTopic receives poison messages, with the reason in the
	// attributes (ID or full name).
	DeadLetterTopic string `env:"PUBSUB_DEAD_LETTER_TOPIC, required"`

	// Streams is the number of StreamingPull streams. One stream carries
	// about 10 MB/s from the real service, but the emulator serves only
	// ~2,000 msg/s per stream, so local and load runs need several.
	Streams int `env:"PUBSUB_STREAMS, default=4"`

	// MaxOutstandingMessages bounds the messages handed to callbacks and
	// not yet settled. With PerStreamFlowControl it applies to each stream.
	// Every outstanding message holds a goroutine (~8 KiB) waiting for its
	// batch, so 4 streams x 1000 costs ~32 MiB at most.
	MaxOutstandingMessages int `env:"PUBSUB_MAX_OUTSTANDING_MESSAGES, default=1000"`

	// MaxOutstandingBytes bounds the bytes of those messages (per stream
	// with PerStreamFlowControl). 16 MiB x 4 streams stays well inside a
	// 512 MiB instance; BigCommerce payloads are ~200 bytes, so the message
	// count is normally the binding limit.
	MaxOutstandingBytes int `env:"PUBSUB_MAX_OUTSTANDING_BYTES, default=16777216"`

	// PerStreamFlowControl applies the two limits above per stream, which
	// is what the server is told anyway (it grants each stream the limit).
	PerStreamFlowControl bool `env:"PUBSUB_PER_STREAM_FLOW_CONTROL, default=true"`

	// MaxAckExtensionPeriod caps each lease extension the client sends.
	// After a crash (SIGKILL, OOM) nothing extends the leases any more, so
	// this is how long the dead worker's messages stay invisible before
	// Pub/Sub redelivers them. Without a cap the client may extend by up to
	// 10 minutes at a time. Pub/Sub accepts 10 s to 600 s.
	MaxAckExtensionPeriod time.Duration `env:"PUBSUB_MAX_ACK_EXTENSION_PERIOD, default=60s"`

	// BatchMaxRows flushes a batch when it holds this many records.
	BatchMaxRows int `env:"BATCH_MAX_ROWS, default=500"`

	// BatchMaxBytes flushes a batch when its records reach this size. 4 MiB
	// keeps a BigQuery append well under the 10 MB request limit.
	BatchMaxBytes int `env:"BATCH_MAX_BYTES, default=4194304"`

	// BatchMaxDelay flushes a partial batch this long after its first
	// record: the most latency batching adds while every writer is busy
	// (an idle writer takes a partial batch at once).
	BatchMaxDelay time.Duration `env:"BATCH_MAX_DELAY, default=50ms"`

	// SinkConcurrency is how many batches may be written at once. More
	// than one lets the next batch fill while the last one is written.
	SinkConcurrency int `env:"SINK_CONCURRENCY, default=2"`

	// SinkWriteTimeout bounds one batch write; a write that takes longer
	// fails and its messages are nacked.
	SinkWriteTimeout time.Duration `env:"SINK_WRITE_TIMEOUT, default=30s"`

	// DedupeTTL is how long a written event's key is remembered.
	// BigCommerce re-sends and Pub/Sub redeliveries arrive within minutes;
	// a day covers both with room to spare.
	DedupeTTL time.Duration `env:"DEDUPE_TTL, default=24h"`

	// DedupeMaxEntries bounds the dedupe memory (~110 bytes an entry, so
	// 200,000 entries cost ~22 MiB, of which the key table's 12 MiB is
	// allocated at startup). The oldest keys go first.
	DedupeMaxEntries int `env:"DEDUPE_MAX_ENTRIES, default=200000"`

	// DrainTimeout is the shutdown budget for in-flight messages after
	// SIGTERM. Cloud Run kills the container 10 s after SIGTERM; 7 s leaves
	// time to close sinks and flush telemetry.
	DrainTimeout time.Duration `env:"DRAIN_TIMEOUT, default=7s"`

	// ExitWhenIdle, when positive, stops the worker after no message has
	// arrived for this long: for draining a backlog as a batch job (a Cloud
	// Run job, a load test). Zero runs until signalled.
	ExitWhenIdle time.Duration `env:"EXIT_WHEN_IDLE, default=0"`
}

// Validate reports every setting that is out of range.
func (c *Config) Validate() error {
	var errs []error
	positive := func(name string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be > 0, got %d", name, v))
		}
	}
	positive("PUBSUB_STREAMS", c.Streams)
	positive("PUBSUB_MAX_OUTSTANDING_MESSAGES", c.MaxOutstandingMessages)
	positive("PUBSUB_MAX_OUTSTANDING_BYTES", c.MaxOutstandingBytes)
	positive("BATCH_MAX_ROWS", c.BatchMaxRows)
	positive("BATCH_MAX_BYTES", c.BatchMaxBytes)
	positive("SINK_CONCURRENCY", c.SinkConcurrency)
	positive("DEDUPE_MAX_ENTRIES", c.DedupeMaxEntries)
	if c.Streams > 100 {
		errs = append(errs, fmt.Errorf("PUBSUB_STREAMS must be <= 100 (more streams behave badly), got %d", c.Streams))
	}
	if c.BatchMaxDelay <= 0 {
		errs = append(errs, fmt.Errorf("BATCH_MAX_DELAY must be > 0, got %s", c.BatchMaxDelay))
	}
	if c.SinkWriteTimeout <= 0 {
		errs = append(errs, fmt.Errorf("SINK_WRITE_TIMEOUT must be > 0, got %s", c.SinkWriteTimeout))
	}
	if c.MaxAckExtensionPeriod < 10*time.Second || c.MaxAckExtensionPeriod > 600*time.Second {
		errs = append(errs, fmt.Errorf("PUBSUB_MAX_ACK_EXTENSION_PERIOD must be between 10s and 600s, got %s", c.MaxAckExtensionPeriod))
	}
	if c.DedupeTTL <= 0 {
		errs = append(errs, fmt.Errorf("DEDUPE_TTL must be > 0, got %s", c.DedupeTTL))
	}
	if c.DrainTimeout <= 0 {
		errs = append(errs, fmt.Errorf("DRAIN_TIMEOUT must be > 0, got %s", c.DrainTimeout))
	}
	if c.ExitWhenIdle < 0 {
		errs = append(errs, fmt.Errorf("EXIT_WHEN_IDLE must be >= 0, got %s", c.ExitWhenIdle))
	}
	if c.BatchMaxRows > c.MaxOutstandingMessages*max(c.Streams, 1) {
		// A batch could never fill: every message waits for BATCH_MAX_DELAY.
		errs = append(errs, errors.New("BATCH_MAX_ROWS must not exceed the messages that can be outstanding (PUBSUB_MAX_OUTSTANDING_MESSAGES x streams)"))
	}
	return errors.Join(errs...)
}
