// Package pubsubtest runs the real Pub/Sub emulator for integration tests
// and provides helpers for clients, topics and subscriptions on it.
//
// Tests that need it are slow (a JVM start, ~1–2 s) and depend on the gcloud
// emulator being installed; use StartOrSkipShort so `go test -short` skips
// them. Where the emulator is missing or fails to start, tests skip — except
// under CI=true, where they fail: CI must never pass by silently skipping its
// integration tests.
package pubsubtest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"

	"bcstream/internal/emulator"
)

// Emulator is a running emulator owned by one test.
type Emulator struct {
	// Host is host:port, e.g. "127.0.0.1:40123".
	Host string
	// Process is the emulator process, for its log and PID.
	Process *emulator.Process
}

// Start starts an emulator for tb and stops it (SIGTERM, then SIGKILL after
// 5 s) in tb.Cleanup. Its output goes to a file in tb.TempDir(); when the test
// has failed, the cleanup logs the file's tail. If the emulator is not
// installed or does not start, Start skips tb, or fails it when the
// environment has CI=true.
func Start(tb testing.TB) *Emulator {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), emulator.DefaultStartTimeout)
	defer cancel()
	began := time.Now()
	p, err := emulator.Start(ctx, emulator.Options{LogDir: tb.TempDir()})
	if err != nil {
		if InCI() {
			tb.Fatalf("CI=true, so the Pub/Sub emulator is required: %v", err)
		}
		tb.Skipf("Pub/Sub emulator unavailable (set CI=true to make this a failure): %v", err)
	}
	tb.Logf("Pub/Sub emulator on %s (pid %d) answered in %v", p.Host(), p.Pid(), time.Since(began).Round(time.Millisecond))
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("Pub/Sub emulator log %s, last 4 KiB:\n%s", p.LogPath(), p.LogTail(4096))
		}
		if err := p.Stop(); err != nil {
			tb.Errorf("stopping the Pub/Sub emulator: %v", err)
		}
	})
	return &Emulator{Host: p.Host(), Process: p}
}

// StartOrSkipShort is Start, but skips tb under `go test -short`.
func StartOrSkipShort(tb testing.TB) *Emulator {
	tb.Helper()
	if testing.Short() {
		tb.Skip("skipping: starts the Pub/Sub emulator (-short)")
	}
	return Start(tb)
}

// InCI reports whether the environment says this is a CI run (CI=true, as
// set by GitHub Actions, GitLab and this project's CI).
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// ClientOptions point a Google API client at an emulator on host: plain
// gRPC, no credentials, no telemetry. Passing them explicitly, instead of
// setting PUBSUB_EMULATOR_HOST, keeps parallel tests on different
// emulators from sharing process-wide state.
func ClientOptions(host string) []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(host),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
		option.WithoutAuthentication(),
		option.WithTelemetryDisabled(),
	}
}

// NewClient returns a client for project on the emulator at host, closed in
// tb.Cleanup. Any project ID is accepted by the emulator.
func NewClient(tb testing.TB, host, project string) *pubsub.Client {
	tb.Helper()
	c, err := pubsub.NewClient(context.Background(), project, ClientOptions(host)...)
	if err != nil {
		tb.Fatalf("pubsub.NewClient(%s): %v", host, err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// TopicName returns projects/<client's project>/topics/<id>.
func TopicName(c *pubsub.Client, id string) string {
	return fmt.Sprintf("projects/%s/topics/%s", c.Project(), id)
}

// SubscriptionName returns projects/<client's project>/subscriptions/<id>.
func SubscriptionName(c *pubsub.Client, id string) string {
	return fmt.Sprintf("projects/%s/subscriptions/%s", c.Project(), id)
}

// CreateTopic creates topic id (at least 3 characters, as Pub/Sub requires)
// in c's project, failing tb on error.
func CreateTopic(tb testing.TB, c *pubsub.Client, id string) *pubsubpb.Topic {
	tb.Helper()
	t, err := c.TopicAdminClient.CreateTopic(tb.Context(), &pubsubpb.Topic{Name: TopicName(c, id)})
	if err != nil {
		tb.Fatalf("create topic %q: %v", id, err)
	}
	return t
}

// SubscriptionOptions are the settings CreateSubscription applies; zero
// values leave the emulator's defaults.
type SubscriptionOptions struct {
	// AckDeadline is between 10 s and 600 s.
	AckDeadline time.Duration
	// DeadLetterTopic, if set, is the ID of an existing topic in the same
	// project that gets messages after MaxDeliveryAttempts deliveries.
	DeadLetterTopic string
	// MaxDeliveryAttempts is between 5 and 100; 0 means 5 when
	// DeadLetterTopic is set.
	MaxDeliveryAttempts int32
	// MinBackoff and MaxBackoff set a retry policy (redelivery delay
	// after a nack) when either is non-zero.
	MinBackoff, MaxBackoff time.Duration
	// Filter is a message filter expression.
	Filter string
}

// CreateSubscription creates subscription id on topic (IDs, both in c's
// project, at least 3 characters), failing tb on error.
func CreateSubscription(tb testing.TB, c *pubsub.Client, id, topic string, opts SubscriptionOptions) *pubsubpb.Subscription {
	tb.Helper()
	sub := &pubsubpb.Subscription{
		Name:   SubscriptionName(c, id),
		Topic:  TopicName(c, topic),
		Filter: opts.Filter,
	}
	if opts.AckDeadline > 0 {
		sub.AckDeadlineSeconds = int32(opts.AckDeadline / time.Second)
	}
	if opts.DeadLetterTopic != "" {
		attempts := opts.MaxDeliveryAttempts
		if attempts == 0 {
			attempts = 5
		}
		sub.DeadLetterPolicy = &pubsubpb.DeadLetterPolicy{
			DeadLetterTopic:     TopicName(c, opts.DeadLetterTopic),
			MaxDeliveryAttempts: attempts,
		}
	}
	if opts.MinBackoff > 0 || opts.MaxBackoff > 0 {
		sub.RetryPolicy = &pubsubpb.RetryPolicy{}
		if opts.MinBackoff > 0 {
			sub.RetryPolicy.MinimumBackoff = durationpb.New(opts.MinBackoff)
		}
		if opts.MaxBackoff > 0 {
			sub.RetryPolicy.MaximumBackoff = durationpb.New(opts.MaxBackoff)
		}
	}
	s, err := c.SubscriptionAdminClient.CreateSubscription(tb.Context(), sub)
	if err != nil {
		tb.Fatalf("create subscription %q on %q: %v", id, topic, err)
	}
	return s
}
