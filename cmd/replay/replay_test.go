package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"bcstream/internal/pubsubtest"
	"bcstream/pipeline"
)

const project = "replay-test"

// testIdle ends a replay soon after the subscription is drained; the
// emulator delivers a backlog within milliseconds.
const testIdle = 1500 * time.Millisecond

// deadLetter is one message the fixture put on the dead-letter topic.
type deadLetter struct {
	data   string
	reason string            // as replay classifies it
	orig   map[string]string // the attributes it was first published with
}

// fixture is a main topic (with an observer subscription standing in for
// the worker's) and a dead-letter topic with its keep subscription, on
// one Pub/Sub server.
type fixture struct {
	client                  *pubsub.Client
	main, dlq               string // topic IDs
	keep, observer          string // subscription IDs
	letters                 map[string]deadLetter
	mainTopic, keepFullName string
}

func newFixture(t *testing.T, client *pubsub.Client, prefix string) *fixture {
	t.Helper()
	f := &fixture{
		client: client, main: prefix + "-main", dlq: prefix + "-dlq",
		keep: prefix + "-keep", observer: prefix + "-observer",
		letters: map[string]deadLetter{},
	}
	pubsubtest.CreateTopic(t, client, f.main)
	pubsubtest.CreateTopic(t, client, f.dlq)
	pubsubtest.CreateSubscription(t, client, f.keep, f.dlq, pubsubtest.SubscriptionOptions{})
	pubsubtest.CreateSubscription(t, client, f.observer, f.main, pubsubtest.SubscriptionOptions{})
	f.mainTopic = pubsubtest.TopicName(client, f.main)
	f.keepFullName = pubsubtest.SubscriptionName(client, f.keep)
	return f
}

// deadLetterN publishes n dead letters with the given reason: worker
// style (dlq_* attributes) for a worker reason, Pub/Sub style
// (CloudPubSubDeadLetterSource*) for ReasonMaxDeliveryAttempts.
func (f *fixture) deadLetterN(t *testing.T, reason string, n int) {
	t.Helper()
	pub := f.client.Publisher(pubsubtest.TopicName(f.client, f.dlq))
	defer pub.Stop()
	var results []*pubsub.PublishResult
	for i := range n {
		data := fmt.Sprintf(`{"scope":"store/order/created","n":%d,"reason":%q}`, i, reason)
		orig := map[string]string{"origin": "bigcommerce", "seq": fmt.Sprint(i)}
		attrs := maps.Clone(orig)
		switch reason {
		case ReasonMaxDeliveryAttempts:
			attrs["CloudPubSubDeadLetterSourceSubscription"] = "bcstream-worker"
			attrs["CloudPubSubDeadLetterSourceDeliveryCount"] = "10"
			attrs["CloudPubSubDeadLetterSourceSubscriptionProject"] = project
			attrs["CloudPubSubDeadLetterSourceTopicPublishTime"] = "2026-11-23T14:02:05Z"
		default:
			attrs[pipeline.AttrReason] = reason
			attrs[pipeline.AttrError] = "detail"
			attrs[pipeline.AttrOriginalMessageID] = fmt.Sprint(1000 + i)
			attrs[pipeline.AttrSubscription] = "projects/" + project + "/subscriptions/bcstream-worker"
			attrs[pipeline.AttrDeliveryAttempt] = "1"
			attrs[pipeline.AttrPublishTime] = "2026-11-23T14:02:05Z"
			attrs[pipeline.AttrDeadLetteredAt] = "2026-11-23T14:02:06Z"
		}
		f.letters[data] = deadLetter{data: data, reason: reason, orig: orig}
		results = append(results, pub.Publish(t.Context(), &pubsub.Message{Data: []byte(data), Attributes: attrs}))
	}
	for _, r := range results {
		if _, err := r.Get(t.Context()); err != nil {
			t.Fatalf("publish dead letter: %v", err)
		}
	}
}

// received is a message drained from a subscription.
type received struct {
	data  string
	attrs map[string]string
}

// drain acks and returns every message on subscription id (a full name is
// built from the client's project), pulling until a pull comes back
// empty. It uses unary Pull: the emulator keeps delivering to a
// StreamingPull stream after the client has cancelled it.
func drain(t *testing.T, client *pubsub.Client, id string) map[string]received {
	t.Helper()
	name := pubsubtest.SubscriptionName(client, id)
	got := map[string]received{}
	for {
		ctx, cancel := context.WithTimeout(t.Context(), testIdle)
		resp, err := client.SubscriptionAdminClient.Pull(ctx, &pubsubpb.PullRequest{Subscription: name, MaxMessages: 1000})
		cancel()
		if status.Code(err) == codes.DeadlineExceeded || (err == nil && len(resp.GetReceivedMessages()) == 0) {
			return got
		}
		if err != nil {
			t.Fatalf("drain %s: %v", id, err)
		}
		var ackIDs []string
		for _, rm := range resp.GetReceivedMessages() {
			m := rm.GetMessage()
			got[string(m.GetData())] = received{data: string(m.GetData()), attrs: m.GetAttributes()}
			ackIDs = append(ackIDs, rm.GetAckId())
		}
		if err := client.SubscriptionAdminClient.Acknowledge(t.Context(), &pubsubpb.AcknowledgeRequest{Subscription: name, AckIds: ackIDs}); err != nil {
			t.Fatalf("ack on %s: %v", id, err)
		}
	}
}

func (f *fixture) options(reasons ...string) options {
	o := options{
		subscription: f.keepFullName,
		topic:        f.mainTopic,
		reasons:      map[string]bool{},
		idle:         testIdle,
		maxHeld:      1000,
		publishWait:  10 * time.Second,
	}
	for _, r := range reasons {
		o.reasons[r] = true
	}
	return o
}

// byReason builds the expected summary counts.
func byReason(m map[string][3]int) map[string]*counts {
	out := map[string]*counts{}
	for r, c := range m {
		out[r] = &counts{Seen: c[0], Replayed: c[1], Failed: c[2]}
	}
	return out
}

// TestReplayOnEmulator runs replays against Google's Pub/Sub emulator:
// a dry run changes nothing, a filtered replay moves exactly the selected
// reasons back with their original attributes, -limit stops early, and
// across all of them no message is lost or duplicated.
func TestReplayOnEmulator(t *testing.T) {
	em := pubsubtest.StartOrSkipShort(t)

	t.Run("dry run changes nothing", func(t *testing.T) {
		t.Parallel()
		client := pubsubtest.NewClient(t, em.Host, project)
		f := newFixture(t, client, "dry")
		f.deadLetterN(t, "invalid_json", 4)
		f.deadLetterN(t, ReasonMaxDeliveryAttempts, 3)

		s, err := replay(t.Context(), client, options{
			subscription: f.keepFullName, topic: f.mainTopic, dryRun: true,
			idle: testIdle, maxHeld: 1000, publishWait: 10 * time.Second,
		}, nil)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		want := summary{DryRun: true, Left: 7, ByReason: byReason(map[string][3]int{
			"invalid_json": {4, 4, 0}, ReasonMaxDeliveryAttempts: {3, 3, 0},
		})}
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
		if got := drain(t, client, f.observer); len(got) != 0 {
			t.Errorf("dry run published %d messages to the main topic", len(got))
		}
		// Every dead letter is still there, attributes untouched.
		kept := drain(t, client, f.keep)
		if len(kept) != len(f.letters) {
			t.Fatalf("after a dry run the keep subscription has %d messages, want all %d", len(kept), len(f.letters))
		}
		for data, l := range f.letters {
			if got := reasonOf(kept[data].attrs); got != l.reason {
				t.Errorf("message %s: reason after dry run = %q, want %q", data, got, l.reason)
			}
		}
	})

	t.Run("filter by reason, strip attributes, lose nothing", func(t *testing.T) {
		t.Parallel()
		client := pubsubtest.NewClient(t, em.Host, project)
		f := newFixture(t, client, "filter")
		f.deadLetterN(t, "invalid_json", 5)
		f.deadLetterN(t, "sink_rejected", 6)
		f.deadLetterN(t, ReasonMaxDeliveryAttempts, 4)

		s, err := replay(t.Context(), client, f.options("sink_rejected", ReasonMaxDeliveryAttempts), nil)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		want := summary{Left: 5, ByReason: byReason(map[string][3]int{
			"invalid_json": {5, 0, 0}, "sink_rejected": {6, 6, 0}, ReasonMaxDeliveryAttempts: {4, 4, 0},
		})}
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}

		replayed := drain(t, client, f.observer)
		kept := drain(t, client, f.keep)
		for data, l := range f.letters {
			r, inMain := replayed[data]
			_, inKeep := kept[data]
			selected := l.reason != "invalid_json"
			switch {
			case inMain && inKeep:
				t.Errorf("%s is both replayed and still dead-lettered", data)
			case !inMain && !inKeep:
				t.Errorf("%s was lost", data)
			case selected && !inMain:
				t.Errorf("%s (%s) was not replayed", data, l.reason)
			case !selected && inMain:
				t.Errorf("%s (%s) was replayed but not selected", data, l.reason)
			case inMain:
				if diff := cmp.Diff(l.orig, r.attrs); diff != "" {
					t.Errorf("%s: replayed attributes are not the original ones (-want +got):\n%s", data, diff)
				}
			}
		}
		if len(replayed)+len(kept) != len(f.letters) {
			t.Errorf("replayed %d + kept %d != %d dead letters", len(replayed), len(kept), len(f.letters))
		}
	})

	t.Run("limit", func(t *testing.T) {
		t.Parallel()
		client := pubsubtest.NewClient(t, em.Host, project)
		f := newFixture(t, client, "limit")
		f.deadLetterN(t, "bad_hash", 10)

		o := f.options()
		o.limit = 3
		s, err := replay(t.Context(), client, o, nil)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if got := s.total().Replayed; got != 3 {
			t.Errorf("replayed %d, want 3", got)
		}
		replayed, kept := drain(t, client, f.observer), drain(t, client, f.keep)
		if len(replayed) != 3 || len(kept) != 7 {
			t.Errorf("after -limit 3: %d in the main topic, %d still dead-lettered; want 3 and 7", len(replayed), len(kept))
		}
	})

	t.Run("command line", func(t *testing.T) {
		t.Parallel()
		client := pubsubtest.NewClient(t, em.Host, project)
		f := newFixture(t, client, "cli")
		f.deadLetterN(t, "bad_created_at", 2)
		f.deadLetterN(t, "wrong_type", 1)

		var stdout, stderr bytes.Buffer
		err := run(t.Context(), []string{
			"-subscription", f.keep, "-topic", f.main, "-reason", "bad_created_at",
			"-idle", testIdle.String(), "-progress", "200ms",
		}, func(k string) string {
			if k == "GOOGLE_CLOUD_PROJECT" {
				return project
			}
			return ""
		}, &stdout, &stderr, pubsubtest.ClientOptions(em.Host)...)
		if err != nil {
			t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
		}
		for _, re := range []string{
			`(?m)^\s*bad_created_at\s+2\s+2\s+0\s*$`,
			`(?m)^\s*wrong_type\s+1\s+0\s+0\s*$`,
			`(?m)^\s*total\s+3\s+2\s+0\s*$`,
			`(?m)^left in projects/replay-test/subscriptions/cli-keep: 1$`,
		} {
			if !regexp.MustCompile(re).MatchString(stdout.String()) {
				t.Errorf("summary does not match %s:\n%s", re, stdout.String())
			}
		}
		if !strings.Contains(stderr.String(), "replay: ") || !regexp.MustCompile(`seen \d+\s+replayed \d+`).MatchString(stderr.String()) {
			t.Errorf("no progress line on stderr:\n%s", stderr.String())
		}
	})
}

// TestReplayFailedPublishKeepsMessages makes every publish fail (on the
// in-process fake, which can inject errors) and checks that the replay
// reports it and acks nothing: every dead letter is still there.
func TestReplayFailedPublishKeepsMessages(t *testing.T) {
	t.Parallel()
	failing := &publishFailer{}
	srv := pstest.NewServer(pstest.ServerReactorOption{FuncName: "Publish", Reactor: failing})
	t.Cleanup(func() { _ = srv.Close() })
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client, err := pubsub.NewClient(t.Context(), project, option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })

	f := newFixture(t, client, "fail")
	for i := range 5 {
		data := fmt.Sprintf(`{"n":%d}`, i)
		srv.Publish(pubsubtest.TopicName(client, f.dlq), []byte(data), map[string]string{pipeline.AttrReason: "sink_rejected", "origin": "bigcommerce"})
		f.letters[data] = deadLetter{data: data, reason: "sink_rejected"}
	}
	failing.on.Store(true)

	s, err := replay(t.Context(), client, f.options(), nil)
	if !errors.Is(err, errFailed) || !strings.Contains(fmt.Sprint(err), "injected") {
		t.Fatalf("replay error = %v, want errFailed naming the cause", err)
	}
	if tot := s.total(); tot.Replayed != 0 || tot.Failed < 1 {
		t.Errorf("totals = %+v, want nothing replayed and at least one failure", tot)
	}
	for _, m := range srv.Messages() {
		if m.Acks > 0 {
			t.Errorf("message %s was acked although its publish failed", m.ID)
		}
	}
	kept := drain(t, client, f.keep)
	if got, want := slices.Sorted(maps.Keys(kept)), slices.Sorted(maps.Keys(f.letters)); !slices.Equal(got, want) {
		t.Errorf("dead letters after a failed replay = %v, want all of %v", got, want)
	}
}

// publishFailer is a pstest reactor that fails Publish once switched on.
type publishFailer struct{ on atomic.Bool }

func (p *publishFailer) React(any) (bool, any, error) {
	if p.on.Load() {
		return true, nil, status.Error(codes.PermissionDenied, "injected: no publish permission")
	}
	return false, nil, nil
}

// TestPreflight checks the errors an operator sees for a wrong name or a
// replay into the dead-letter topic itself.
func TestPreflight(t *testing.T) {
	t.Parallel()
	srv := pstest.NewServer()
	t.Cleanup(func() { _ = srv.Close() })
	var stdout, stderr bytes.Buffer
	opts := []option.ClientOption{
		option.WithEndpoint(srv.Addr),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
		option.WithoutAuthentication(),
	}
	client, err := pubsub.NewClient(t.Context(), project, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	f := newFixture(t, client, "pre")
	env := func(string) string { return project }

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing subscription", []string{"-subscription", "nope", "-topic", f.main}, "dead-letter subscription projects/replay-test/subscriptions/nope (-subscription)"},
		{"missing topic", []string{"-subscription", f.keep, "-topic", "nope"}, "topic projects/replay-test/topics/nope (-topic)"},
		{"loop", []string{"-subscription", f.keep, "-topic", f.dlq}, "replaying into it would loop"},
		{"bad flags", []string{"-idle", "0", "-limit", "-1"}, "-limit: must be >= 0, got -1\n-idle: must be > 0, got 0s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(t.Context(), tc.args, env, &stdout, &stderr, opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}
