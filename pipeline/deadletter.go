package pipeline

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/pubsub/v2"
)

// Attributes set on every dead-lettered message. The original message's
// data and attributes are kept as they were, so a replay can publish it
// back unchanged once the cause is fixed; these keys are added (and are
// what a replay strips).
const (
	// AttrPrefix starts every key below; a replay strips the keys with it.
	AttrPrefix = "dlq_"

	AttrReason            = AttrPrefix + "reason"              // snake_case reason, e.g. invalid_json
	AttrError             = AttrPrefix + "error"               // human-readable detail
	AttrOriginalMessageID = AttrPrefix + "original_message_id" // Pub/Sub message ID on the worker's subscription
	AttrSubscription      = AttrPrefix + "subscription"        // the subscription it was received on
	AttrDeliveryAttempt   = AttrPrefix + "delivery_attempt"    // Pub/Sub's attempt count; "" when not tracked
	AttrPublishTime       = AttrPrefix + "publish_time"        // original publish time, RFC 3339
	AttrDeadLetteredAt    = AttrPrefix + "dead_lettered_at"    // when the worker dead-lettered it, RFC 3339
)

// maxAttrValue is Pub/Sub's limit on an attribute value (1024 bytes).
const maxAttrValue = 1024

// deadLetter publishes m to the dead-letter topic with the reason and
// waits for Pub/Sub to confirm it. Only then may m be acked.
func (p *Pipeline) deadLetter(ctx context.Context, m *pubsub.Message, o outcome) error {
	attrs := make(map[string]string, len(m.Attributes)+7)
	maps.Copy(attrs, m.Attributes)
	attrs[AttrReason] = o.reason
	if o.err != nil {
		attrs[AttrError] = truncate(o.err.Error(), maxAttrValue)
	}
	attrs[AttrOriginalMessageID] = m.ID
	attrs[AttrSubscription] = p.subscriptionName
	if m.DeliveryAttempt != nil {
		attrs[AttrDeliveryAttempt] = strconv.Itoa(*m.DeliveryAttempt)
	}
	if !m.PublishTime.IsZero() {
		attrs[AttrPublishTime] = m.PublishTime.UTC().Format(time.RFC3339Nano)
	}
	attrs[AttrDeadLetteredAt] = time.Now().UTC().Format(time.RFC3339Nano)

	res := p.dlq.Publish(ctx, &pubsub.Message{Data: m.Data, Attributes: attrs})
	if _, err := res.Get(ctx); err != nil {
		return fmt.Errorf("publish to %s: %w", p.dlq.String(), err)
	}
	return nil
}

// truncate shortens s to at most n bytes without splitting a UTF-8 rune.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "") + ellipsis
}
