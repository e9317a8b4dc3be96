package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"bcstream/bigcommerce"
	"bcstream/sink"
)

// tracerName is the instrumentation scope of the pipeline's spans.
const tracerName = "bcstream/pipeline"

// Deps are the pipeline's collaborators. Client and Sink are required.
type Deps struct {
	// Client is the Pub/Sub client; with tracing on it should be created
	// with ClientConfig.EnableOpenTelemetryTracing so stage spans nest
	// under the library's per-message span.
	Client *pubsub.Client
	// Sink receives the batches; the pipeline does not close it.
	Sink sink.Sink
	// Enricher defaults to PassThrough.
	Enricher Enricher
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// TracerProvider, when set, turns on stage and batch spans.
	TracerProvider trace.TracerProvider
	// MeterProvider defaults to a no-op provider.
	MeterProvider metric.MeterProvider
	// WorkerVersion is stored in every record; "unknown" when empty (the
	// column is required).
	WorkerVersion string
}

// Pipeline pulls webhook events from a subscription and writes them to a
// sink. See the package documentation for the guarantees.
type Pipeline struct {
	cfg      Config
	client   *pubsub.Client
	sink     sink.Sink
	enricher Enricher
	logger   *slog.Logger
	tracer   trace.Tracer
	tracing  bool
	metrics  *metrics
	version  string

	subscriptionName string // full resource name
	dlqName          string // full resource name
	dlq              *pubsub.Publisher
	dedupe           *deduper
	batcher          *batcher

	// cpu hands messages to the CPU goroutine (see handle); jobs
	// recycles the hand-off records.
	cpu  *jobQueue
	jobs sync.Pool

	// life bounds work that must outlive the Receive context: writes and
	// waits of in-flight messages during a graceful shutdown. It is
	// cancelled only when the drain budget is spent.
	life context.Context

	lastActivity  atomic.Int64 // Unix nanoseconds of the last message received
	unknownScopes sync.Map     // scopes already logged as unknown
	unknownLogged atomic.Int32
	running       atomic.Bool
}

// New wires a pipeline. It validates cfg and deps and starts nothing; Run
// does the work.
func New(cfg Config, deps Deps) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline config: %w", err)
	}
	if deps.Client == nil {
		return nil, errors.New("pipeline: a Pub/Sub client is required")
	}
	if deps.Sink == nil {
		return nil, errors.New("pipeline: a sink is required")
	}
	p := &Pipeline{
		cfg:      cfg,
		client:   deps.Client,
		sink:     deps.Sink,
		enricher: deps.Enricher,
		logger:   deps.Logger,
		version:  deps.WorkerVersion,
		dedupe:   newDeduper(cfg.DedupeTTL, cfg.DedupeMaxEntries),
	}
	if p.enricher == nil {
		p.enricher = PassThrough{}
	}
	if p.version == "" {
		p.version = "unknown"
	}
	if p.logger == nil {
		p.logger = slog.Default()
	}
	tp := deps.TracerProvider
	p.tracing = tp != nil
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	p.tracer = tp.Tracer(tracerName)
	mp := deps.MeterProvider
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m, err := newMetrics(mp)
	if err != nil {
		return nil, fmt.Errorf("pipeline metrics: %w", err)
	}
	p.metrics = m
	project := deps.Client.Project()
	p.subscriptionName = fullName(project, "subscriptions", cfg.Subscription)
	p.dlqName = fullName(project, "topics", cfg.DeadLetterTopic)
	p.batcher = newBatcher(cfg.BatchMaxRows, cfg.BatchMaxBytes, cfg.BatchMaxDelay, p.writeBatch)
	p.cpu = newJobQueue()
	p.jobs.New = func() any { return &cpuJob{done: make(chan struct{}, 1)} }
	return p, nil
}

// fullName expands an ID to projects/{project}/{kind}/{id}; full names
// pass through.
func fullName(project, kind, nameOrID string) string {
	if strings.HasPrefix(nameOrID, "projects/") {
		return nameOrID
	}
	return "projects/" + project + "/" + kind + "/" + nameOrID
}

// Stats returns a snapshot of the pipeline's counters.
func (p *Pipeline) Stats() Stats { return p.metrics.snapshot() }

// Running reports whether Run is pulling messages (for readiness probes).
func (p *Pipeline) Running() bool { return p.running.Load() }

// CheckResources fails, naming the resource, when the subscription or the
// dead-letter topic does not exist or cannot be read. Run calls it first,
// so a typo in the configuration stops the worker at once instead of
// leaving it idle.
func (p *Pipeline) CheckResources(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sub, err := p.client.SubscriptionAdminClient.GetSubscription(ctx, &pubsubpb.GetSubscriptionRequest{Subscription: p.subscriptionName})
	if err != nil {
		return fmt.Errorf("subscription %s (PUBSUB_SUBSCRIPTION): %w", p.subscriptionName, err)
	}
	if _, err := p.client.TopicAdminClient.GetTopic(ctx, &pubsubpb.GetTopicRequest{Topic: p.dlqName}); err != nil {
		return fmt.Errorf("dead-letter topic %s (PUBSUB_DEAD_LETTER_TOPIC): %w", p.dlqName, err)
	}
	if sub.GetDeadLetterPolicy() == nil {
		p.logger.WarnContext(ctx, "subscription has no dead-letter policy: a message that keeps failing transiently is redelivered forever, and delivery attempts are not counted",
			"subscription", p.subscriptionName)
	}
	return nil
}

// Run receives messages until ctx is done (or, with EXIT_WHEN_IDLE, until
// the subscription is idle), then shuts down gracefully within
// DrainTimeout: it stops pulling, lets in-flight messages finish and be
// acked, and writes the last partial batch. Messages still unfinished when
// the budget is spent are not acked; Pub/Sub redelivers them.
//
// Run returns nil after a graceful stop, and an error when the resources
// are missing or Pub/Sub fails permanently.
func (p *Pipeline) Run(ctx context.Context) error {
	if err := p.CheckResources(ctx); err != nil {
		return err
	}

	life, hardStop := context.WithCancel(context.WithoutCancel(ctx))
	defer hardStop()
	p.life = life

	p.dlq = p.client.Publisher(p.dlqName)
	defer p.dlq.Stop()

	p.batcher.start(life, p.cfg.SinkConcurrency)

	var cpuWorker sync.WaitGroup
	cpuWorker.Go(p.runCPU)
	defer func() {
		// Every callback has returned when Receive does: nothing pushes
		// to p.cpu any more.
		p.cpu.close()
		cpuWorker.Wait()
	}()

	recvCtx, stopReceiving := context.WithCancel(ctx)
	defer stopReceiving()
	if p.cfg.ExitWhenIdle > 0 {
		go p.exitWhenIdle(recvCtx, stopReceiving)
	}

	// The drain budget starts when receiving stops (SIGTERM or idle).
	// When it is spent, hardStop cancels the life context: callbacks still
	// waiting for a write give up and nack, so Receive can return in time.
	// The budget is ours rather than ShutdownOptions.Timeout because a
	// timed shutdown makes Receive return before the final acks are sent
	// (pubsub v2.8.1 stops its iterators asynchronously), and acks lost at
	// shutdown mean needless redeliveries.
	var drainDeadline atomic.Int64
	stopWatch := context.AfterFunc(recvCtx, func() {
		drainDeadline.Store(time.Now().Add(p.cfg.DrainTimeout).UnixNano())
		time.AfterFunc(p.cfg.DrainTimeout, hardStop)
		p.batcher.drain()
	})
	defer stopWatch()

	sub := p.client.Subscriber(p.subscriptionName)
	sub.ReceiveSettings.NumGoroutines = p.cfg.Streams
	sub.ReceiveSettings.MaxOutstandingMessages = p.cfg.MaxOutstandingMessages
	sub.ReceiveSettings.MaxOutstandingBytes = p.cfg.MaxOutstandingBytes
	sub.ReceiveSettings.EnablePerStreamFlowControl = p.cfg.PerStreamFlowControl
	sub.ReceiveSettings.MaxDurationPerAckExtension = p.cfg.MaxAckExtensionPeriod
	sub.ReceiveSettings.ShutdownOptions = &pubsub.ShutdownOptions{
		Behavior: pubsub.ShutdownBehaviorWaitForProcessing,
		Timeout:  -1, // bounded by hardStop instead; see above
	}

	p.logger.InfoContext(ctx, "receiving", "subscription", p.subscriptionName, "streams", p.cfg.Streams,
		"max_outstanding_messages", p.cfg.MaxOutstandingMessages)
	p.lastActivity.Store(time.Now().UnixNano())
	p.running.Store(true)
	recvErr := sub.Receive(recvCtx, p.handle)
	p.running.Store(false)
	if recvErr != nil {
		recvErr = fmt.Errorf("receive from %s: %w", p.subscriptionName, recvErr)
	}

	// Every callback has returned and its ack or nack was sent. Batches
	// can only be left over after a Receive error; write them within the
	// budget.
	deadline := time.Now().Add(p.cfg.DrainTimeout)
	if d := drainDeadline.Load(); d != 0 {
		deadline = time.Unix(0, d)
	}
	drainCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	if err := p.batcher.close(drainCtx); err != nil {
		p.logger.WarnContext(ctx, "drain budget spent with batches unwritten; their messages were not acked and will be redelivered",
			"drain_timeout", p.cfg.DrainTimeout)
	}
	return recvErr
}

// exitWhenIdle stops receiving once no message has arrived for
// ExitWhenIdle.
func (p *Pipeline) exitWhenIdle(ctx context.Context, stop context.CancelFunc) {
	t := time.NewTicker(max(p.cfg.ExitWhenIdle/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if now.Sub(time.Unix(0, p.lastActivity.Load())) >= p.cfg.ExitWhenIdle {
				p.logger.InfoContext(ctx, "subscription idle; stopping", "exit_when_idle", p.cfg.ExitWhenIdle)
				stop()
				return
			}
		}
	}
}

// workContext carries the callback's values (its trace span) but takes
// cancellation from the pipeline's life context: Pub/Sub cancels the
// callback context as soon as shutdown begins, yet an in-flight message
// must still be written and acked.
type workContext struct {
	context.Context                 // life: Done, Err, Deadline
	values          context.Context // the callback context: Value
}

func (c workContext) Value(key any) any { return c.values.Value(key) }

// handle is the Receive callback: prepare the message on the CPU
// goroutine, wait until its batch is written, then settle it.
//
// Why two goroutines: Pub/Sub runs every callback on a fresh goroutine with
// a 2 KiB stack, and decoding plus batching from there grew that stack on
// every message (10-15 % of the worker's CPU in copystack). The CPU-bound
// part runs on one long-lived goroutine whose stack is already grown; the
// callback keeps only shallow work: queueing, waiting and settling.
//
// The callback parks once per message in the common case: the CPU
// goroutine takes queued jobs in bulk (see jobQueue) and puts the record
// in a batch without answering, and the batch's writer wakes the callback
// when the batch is written. Each extra hand-off per message (a channel
// send to a CPU goroutine, an answer back, a second wait for the batch)
// cost a park and a wake-up: with the library's own goroutines per
// message, scheduling was the largest cost after the client itself.
func (p *Pipeline) handle(cbCtx context.Context, m *pubsub.Message) {
	// The frames on this goroutine are kept small on purpose (state lives
	// in the pooled job): the whole wait must fit in the first 2 KiB.
	j := p.jobs.Get().(*cpuJob)
	if p.tracing {
		j.ctx = workContext{Context: p.life, values: cbCtx}
	} else {
		// Without tracing the callback context carries no value that
		// life lacks: the library derives it from Run's ctx, as life is.
		// Using life saves allocating a workContext per message.
		j.ctx = p.life
	}
	j.m = m
	p.process(j)
	if p.tracing {
		annotate(cbCtx, j.o)
	}
	p.settle(j.ctx, m, j.o)
	*j = cpuJob{done: j.done}
	p.jobs.Put(j)
}

// process has j prepared on the CPU goroutine and waits until its record
// is written (or its outcome is known otherwise), leaving the message's
// outcome in j.o.
//
//go:noinline
func (p *Pipeline) process(j *cpuJob) {
	p.cpu.push(j)
	// A plain receive, not a select with ctx.Done: selectgo's frame alone
	// grew the callback goroutine's stack on every message. The wait is
	// still bounded: the CPU goroutine blocks only while every writer is
	// busy, every batch is written once a writer takes it, a partial
	// batch goes to the writers after BATCH_MAX_DELAY, writes run under
	// SINK_WRITE_TIMEOUT, and after the drain budget under a cancelled
	// context, which the Sink contract says ends them.
	<-j.done
	if j.r.wait != nil || j.r.enrich {
		p.processSlow(j)
	}
	if j.r.slot.b == nil {
		j.o = j.r.o
		return
	}
	if p.tracing {
		p.traceWait(j)
	}
	j.o = p.batchOutcome(&j.r)
}

// processSlow finishes a job that came back from the CPU goroutine
// unbatched: it waits for a concurrent delivery of the same event and has
// the job prepared again, or runs the Enricher's blocking step here, on
// the callback goroutine. It returns when j.r is final: a written batch
// in j.r.slot, or an outcome.
//
//go:noinline
func (p *Pipeline) processSlow(j *cpuJob) {
	for j.r.wait != nil {
		if !waitOrDone(j.r.wait, j.ctx.Done()) {
			j.r = prepared{o: outcome{fate: fateRetry, err: fmt.Errorf("wait for a concurrent delivery of the same event: %w", j.ctx.Err())}}
			return
		}
		j.r.wait = nil
		p.cpu.push(j)
		<-j.done
	}
	if j.r.enrich && p.enrichSlow(j) {
		<-j.done
	}
}

// waitOrDone reports whether wait was closed before done.
//
//go:noinline
func waitOrDone(wait, done <-chan struct{}) bool {
	select {
	case <-wait:
		return true
	case <-done:
		return false
	}
}

// cpuJob carries one message to the CPU goroutine and its result back.
type cpuJob struct {
	ctx     context.Context
	m       *pubsub.Message
	now     time.Time         // when the CPU goroutine took the job: received_at
	ev      bigcommerce.Event // the decoded event, once decoded is set
	key     eventKey          // the event's dedupe key, once decoded is set
	decoded bool
	rec     sink.Record // the event's record
	r       prepared
	o       outcome // the message's outcome, once processed
	// done is signalled once per hand-off: by the CPU goroutine when the
	// job comes back unbatched, or by the batch's writer once the record
	// is written. Buffered(1), reused with the job.
	done chan struct{}
}

// prepared is the result of the CPU-bound part of handling a message.
type prepared struct {
	o outcome // the final outcome, unless slot.b, wait or enrich is set
	// slot locates the message's record in a batch, once it joined one;
	// key is its dedupe claim, committed or released once the batch is
	// written.
	slot slot
	key  eventKey
	// wait is set when another delivery of the same event is in flight.
	wait <-chan struct{}
	// enrich is set when the record (in the job) still needs the
	// Enricher's blocking step; key is claimed with it.
	enrich bool
	// added is when the record joined its batch (with tracing only: the
	// start of the sink.wait span).
	added time.Time
}

// runCPU prepares queued jobs until the queue is closed. A job whose
// record joined a batch is answered by the batch's writer; any other is
// answered here, with its outcome or its next step in j.r.
//
// One CPU goroutine is enough: prepare never waits except for
// backpressure, when nothing could move anyway, and at ~2 µs a message
// it keeps up with far more than one instance receives. One goroutine
// also means one wake-up per burst rather than a contended hand-off per
// message.
func (p *Pipeline) runCPU() {
	var spare []*cpuJob
	var keys []eventKey // the decoded jobs' keys, for dedupe.touch
	for {
		jobs := p.cpu.take(spare)
		if jobs == nil {
			return
		}
		// One clock read per take rather than per message: the jobs
		// arrived within the same burst, microseconds apart.
		now := time.Now()
		p.lastActivity.Store(now.UnixNano())
		// In passes, so that each pass's code stays hot across the jobs
		// and the dedupe table's cache misses overlap (see touch).
		for _, j := range jobs {
			if !j.decoded {
				j.now = now
				p.decodeJob(j)
			}
		}
		keys = keys[:0]
		for _, j := range jobs {
			if j.decoded {
				keys = append(keys, j.key)
			}
		}
		p.dedupe.touch(keys)
		for _, j := range jobs {
			if !p.prepare(j) {
				j.done <- struct{}{}
			}
		}
		p.batcher.flushIfIdle()
		clear(jobs) // do not keep settled jobs reachable
		spare = jobs
	}
}

// decodeJob decodes j's message, counts it, and derives its dedupe key.
// On success it sets j.decoded; otherwise j.r.o holds the outcome.
func (p *Pipeline) decodeJob(j *cpuJob) {
	ctx := j.ctx
	p.metrics.receivedOne(ctx, j.now)
	var err error
	j.ev, err = p.decode(ctx, j.m.Data)
	if err != nil {
		j.r.o = classify(err)
		return
	}
	j.decoded = true
	ev := &j.ev
	j.key = keyOf(ev)
	if p.tracing {
		annotateEvent(ctx, ev)
	}
	if !ev.Spec.Known {
		p.metrics.unknownScope(ctx)
		p.noteUnknownScope(ctx, ev.Scope)
	}
	if !ev.CreatedAt.IsZero() {
		p.metrics.lag(ctx, j.now.Sub(ev.CreatedAt))
	}
}

// prepare dedupes, enriches and batches one decoded message (an
// undecodable one already has its outcome), writing the result to j.r.
// It reports whether the record joined a batch: j then belongs to its
// callback again and must not be touched. It does not wait for anything
// but backpressure (a full batch with every writer busy), and never acks
// or nacks (settle does). A job comes back after waiting for a concurrent
// delivery of its event; only the dedupe claim is tried again.
func (p *Pipeline) prepare(j *cpuJob) (batched bool) {
	if !j.decoded {
		return false
	}
	ctx := j.ctx
	r := &j.r
	key := j.key
	res, wait := p.reserve(ctx, key)
	if wait != nil {
		r.wait = wait
		return false
	}
	if res == duplicate {
		r.o = outcome{fate: fateDuplicate}
		return false
	}
	r.key = key
	j.rec = p.newRecord(j.m, &j.ev, key, j.now)
	done, err := p.prepareEnrich(ctx, &j.ev, &j.rec)
	if err != nil {
		p.dedupe.release(key)
		r.o = classify(err)
		return false
	}
	if !done {
		r.enrich = true
		return false
	}
	return p.add(j)
}

// enrichSlow runs the Enricher's blocking step for j on the callback
// goroutine, then adds the record to a batch. Like prepare, it reports
// whether the record joined a batch; if not, the outcome is in j.r.o.
//
//go:noinline
func (p *Pipeline) enrichSlow(j *cpuJob) bool {
	r := &j.r
	r.enrich = false
	if err := p.enrich(j.ctx, &j.ev, &j.rec); err != nil {
		p.dedupe.release(r.key)
		r.o = classify(err)
		return false
	}
	if !p.add(j) {
		return false
	}
	// The CPU goroutine offers the partial batch to an idle writer after
	// each take; a record added here, after the fetch, comes later, and
	// without this a quiet store's enriched events would each wait
	// BATCH_MAX_DELAY.
	p.batcher.flushIfIdle()
	return true
}

// add puts j's record in a batch whose writer will signal j.done, and
// reports whether it did. If not, it releases the dedupe claim and leaves
// the outcome in j.r.o. Once it returned true, j belongs to its callback.
func (p *Pipeline) add(j *cpuJob) bool {
	r := &j.r
	var link trace.SpanContext
	if p.tracing {
		link = trace.SpanContextFromContext(j.ctx)
		r.added = time.Now()
	}
	r.slot.done = j.done
	r.slot.key = r.key
	if _, _, err := p.batcher.addTo(&j.rec, link, &r.slot); err != nil {
		p.dedupe.release(r.key)
		r.slot = slot{}
		r.o = outcome{fate: fateRetry, err: err}
		return false
	}
	return true
}

// batchOutcome reads the outcome of the message's record from its
// written batch. The batch's writer has already settled the record's
// dedupe claim (see settleClaims).
func (p *Pipeline) batchOutcome(r *prepared) outcome {
	if err := sink.RecordErr(r.slot.b.err, r.slot.idx); err != nil {
		if errors.Is(err, sink.ErrRejected) {
			return outcome{fate: fatePoison, reason: "sink_rejected", err: err}
		}
		return outcome{fate: fateRetry, err: err}
	}
	return outcome{fate: fateWritten}
}

// traceWait records the message's wait for its batch as a sink.wait span
// from when the record joined the batch to now, when it is written. The
// span is recorded afterwards because the callback learns that its record
// joined a batch only when the batch is written.
//
//go:noinline
func (p *Pipeline) traceWait(j *cpuJob) {
	_, span := p.tracer.Start(j.ctx, "sink.wait", trace.WithTimestamp(j.r.added))
	span.End()
}

func (p *Pipeline) decode(ctx context.Context, data []byte) (bigcommerce.Event, error) {
	if !p.tracing {
		return bigcommerce.Decode(data)
	}
	_, span := p.tracer.Start(ctx, "decode")
	defer span.End()
	ev, err := bigcommerce.Decode(data)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "decode failed")
	}
	return ev, err
}

func (p *Pipeline) reserve(ctx context.Context, key eventKey) (reservation, <-chan struct{}) {
	if !p.tracing {
		return p.dedupe.tryReserve(key)
	}
	_, span := p.tracer.Start(ctx, "dedupe")
	defer span.End()
	res, wait := p.dedupe.tryReserve(key)
	span.SetAttributes(dedupeHitAttr(wait == nil && res == duplicate))
	return res, wait
}

// newRecord builds the event's record, not yet enriched.
func (p *Pipeline) newRecord(m *pubsub.Message, ev *bigcommerce.Event, key eventKey, now time.Time) sink.Record {
	rec := sink.Record{
		EventID:        key.EventID(),
		StoreHash:      ev.StoreHash,
		StoreID:        ev.StoreID,
		Scope:          ev.Scope,
		EntityType:     ev.Spec.Entity,
		EntityID:       ev.EntityID,
		ChannelID:      ev.ChannelID,
		EventHash:      ev.Hash,
		EventCreatedAt: ev.CreatedAt,
		PublishedAt:    m.PublishTime,
		ReceivedAt:     now,
		MessageID:      m.ID,
		Payload:        ev.Data,
		WorkerVersion:  p.version,
	}
	if m.DeliveryAttempt != nil {
		rec.DeliveryAttempt = *m.DeliveryAttempt
	}
	return rec
}

// prepareEnrich runs the Enricher's non-blocking step, under an enrich
// span whose status attribute is "pending" when the fetch is still to come.
func (p *Pipeline) prepareEnrich(ctx context.Context, ev *bigcommerce.Event, rec *sink.Record) (bool, error) {
	if !p.tracing {
		return p.enricher.Prepare(ev, rec)
	}
	_, span := p.tracer.Start(ctx, "enrich")
	defer span.End()
	done, err := p.enricher.Prepare(ev, rec)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "enrich failed")
	}
	if done {
		span.SetAttributes(enrichmentAttr(rec.Enrichment))
	} else {
		span.SetAttributes(enrichmentAttr("pending"))
	}
	return done, err
}

// enrich runs the Enricher's blocking step under an enrich.fetch span.
func (p *Pipeline) enrich(ctx context.Context, ev *bigcommerce.Event, rec *sink.Record) error {
	if !p.tracing {
		return p.enricher.Enrich(ctx, ev, rec)
	}
	ctx, span := p.tracer.Start(ctx, "enrich.fetch")
	defer span.End()
	err := p.enricher.Enrich(ctx, ev, rec)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "enrich failed")
	}
	span.SetAttributes(enrichmentAttr(rec.Enrichment))
	return err
}

// writeBatch writes one batch to the sink; the batcher's writer
// goroutines call it and then wake the batch's callbacks.
func (p *Pipeline) writeBatch(ctx context.Context, b *batch) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.SinkWriteTimeout)
	defer cancel()
	var span trace.Span
	if p.tracing {
		ctx, span = p.tracer.Start(ctx, "sink.write", trace.WithLinks(linksOf(b.links)...),
			trace.WithAttributes(batchSizeAttr(len(b.recs))))
		defer span.End()
	}
	start := time.Now()
	b.err = p.sink.Write(ctx, b.recs)
	end := time.Now()
	p.metrics.batch(ctx, len(b.recs), end.Sub(start), b.err)
	p.settleClaims(b, end)
	if b.err != nil {
		p.logger.WarnContext(ctx, "sink write failed; its messages will be nacked or dead-lettered",
			"records", len(b.recs), "error", b.err)
		if span != nil {
			span.RecordError(b.err)
			span.SetStatus(codes.Error, "sink write failed")
		}
	}
}

// settleClaims settles the dedupe claims of the batch's records before
// their callbacks are woken: a written record's key is committed (a later
// delivery of the event is a duplicate), a failed one's released (its
// redelivery is processed again). Doing it here, once per batch, keeps
// the clock read and the table updates off the callbacks, whose state
// has gone cold while they waited, and lets the deduper take the batch's
// cache misses together.
func (p *Pipeline) settleClaims(b *batch, writtenAt time.Time) {
	seenAt := p.dedupe.now() // the deduper's clock decides expiry
	written := p.dedupe.settleAll(func(yield func(eventKey, bool) bool) {
		for _, s := range b.slots {
			if !yield(s.key, sink.RecordErr(b.err, s.idx) == nil) {
				return
			}
		}
	}, seenAt)
	p.metrics.wrote(written, writtenAt)
}

// maxUnknownScopesLogged caps the unknown-scope log lines: scopes come
// from untrusted payloads.
const maxUnknownScopesLogged = 1000

func (p *Pipeline) noteUnknownScope(ctx context.Context, scope string) {
	if p.unknownLogged.Load() >= maxUnknownScopesLogged {
		return
	}
	if _, seen := p.unknownScopes.LoadOrStore(scope, struct{}{}); !seen {
		p.unknownLogged.Add(1)
		p.logger.InfoContext(ctx, "scope not in the catalog; recording with entity type unknown", "scope", scope)
	}
}
