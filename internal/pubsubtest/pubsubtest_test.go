package pubsubtest_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/google/go-cmp/cmp"

	"bcstream/internal/pubsubtest"
)

// TestIntegration_Emulator starts the real emulator, publishes and receives
// one message through a subscription with a dead-letter policy, and checks
// that the emulator process is gone once the subtest's cleanup has run.
func TestIntegration_Emulator(t *testing.T) {
	t.Parallel()
	var pid int
	t.Run("roundtrip", func(t *testing.T) {
		e := pubsubtest.StartOrSkipShort(t)
		pid = e.Process.Pid()
		c := pubsubtest.NewClient(t, e.Host, "bcstream-test")

		pubsubtest.CreateTopic(t, c, "webhooks")
		pubsubtest.CreateTopic(t, c, "webhooks-dlq")
		sub := pubsubtest.CreateSubscription(t, c, "webhooks-worker", "webhooks", pubsubtest.SubscriptionOptions{
			AckDeadline:         20 * time.Second,
			DeadLetterTopic:     "webhooks-dlq",
			MaxDeliveryAttempts: 5,
			MinBackoff:          time.Second,
			MaxBackoff:          10 * time.Second,
		})
		if got, want := sub.GetDeadLetterPolicy().GetDeadLetterTopic(), "projects/bcstream-test/topics/webhooks-dlq"; got != want {
			t.Errorf("dead-letter topic = %q, want %q", got, want)
		}

		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		pub := c.Publisher("webhooks")
		defer pub.Stop()
		id, err := pub.Publish(ctx, &pubsub.Message{
			Data:       []byte(`{"scope":"store/order/created"}`),
			Attributes: map[string]string{"store": "abc123"},
		}).Get(ctx)
		if err != nil {
			t.Fatalf("publish: %v", err)
		}

		type got struct {
			ID, Data, Store string
		}
		received := make(chan got, 1)
		rctx, stop := context.WithCancel(ctx)
		defer stop()
		err = c.Subscriber("webhooks-worker").Receive(rctx, func(_ context.Context, m *pubsub.Message) {
			m.Ack()
			select {
			case received <- got{m.ID, string(m.Data), m.Attributes["store"]}:
			default:
			}
			stop()
		})
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("receive: %v", err)
		}
		select {
		case g := <-received:
			if diff := cmp.Diff(got{id, `{"scope":"store/order/created"}`, "abc123"}, g); diff != "" {
				t.Errorf("received message (-want +got):\n%s", diff)
			}
		default:
			t.Fatalf("no message received: %v", ctx.Err())
		}
	})
	if pid == 0 {
		return // skipped
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("emulator pid %d after cleanup: kill(0) = %v, want ESRCH", pid, err)
	}
}
