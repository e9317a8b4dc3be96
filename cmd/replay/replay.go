package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// options are what one replay does; see the flags in main.go.
type options struct {
	subscription string          // full name of the dead-letter subscription
	topic        string          // full name of the topic to publish back to
	reasons      map[string]bool // replay only these reasons; empty means all
	dryRun       bool
	limit        int           // replay at most this many; 0 means no limit
	idle         time.Duration // stop after no delivery for this long
	maxHeld      int           // messages held (leased, not replayed) at once
	publishWait  time.Duration // bound on one publish, from send to Pub/Sub's answer
	progress     time.Duration // interval between progress lines; 0 means none
}

// selects reports whether messages with reason are to be replayed.
func (o *options) selects(reason string) bool {
	return len(o.reasons) == 0 || o.reasons[reason]
}

// Pub/Sub limits and the replay's own pacing.
const (
	// pullBatch is the most messages one Pull asks for.
	pullBatch = 100
	// ackChunk keeps an Acknowledge or ModifyAckDeadline request under
	// Pub/Sub's 512 KB request limit (ack IDs are a few hundred bytes).
	ackChunk = 500
	// holdDeadline is the lease put on held messages, Pub/Sub's maximum;
	// it is renewed every holdRenew while the replay runs.
	holdDeadline = 600 * time.Second
	holdRenew    = 4 * time.Minute
)

// counts are one reason's totals.
type counts struct {
	Seen     int // distinct dead letters received
	Replayed int // published back and acked (dry run: would have been)
	Failed   int // not replayed because the publish failed; left in the subscription
}

// summary is what a replay did.
type summary struct {
	DryRun   bool
	ByReason map[string]*counts
	// Left is how many distinct messages were seen but not replayed and
	// so left in the subscription (reason not selected, -limit reached,
	// a failed publish, or the dry run).
	Left int
	// HeldLimit is set when -max-held messages were held at once, which
	// ended the run: messages past them were not looked at.
	HeldLimit bool
}

func (s *summary) total() counts {
	var t counts
	for _, c := range s.ByReason {
		t.Seen += c.Seen
		t.Replayed += c.Replayed
		t.Failed += c.Failed
	}
	return t
}

// reasons returns the summary's reasons, sorted.
func (s *summary) reasons() []string {
	return slices.Sorted(maps.Keys(s.ByReason))
}

// errFailed is returned when a message could not be published; the run
// stops there, and every message not replayed stays in the dead-letter
// subscription.
var errFailed = errors.New("publishing back failed, so the replay stopped; the messages not replayed stay in the dead-letter subscription")

// replayer is one replay run. The progress line reads its counters while
// the pull loop updates them.
type replayer struct {
	o      options
	client *pubsub.Client
	pub    *pubsub.Publisher

	mu       sync.Mutex
	byReason map[string]*counts
	seen     map[string]bool // message IDs, so a redelivery is counted once
	replayed map[string]bool // message IDs published back and acked
	held     []string        // ack IDs to release at the end
	heldMax  bool
	claimed  int // messages selected for replay (for -limit)
}

// replay moves dead letters from o.subscription back to o.topic.
//
// It pulls with unary Pull calls. For each selected message it publishes a
// copy without the dead-lettering attributes, waits until Pub/Sub has
// accepted the copy, and only then acks the dead letter. A failed publish
// stops the run and leaves its message in the subscription, so a message
// is never lost; at worst, an ack that fails after a successful publish
// replays a message twice, which the worker's dedupe absorbs. Messages
// that are not replayed (not selected, over -limit, every message in a
// dry run) are held, their leases extended, until the end, and then
// released unchanged, so each is looked at once per run.
//
// It stops when no message has arrived for o.idle, after o.limit replays,
// when o.maxHeld messages are held, at the first failed publish, or when
// ctx is done. progress, if non-nil, is called every o.progress with the
// running totals.
func replay(ctx context.Context, client *pubsub.Client, o options, progress func(summary)) (summary, error) {
	if err := preflight(ctx, client, o); err != nil {
		return summary{}, err
	}
	r := &replayer{
		o: o, client: client,
		byReason: map[string]*counts{},
		seen:     map[string]bool{},
		replayed: map[string]bool{},
	}
	if !o.dryRun {
		r.pub = client.Publisher(o.topic)
		defer r.pub.Stop()
	}

	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	bg := make(chan struct{})
	go func() {
		defer close(bg)
		r.background(loopCtx, progress)
	}()

	err := r.loop(ctx)
	stopLoop()
	<-bg

	// Release what is held even when ctx is done (SIGINT): otherwise
	// those messages would stay invisible for up to holdDeadline.
	relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if relErr := r.releaseHeld(relCtx); relErr != nil {
		err = errors.Join(err, relErr)
	}

	s := r.snapshot()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return s, err
}

// preflight fails early, naming the resource, when the subscription or the
// topic is missing, and refuses to publish into the topic the subscription
// reads from (that would loop). Missing permission to read the resources'
// metadata is not fatal: the operator may hold only subscriber and
// publisher roles.
func preflight(ctx context.Context, client *pubsub.Client, o options) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sub, err := client.SubscriptionAdminClient.GetSubscription(ctx, &pubsubpb.GetSubscriptionRequest{Subscription: o.subscription})
	switch {
	case status.Code(err) == codes.PermissionDenied:
	case err != nil:
		return fmt.Errorf("dead-letter subscription %s (-subscription): %w", o.subscription, err)
	case sub.GetTopic() == o.topic:
		return fmt.Errorf("subscription %s reads from %s itself: replaying into it would loop; -topic must be the worker's main topic", o.subscription, o.topic)
	}
	_, err = client.TopicAdminClient.GetTopic(ctx, &pubsubpb.GetTopicRequest{Topic: o.topic})
	if err != nil && status.Code(err) != codes.PermissionDenied {
		return fmt.Errorf("topic %s (-topic): %w", o.topic, err)
	}
	return nil
}

// loop pulls and handles batches until a stop condition holds.
func (r *replayer) loop(ctx context.Context) error {
	lastSeen := time.Now()
	for ctx.Err() == nil {
		want := r.room()
		if want == 0 {
			return nil // -limit reached or -max-held messages held
		}
		msgs, err := r.pull(ctx, want, r.o.idle-time.Since(lastSeen))
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			if time.Since(lastSeen) >= r.o.idle {
				return nil
			}
			continue
		}
		lastSeen = time.Now()
		if err := r.handle(ctx, msgs); err != nil {
			return err
		}
	}
	return nil
}

// room is how many messages the next Pull may ask for: 0 once -limit
// messages were claimed or -max-held are held.
func (r *replayer) room() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.o.limit > 0 && r.claimed >= r.o.limit {
		return 0
	}
	if len(r.held) >= r.o.maxHeld {
		r.heldMax = true
		return 0
	}
	return min(pullBatch, r.o.maxHeld-len(r.held))
}

// pull asks for up to n messages, waiting at most wait (at least a
// second) for some to arrive; no message is an empty result, not an error.
func (r *replayer) pull(ctx context.Context, n int, wait time.Duration) ([]*pubsubpb.ReceivedMessage, error) {
	pctx, cancel := context.WithTimeout(ctx, max(wait, time.Second))
	defer cancel()
	resp, err := r.client.SubscriptionAdminClient.Pull(pctx, &pubsubpb.PullRequest{Subscription: r.o.subscription, MaxMessages: int32(n)})
	switch {
	case err == nil:
		return resp.GetReceivedMessages(), nil
	case ctx.Err() != nil:
		return nil, nil // the caller sees ctx and stops
	case pctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded:
		return nil, nil
	default:
		return nil, fmt.Errorf("pull from %s: %w", r.o.subscription, err)
	}
}

// handle replays or holds one pulled batch.
func (r *replayer) handle(ctx context.Context, msgs []*pubsubpb.ReceivedMessage) error {
	type pending struct {
		rm     *pubsubpb.ReceivedMessage
		reason string
		res    *pubsub.PublishResult
	}
	var toPublish []pending
	var hold []string

	r.mu.Lock()
	for _, rm := range msgs {
		m := rm.GetMessage()
		id := m.GetMessageId()
		reason := reasonOf(m.GetAttributes())
		switch {
		case r.replayed[id]:
			// A redelivery of a message already published back and
			// acked (the ack was lost): ack again, do not publish again.
			toPublish = append(toPublish, pending{rm: rm, reason: reason})
			continue
		case r.seen[id]:
			hold = append(hold, rm.GetAckId()) // another delivery of a held message
			continue
		}
		r.seen[id] = true
		c := r.count(reason)
		c.Seen++
		if !r.o.selects(reason) || (r.o.limit > 0 && r.claimed >= r.o.limit) {
			hold = append(hold, rm.GetAckId())
			continue
		}
		r.claimed++
		if r.o.dryRun {
			c.Replayed++ // would be replayed
			hold = append(hold, rm.GetAckId())
			continue
		}
		toPublish = append(toPublish, pending{rm: rm, reason: reason})
	}
	r.held = append(r.held, hold...)
	r.mu.Unlock()

	// Keep the held messages invisible until the end of the run; the
	// background loop renews the lease.
	if err := r.modifyDeadline(ctx, hold, holdDeadline); err != nil {
		return err
	}
	if len(toPublish) == 0 {
		return nil
	}

	// Publish the whole batch, then wait for every result: the publisher
	// batches the copies into few RPCs.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.o.publishWait)
	defer cancel()
	for i := range toPublish {
		p := &toPublish[i]
		if r.replayed[p.rm.GetMessage().GetMessageId()] {
			continue // read without the lock: only this goroutine writes it
		}
		m := p.rm.GetMessage()
		p.res = r.pub.Publish(pctx, &pubsub.Message{Data: m.GetData(), Attributes: originalAttributes(m.GetAttributes())})
	}
	var ack, failed []string
	var firstErr error
	for _, p := range toPublish {
		if p.res != nil {
			if _, err := p.res.Get(pctx); err != nil {
				failed = append(failed, p.rm.GetAckId())
				if firstErr == nil {
					firstErr = fmt.Errorf("publish message %s to %s: %w", p.rm.GetMessage().GetMessageId(), r.o.topic, err)
				}
				r.mu.Lock()
				r.count(p.reason).Failed++
				r.mu.Unlock()
				continue
			}
		}
		ack = append(ack, p.rm.GetAckId())
	}

	// Only now, with every copy accepted, are the dead letters acked.
	ackErr := r.acknowledge(ctx, ack)
	r.mu.Lock()
	for _, p := range toPublish {
		id := p.rm.GetMessage().GetMessageId()
		if p.res != nil && slices.Contains(ack, p.rm.GetAckId()) {
			r.replayed[id] = true
			r.count(p.reason).Replayed++
		}
	}
	r.held = append(r.held, failed...)
	r.mu.Unlock()

	if firstErr != nil {
		return fmt.Errorf("%w; first error: %w", errFailed, firstErr)
	}
	if ackErr != nil {
		return fmt.Errorf("%d messages were published back but their dead letters could not be acked, so a rerun replays them again (the worker drops the duplicates): %w", len(ack), ackErr)
	}
	return nil
}

// acknowledge acks ackIDs in chunks. The ack uses a context of its own: a
// published copy's dead letter should be acked even while shutting down.
func (r *replayer) acknowledge(ctx context.Context, ackIDs []string) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for chunk := range slices.Chunk(ackIDs, ackChunk) {
		if err := r.client.SubscriptionAdminClient.Acknowledge(actx, &pubsubpb.AcknowledgeRequest{Subscription: r.o.subscription, AckIds: chunk}); err != nil {
			return fmt.Errorf("acknowledge on %s: %w", r.o.subscription, err)
		}
	}
	return nil
}

// modifyDeadline sets the lease of ackIDs to d; zero releases them.
func (r *replayer) modifyDeadline(ctx context.Context, ackIDs []string, d time.Duration) error {
	for chunk := range slices.Chunk(ackIDs, ackChunk) {
		if err := r.client.SubscriptionAdminClient.ModifyAckDeadline(ctx, &pubsubpb.ModifyAckDeadlineRequest{
			Subscription: r.o.subscription, AckIds: chunk, AckDeadlineSeconds: int32(d / time.Second),
		}); err != nil {
			return fmt.Errorf("modify ack deadline on %s: %w", r.o.subscription, err)
		}
	}
	return nil
}

// releaseHeld makes every held message available again at once.
func (r *replayer) releaseHeld(ctx context.Context) error {
	r.mu.Lock()
	held := r.held
	r.held = nil
	r.mu.Unlock()
	if err := r.modifyDeadline(ctx, held, 0); err != nil {
		return fmt.Errorf("release the %d messages not replayed (they become visible again within %s anyway): %w", len(held), holdDeadline, err)
	}
	return nil
}

// background prints progress and renews the held messages' leases until
// ctx is done.
func (r *replayer) background(ctx context.Context, progress func(summary)) {
	var progressC <-chan time.Time
	if progress != nil && r.o.progress > 0 {
		t := time.NewTicker(r.o.progress)
		defer t.Stop()
		progressC = t.C
	}
	renew := time.NewTicker(holdRenew)
	defer renew.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-progressC:
			progress(r.snapshot())
		case <-renew.C:
			r.mu.Lock()
			held := slices.Clone(r.held)
			r.mu.Unlock()
			// A failed renewal only makes held messages visible early,
			// so they might be seen twice; they are never acked.
			_ = r.modifyDeadline(ctx, held, holdDeadline)
		}
	}
}

// count returns reason's counts; r.mu must be held.
func (r *replayer) count(reason string) *counts {
	c := r.byReason[reason]
	if c == nil {
		c = &counts{}
		r.byReason[reason] = c
	}
	return c
}

func (r *replayer) snapshot() summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := summary{DryRun: r.o.dryRun, ByReason: make(map[string]*counts, len(r.byReason)), HeldLimit: r.heldMax}
	for k, c := range r.byReason {
		cc := *c
		s.ByReason[k] = &cc
		s.Left += c.Seen - c.Replayed
	}
	if r.o.dryRun {
		s.Left = s.total().Seen
	}
	return s
}
