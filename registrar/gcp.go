package registrar

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"bcstream/bigcommerce"
)

// IAM roles the registrar grants.
const (
	rolePublisher  = "roles/pubsub.publisher"
	roleSubscriber = "roles/pubsub.subscriber"
)

// GCP change kinds, as plan prints them.
const (
	GCPCreateTopic        = "create topic"
	GCPCreateSubscription = "create subscription"
	GCPUpdateSubscription = "update subscription"
	// GCPRecreateSubscription replaces a subscription whose topic was
	// deleted (Pub/Sub then shows its topic as "_deleted-topic_").
	GCPRecreateSubscription = "recreate subscription"
	GCPGrant                = "grant"
)

// GCPChange is one change to the Pub/Sub side.
type GCPChange struct {
	// Kind is one of the GCP* constants.
	Kind string `json:"kind"`
	// Resource is the full resource name.
	Resource string `json:"resource"`
	// Detail says what exactly changes, for a person.
	Detail string `json:"detail,omitempty"`
	// Err is set by apply when the change failed.
	Err string `json:"error,omitempty"`

	apply func(ctx context.Context) error
}

// deletedTopic is what Pub/Sub reports as the topic of a subscription
// whose topic was deleted.
const deletedTopic = "_deleted-topic_"

// gcp plans and applies the Pub/Sub side.
type gcp struct {
	client *pubsub.Client
	top    Topology
	// skipIAM is set against the emulator, which has no IAM.
	skipIAM bool
	// serviceAgent is the project's Pub/Sub service agent
	// (service-{number}@gcp-sa-pubsub.iam.gserviceaccount.com); "" when
	// unknown, which is an error unless skipIAM.
	serviceAgent string
}

func (g *gcp) topicName(id string) string {
	return bigcommerce.TopicPath(g.client.Project(), id)
}

func (g *gcp) subName(id string) string {
	return "projects/" + g.client.Project() + "/subscriptions/" + id
}

// desiredWorkerSub is the worker subscription as Topology describes it.
func (g *gcp) desiredWorkerSub() *pubsubpb.Subscription {
	t := g.top
	s := &pubsubpb.Subscription{
		Name:               g.subName(t.Subscription),
		Topic:              g.topicName(t.Topic),
		AckDeadlineSeconds: int32(t.AckDeadline / time.Second),
	}
	if t.MaxDeliveryAttempts > 0 {
		s.DeadLetterPolicy = &pubsubpb.DeadLetterPolicy{
			DeadLetterTopic:     g.topicName(t.DeadLetterTopic),
			MaxDeliveryAttempts: int32(t.MaxDeliveryAttempts),
		}
	}
	if t.MinBackoff > 0 || t.MaxBackoff > 0 {
		s.RetryPolicy = &pubsubpb.RetryPolicy{
			MinimumBackoff: durationpb.New(t.MinBackoff),
			MaximumBackoff: durationpb.New(t.MaxBackoff),
		}
	}
	return s
}

// desiredKeepSub keeps dead letters for the longest time Pub/Sub allows,
// so there is a week to fix the cause and replay them.
func (g *gcp) desiredKeepSub() *pubsubpb.Subscription {
	return &pubsubpb.Subscription{
		Name:                     g.subName(g.top.DeadLetterSubscription),
		Topic:                    g.topicName(g.top.DeadLetterTopic),
		MessageRetentionDuration: durationpb.New(7 * 24 * time.Hour),
		AckDeadlineSeconds:       60,
	}
}

// describeSub summarises a subscription's delivery settings.
func describeSub(s *pubsubpb.Subscription) string {
	d := fmt.Sprintf("on %s, ack deadline %ds", lastSegment(s.Topic), s.AckDeadlineSeconds)
	if rp := s.RetryPolicy; rp != nil {
		d += fmt.Sprintf(", retry backoff %s–%s", fmtDur(rp.MinimumBackoff.AsDuration()), fmtDur(rp.MaximumBackoff.AsDuration()))
	}
	if dl := s.DeadLetterPolicy; dl != nil {
		d += fmt.Sprintf(", dead-letter to %s after %d attempts", lastSegment(dl.DeadLetterTopic), dl.MaxDeliveryAttempts)
	}
	if r := s.MessageRetentionDuration; r != nil {
		d += fmt.Sprintf(", keeps messages %s", fmtDur(r.AsDuration()))
	}
	return d
}

// plan reads the Pub/Sub side and returns the changes that make it match
// the topology, and notes for the reader (IAM skipped). An error means the
// actual state could not be read (or cannot be fixed by the registrar).
func (g *gcp) plan(ctx context.Context) ([]*GCPChange, []string, error) {
	var changes []*GCPChange
	var notes []string
	var errs []error
	admin := g.client.TopicAdminClient
	subs := g.client.SubscriptionAdminClient

	exists := map[string]bool{}
	for _, id := range []string{g.top.Topic, g.top.DeadLetterTopic} {
		name := g.topicName(id)
		_, err := admin.GetTopic(ctx, &pubsubpb.GetTopicRequest{Topic: name})
		switch status.Code(err) {
		case codes.OK:
			exists[name] = true
		case codes.NotFound:
			changes = append(changes, &GCPChange{Kind: GCPCreateTopic, Resource: name, apply: func(ctx context.Context) error {
				_, err := admin.CreateTopic(ctx, &pubsubpb.Topic{Name: name})
				return ignoreExists(err)
			}})
		default:
			errs = append(errs, fmt.Errorf("read topic %s: %w", name, err))
		}
	}

	for _, want := range []*pubsubpb.Subscription{g.desiredWorkerSub(), g.desiredKeepSub()} {
		got, err := subs.GetSubscription(ctx, &pubsubpb.GetSubscriptionRequest{Subscription: want.Name})
		switch status.Code(err) {
		case codes.OK:
			if got.Topic == deletedTopic {
				// The topic was deleted: the subscription is detached for
				// good and must be made again (its backlog is gone anyway).
				changes = append(changes, &GCPChange{Kind: GCPRecreateSubscription, Resource: want.Name,
					Detail: "its topic was deleted; " + describeSub(want), apply: func(ctx context.Context) error {
						err := subs.DeleteSubscription(ctx, &pubsubpb.DeleteSubscriptionRequest{Subscription: want.Name})
						if err != nil && status.Code(err) != codes.NotFound {
							return err
						}
						_, err = subs.CreateSubscription(ctx, want)
						return ignoreExists(err)
					}})
				continue
			}
			if got.Topic != want.Topic {
				errs = append(errs, fmt.Errorf("subscription %s is attached to %s, not %s: delete it or choose another subscription name", want.Name, got.Topic, want.Topic))
				continue
			}
			// Only a subscription that is kept has a policy worth reading:
			// a recreated one starts without its grants.
			exists[want.Name] = true
			if paths, detail := subDiff(got, want); len(paths) > 0 {
				changes = append(changes, &GCPChange{Kind: GCPUpdateSubscription, Resource: want.Name, Detail: detail, apply: func(ctx context.Context) error {
					_, err := subs.UpdateSubscription(ctx, &pubsubpb.UpdateSubscriptionRequest{
						Subscription: want, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
					return err
				}})
			}
		case codes.NotFound:
			changes = append(changes, &GCPChange{Kind: GCPCreateSubscription, Resource: want.Name, Detail: describeSub(want), apply: func(ctx context.Context) error {
				_, err := subs.CreateSubscription(ctx, want)
				return ignoreExists(err)
			}})
		default:
			errs = append(errs, fmt.Errorf("read subscription %s: %w", want.Name, err))
		}
	}

	if g.skipIAM {
		notes = append(notes, "IAM not checked: PUBSUB_EMULATOR_HOST is set and the emulator has no IAM. "+
			"On Google Cloud the registrar grants "+rolePublisher+" on the topic to "+bigcommerce.PubSubDeliveryAccount+
			" and the Pub/Sub service agent's dead-letter rights.")
		return changes, notes, errors.Join(errs...)
	}
	grants := []grant{{g.topicName(g.top.Topic), rolePublisher, "serviceAccount:" + bigcommerce.PubSubDeliveryAccount, true}}
	if g.top.MaxDeliveryAttempts > 0 {
		if g.serviceAgent == "" {
			errs = append(errs, errors.New("the Pub/Sub service agent is unknown, so dead-lettering cannot be granted: set PUBSUB_SERVICE_AGENT=service-{PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com"))
		} else {
			sa := "serviceAccount:" + g.serviceAgent
			grants = append(grants,
				grant{g.topicName(g.top.DeadLetterTopic), rolePublisher, sa, true},
				grant{g.subName(g.top.Subscription), roleSubscriber, sa, false})
		}
	}
	for _, gr := range grants {
		c, err := g.planGrant(ctx, gr, exists[gr.resource])
		if err != nil {
			errs = append(errs, err)
		} else if c != nil {
			changes = append(changes, c)
		}
	}
	return changes, notes, errors.Join(errs...)
}

// subDiff returns the update-mask paths on which got differs from want,
// and a description of the differences.
func subDiff(got, want *pubsubpb.Subscription) ([]string, string) {
	var paths []string
	var detail []string
	if got.AckDeadlineSeconds != want.AckDeadlineSeconds {
		paths = append(paths, "ack_deadline_seconds")
		detail = append(detail, fmt.Sprintf("ack deadline %ds → %ds", got.AckDeadlineSeconds, want.AckDeadlineSeconds))
	}
	if rp := describeRetry(got.RetryPolicy); rp != describeRetry(want.RetryPolicy) {
		paths = append(paths, "retry_policy")
		detail = append(detail, fmt.Sprintf("retry %s → %s", rp, describeRetry(want.RetryPolicy)))
	}
	if dl := describeDL(got.DeadLetterPolicy); dl != describeDL(want.DeadLetterPolicy) {
		paths = append(paths, "dead_letter_policy")
		detail = append(detail, fmt.Sprintf("dead-letter %s → %s", dl, describeDL(want.DeadLetterPolicy)))
	}
	if want.MessageRetentionDuration != nil && got.MessageRetentionDuration.AsDuration() != want.MessageRetentionDuration.AsDuration() {
		paths = append(paths, "message_retention_duration")
		detail = append(detail, fmt.Sprintf("retention %s → %s", got.MessageRetentionDuration.AsDuration(), want.MessageRetentionDuration.AsDuration()))
	}
	return paths, joinComma(detail)
}

func describeRetry(rp *pubsubpb.RetryPolicy) string {
	if rp == nil {
		return "immediate"
	}
	return fmt.Sprintf("%s–%s", fmtDur(rp.MinimumBackoff.AsDuration()), fmtDur(rp.MaximumBackoff.AsDuration()))
}

func describeDL(dl *pubsubpb.DeadLetterPolicy) string {
	if dl == nil || dl.DeadLetterTopic == "" {
		return "none"
	}
	return fmt.Sprintf("%s after %d attempts", lastSegment(dl.DeadLetterTopic), dl.MaxDeliveryAttempts)
}

// grant is one IAM binding the registrar makes.
type grant struct {
	resource, role, member string
	topic                  bool // a topic (else a subscription)
}

// planGrant returns the change that adds gr, or nil when the policy has
// it. A resource that does not exist yet gets the grant after creation.
func (g *gcp) planGrant(ctx context.Context, gr grant, exists bool) (*GCPChange, error) {
	get, set := g.policyFuncs(gr.topic)
	if exists {
		p, err := get(ctx, gr.resource)
		if err != nil {
			return nil, fmt.Errorf("read IAM policy of %s: %w (the registrar needs pubsub.topics.getIamPolicy / pubsub.subscriptions.getIamPolicy)", gr.resource, err)
		}
		if hasMember(p, gr.role, gr.member) {
			return nil, nil
		}
	}
	return &GCPChange{Kind: GCPGrant, Resource: gr.resource, Detail: gr.role + " to " + gr.member, apply: func(ctx context.Context) error {
		// Read-modify-write with the policy's etag; a concurrent change
		// makes SetIamPolicy fail with Aborted, and one retry reads again.
		var err error
		for range 3 {
			var p *iampb.Policy
			if p, err = get(ctx, gr.resource); err != nil {
				return err
			}
			if hasMember(p, gr.role, gr.member) {
				return nil
			}
			if err = set(ctx, gr.resource, withMember(p, gr.role, gr.member)); status.Code(err) != codes.Aborted {
				return err
			}
		}
		return err
	}}, nil
}

func (g *gcp) policyFuncs(topic bool) (get func(context.Context, string) (*iampb.Policy, error), set func(context.Context, string, *iampb.Policy) error) {
	if topic {
		c := g.client.TopicAdminClient
		return func(ctx context.Context, r string) (*iampb.Policy, error) {
				return c.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: r})
			}, func(ctx context.Context, r string, p *iampb.Policy) error {
				_, err := c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: r, Policy: p})
				return err
			}
	}
	c := g.client.SubscriptionAdminClient
	return func(ctx context.Context, r string) (*iampb.Policy, error) {
			return c.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: r})
		}, func(ctx context.Context, r string, p *iampb.Policy) error {
			_, err := c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: r, Policy: p})
			return err
		}
}

// hasMember reports whether p binds member to role (unconditionally).
func hasMember(p *iampb.Policy, role, member string) bool {
	for _, b := range p.GetBindings() {
		if b.Role == role && b.Condition == nil && slices.Contains(b.Members, member) {
			return true
		}
	}
	return false
}

// withMember returns a copy of p (etag kept, for optimistic concurrency)
// with member added to role's unconditional binding.
func withMember(p *iampb.Policy, role, member string) *iampb.Policy {
	out := &iampb.Policy{Version: p.GetVersion(), Etag: p.GetEtag(), AuditConfigs: p.GetAuditConfigs()}
	added := false
	for _, b := range p.GetBindings() {
		nb := &iampb.Binding{Role: b.Role, Members: slices.Clone(b.Members), Condition: b.Condition}
		if !added && b.Role == role && b.Condition == nil {
			nb.Members = append(nb.Members, member)
			added = true
		}
		out.Bindings = append(out.Bindings, nb)
	}
	if !added {
		out.Bindings = append(out.Bindings, &iampb.Binding{Role: role, Members: []string{member}})
	}
	return out
}

func ignoreExists(err error) error {
	if status.Code(err) == codes.AlreadyExists {
		return nil
	}
	return err
}

// fmtDur prints whole days, hours and minutes the way people write them
// ("7d", "10m", "90s") instead of time.Duration's "168h0m0s".
func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
