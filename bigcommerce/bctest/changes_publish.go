package bctest

import (
	"context"
	"errors"
	"fmt"

	"cloud.google.com/go/pubsub/v2"
)

// Publish publishes each envelope's Body to p as one message, the way
// BigCommerce delivers webhooks to a Pub/Sub topic as far as is known: no
// attributes and no ordering key (both undocumented). It waits for every
// result and returns the server-assigned message IDs, in the order of evs
// ("" for failures), and the failures joined.
//
// The caller owns p (and stops it).
func Publish(ctx context.Context, p *pubsub.Publisher, evs []Envelope) ([]string, error) {
	results := make([]*pubsub.PublishResult, len(evs))
	for i, ev := range evs {
		results[i] = p.Publish(ctx, &pubsub.Message{Data: ev.Body})
	}
	ids := make([]string, len(evs))
	var errs []error
	for i, r := range results {
		id, err := r.Get(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("publish %s (%s): %w", evs[i].Hash, evs[i].Scope, err))
			continue
		}
		ids[i] = id
	}
	return ids, errors.Join(errs...)
}
