package pipeline

import (
	"context"
	"errors"

	"cloud.google.com/go/pubsub/v2"

	"bcstream/bigcommerce"
)

// fate is what happens to a message once processing is over.
type fate int

const (
	// fateWritten: every sink accepted the record → ack.
	fateWritten fate = iota
	// fateDuplicate: the event was already written → ack, count.
	fateDuplicate
	// fatePoison: the message can never succeed → dead-letter, then ack.
	fatePoison
	// fateRetry: a transient failure → nack; Pub/Sub redelivers it under
	// the subscription's retry policy, and its dead-letter policy ends
	// endless retries.
	fateRetry
)

// outcome is the result of processing one message.
type outcome struct {
	fate   fate
	reason string // poison reason (dead-letter attribute, metric label)
	err    error
}

// settleRetry nacks m so that Pub/Sub redelivers it.
//
//go:noinline
func (p *Pipeline) settleRetry(ctx context.Context, m *pubsub.Message, o outcome) {
	p.logger.DebugContext(ctx, "message nacked for redelivery", "message_id", m.ID, "error", o.err)
	m.Nack()
	p.metrics.nacked(ctx, "transient")
}

// settlePoison dead-letters m, then acks it; if the dead-letter topic
// did not take it, it nacks instead. Out of line: it is rare, and its
// frame would otherwise sit on every callback's stack.
//
//go:noinline
func (p *Pipeline) settlePoison(ctx context.Context, m *pubsub.Message, o outcome) {
	if err := p.deadLetter(ctx, m, o); err != nil {
		p.logger.ErrorContext(ctx, "dead-letter publish failed; nacking so the message is not lost",
			"message_id", m.ID, "reason", o.reason, "error", err)
		m.Nack()
		p.metrics.nacked(ctx, "dead_letter_failed")
		return
	}
	p.logger.WarnContext(ctx, "message dead-lettered",
		"message_id", m.ID, "reason", o.reason, "error", o.err)
	m.Ack()
	p.metrics.poison(ctx, o.reason)
	p.metrics.acked(ctx)
}

// PoisonError marks a failure that no redelivery can fix: the message is
// dead-lettered with Reason. Reason is a short snake_case word
// (`invalid_json`, `unknown_store`, `sink_rejected`, …) that operators
// filter and replay by.
type PoisonError struct {
	Reason string
	Err    error
}

func (e *PoisonError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *PoisonError) Unwrap() error { return e.Err }

// Poison wraps err as a PoisonError with reason.
func Poison(reason string, err error) error { return &PoisonError{Reason: reason, Err: err} }

// classify turns a processing error into an outcome: poison if anything
// in the chain says so, otherwise a transient failure.
func classify(err error) outcome {
	var pe *PoisonError
	if errors.As(err, &pe) {
		return outcome{fate: fatePoison, reason: pe.Reason, err: err}
	}
	if errors.Is(err, bigcommerce.ErrPoison) {
		reason := bigcommerce.Reason(err)
		if reason == "" {
			reason = "invalid_event"
		}
		return outcome{fate: fatePoison, reason: reason, err: err}
	}
	return outcome{fate: fateRetry, err: err}
}

// settle carries out a message's fate. It is the only place that acks,
// nacks or dead-letters, so the delivery guarantee can be read here:
// nothing is acked unless it was written, recognised as a duplicate of a
// written event, or kept in the dead-letter topic.
func (p *Pipeline) settle(ctx context.Context, m *pubsub.Message, o outcome) {
	switch o.fate {
	case fateWritten:
		m.Ack()
		p.metrics.acked(ctx)
	case fateDuplicate:
		m.Ack()
		p.metrics.duplicate(ctx)
		p.metrics.acked(ctx)
	case fatePoison:
		p.settlePoison(ctx, m, o)
	default:
		p.settleRetry(ctx, m, o)
	}
}
