package registrar

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
)

// Topology names the Pub/Sub resources bcstream needs in one project.
type Topology struct {
	// Topic is where BigCommerce publishes webhook events.
	Topic string
	// DeadLetterTopic receives poison messages from the worker and, through
	// the subscription's dead-letter policy, messages that failed
	// MaxDeliveryAttempts times.
	DeadLetterTopic string
	// Subscription is the worker's pull subscription on Topic.
	Subscription string
	// DeadLetterSubscription keeps dead letters: a topic without a
	// subscription discards what is published to it.
	DeadLetterSubscription string

	// AckDeadline is the subscription's initial ack deadline; the client
	// extends leases itself, so this only matters after a crash.
	AckDeadline time.Duration
	// MaxDeliveryAttempts ends redelivery of a message that keeps failing
	// (Pub/Sub allows 5–100). Zero disables the dead-letter policy.
	MaxDeliveryAttempts int
	// MinBackoff and MaxBackoff bound the redelivery delay after a nack.
	MinBackoff, MaxBackoff time.Duration
}

// DefaultTopology returns the resource names and policies bcstream uses
// unless told otherwise.
func DefaultTopology() Topology {
	return Topology{
		Topic:                  "bc-webhooks",
		DeadLetterTopic:        "bc-webhooks-dead-letter",
		Subscription:           "bcstream-worker",
		DeadLetterSubscription: "bc-webhooks-dead-letter-keep",
		AckDeadline:            60 * time.Second,
		MaxDeliveryAttempts:    10,
		MinBackoff:             10 * time.Second,
		MaxBackoff:             600 * time.Second,
	}
}

// EnsureTopology creates whichever of t's resources are missing and
// leaves existing ones as they are. It is safe to run repeatedly and
// concurrently.
func EnsureTopology(ctx context.Context, client *pubsub.Client, t Topology) error {
	g := &gcp{client: client, top: t}
	for _, id := range []string{t.Topic, t.DeadLetterTopic} {
		name := g.topicName(id)
		if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: name}); ignoreExists(err) != nil {
			return fmt.Errorf("create topic %s: %w", name, err)
		}
	}
	// The same subscriptions the registrar's plan creates, so that tests
	// and the demo's setup cannot drift from production's.
	for _, s := range []*pubsubpb.Subscription{g.desiredWorkerSub(), g.desiredKeepSub()} {
		if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, s); ignoreExists(err) != nil {
			return fmt.Errorf("create subscription %s: %w", s.Name, err)
		}
	}
	return nil
}
