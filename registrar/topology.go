package registrar

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
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
	project := client.Project()
	topic := func(id string) string { return "projects/" + project + "/topics/" + id }
	sub := func(id string) string { return "projects/" + project + "/subscriptions/" + id }

	for _, id := range []string{t.Topic, t.DeadLetterTopic} {
		_, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topic(id)})
		if err != nil && status.Code(err) != codes.AlreadyExists {
			return fmt.Errorf("create topic %s: %w", topic(id), err)
		}
	}

	worker := &pubsubpb.Subscription{
		Name:               sub(t.Subscription),
		Topic:              topic(t.Topic),
		AckDeadlineSeconds: int32(t.AckDeadline / time.Second),
	}
	if t.MaxDeliveryAttempts > 0 {
		worker.DeadLetterPolicy = &pubsubpb.DeadLetterPolicy{
			DeadLetterTopic:     topic(t.DeadLetterTopic),
			MaxDeliveryAttempts: int32(t.MaxDeliveryAttempts),
		}
	}
	if t.MinBackoff > 0 || t.MaxBackoff > 0 {
		worker.RetryPolicy = &pubsubpb.RetryPolicy{
			MinimumBackoff: durationpb.New(t.MinBackoff),
			MaximumBackoff: durationpb.New(t.MaxBackoff),
		}
	}
	keep := &pubsubpb.Subscription{
		Name:  sub(t.DeadLetterSubscription),
		Topic: topic(t.DeadLetterTopic),
		// Dead letters are kept for the longest time Pub/Sub allows, so
		// there is a week to fix the cause and replay them.
		MessageRetentionDuration: durationpb.New(7 * 24 * time.Hour),
		AckDeadlineSeconds:       60,
	}
	for _, s := range []*pubsubpb.Subscription{worker, keep} {
		_, err := client.SubscriptionAdminClient.CreateSubscription(ctx, s)
		if err != nil && status.Code(err) != codes.AlreadyExists {
			return fmt.Errorf("create subscription %s: %w", s.Name, err)
		}
	}
	return nil
}
