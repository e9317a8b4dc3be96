package registrar_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
	"bcstream/internal/pubsubtest"
	"bcstream/registrar"
)

// policyStore is Google Cloud IAM as the registrar sees it: one policy
// per resource, read-modify-write guarded by the etag (a stale etag is
// Aborted, as on Google Cloud). Neither pstest nor the emulator serves
// IAM, so the tests register it on pstest's gRPC server.
type policyStore struct {
	iampb.UnimplementedIAMPolicyServer
	mu       sync.Mutex
	policies map[string]*iampb.Policy
	version  int
	sets     int
	// raceNext makes the next SetIamPolicy find the policy changed under
	// it, as when another tool edits the policy concurrently.
	raceNext bool
}

func (s *policyStore) GetIamPolicy(_ context.Context, r *iampb.GetIamPolicyRequest) (*iampb.Policy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.policies[r.Resource]
	if !ok {
		return &iampb.Policy{Etag: []byte("0")}, nil
	}
	return proto.Clone(p).(*iampb.Policy), nil
}

func (s *policyStore) SetIamPolicy(_ context.Context, r *iampb.SetIamPolicyRequest) (*iampb.Policy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := []byte("0")
	if p, ok := s.policies[r.Resource]; ok {
		cur = p.Etag
	}
	if s.raceNext {
		s.raceNext = false
		s.bumpLocked(r.Resource, s.policies[r.Resource]) // someone else's write
		return nil, status.Error(codes.Aborted, "etag mismatch")
	}
	if string(r.Policy.GetEtag()) != string(cur) {
		return nil, status.Error(codes.Aborted, "etag mismatch")
	}
	s.sets++
	return proto.Clone(s.bumpLocked(r.Resource, r.Policy)).(*iampb.Policy), nil
}

// bumpLocked stores p (or an empty policy) for resource under a new etag.
func (s *policyStore) bumpLocked(resource string, p *iampb.Policy) *iampb.Policy {
	if p == nil {
		p = &iampb.Policy{}
	}
	p = proto.Clone(p).(*iampb.Policy)
	s.version++
	p.Etag = []byte(strconv.Itoa(s.version))
	s.policies[resource] = p
	return p
}

// members returns role's members on resource, sorted.
func (s *policyStore) members(resource, role string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, b := range s.policies[resource].GetBindings() {
		if b.Role == role {
			out = append(out, b.Members...)
		}
	}
	slices.Sort(out)
	return out
}

// edit changes resource's policy as another tool would.
func (s *policyStore) edit(resource string, f func(*iampb.Policy)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := proto.Clone(s.policies[resource]).(*iampb.Policy)
	f(p)
	s.bumpLocked(resource, p)
}

// TestIAMGrants runs the registrar with IAM on against pstest and a policy
// store: the first apply grants BigCommerce's delivery account publish
// rights on the topic and the Pub/Sub service agent its dead-letter rights;
// a second plan finds nothing to do; other bindings survive; a removed
// grant is planned and restored; a concurrent policy edit is retried.
func TestIAMGrants(t *testing.T) {
	t.Parallel()
	iam := &policyStore{policies: map[string]*iampb.Policy{}}
	srv := pstest.NewServerWithCallback(0, func(s *grpc.Server) { iampb.RegisterIAMPolicyServer(s, iam) })
	t.Cleanup(func() { srv.Close() })
	ps := pubsubtest.NewClient(t, srv.Addr, "iamtest")

	sim := bctest.NewSimulatorN(3, 1, -1, 0)
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	creds := tokens{}
	var refs []registrar.StoreRef
	for _, s := range sim.Stores() {
		creds[s.Hash] = s.Token
		refs = append(refs, registrar.StoreRef{Hash: s.Hash})
	}
	bc, err := bigcommerce.NewClient(api.URL, creds, bigcommerce.WithCircuitCooldown(time.Millisecond), bigcommerce.WithMaxRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	const agent = "service-123456789@gcp-sa-pubsub.iam.gserviceaccount.com"
	top := registrar.DefaultTopology()
	reg, err := registrar.New(registrar.Options{
		Topology: top, Scopes: testScopes, Stores: refs, BigCommerce: bc, PubSub: ps, ServiceAgent: agent,
	})
	if err != nil {
		t.Fatal(err)
	}
	topic := pubsubtest.TopicName(ps, top.Topic)
	dlq := pubsubtest.TopicName(ps, top.DeadLetterTopic)
	sub := pubsubtest.SubscriptionName(ps, top.Subscription)
	bcMember := "serviceAccount:" + bigcommerce.PubSubDeliveryAccount
	agentMember := "serviceAccount:" + agent

	grants := func(p *registrar.Plan) []string {
		var out []string
		for _, c := range p.GCP {
			if c.Kind == registrar.GCPGrant {
				out = append(out, c.Resource+" "+c.Detail)
			}
		}
		slices.Sort(out)
		return out
	}
	wantAll := []string{
		dlq + " roles/pubsub.publisher to " + agentMember,
		sub + " roles/pubsub.subscriber to " + agentMember,
		topic + " roles/pubsub.publisher to " + bcMember,
	}
	slices.Sort(wantAll)

	plan, err := reg.Plan(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := grants(plan); !slices.Equal(got, wantAll) {
		t.Fatalf("first plan grants:\n%q\nwant:\n%q", got, wantAll)
	}
	if iam.sets != 0 {
		t.Fatalf("plan wrote %d policies", iam.sets)
	}
	applied, err := reg.Apply(t.Context(), false)
	if err != nil || applied.Failed() {
		t.Fatalf("apply: %v, %s", err, planText(applied))
	}
	check := func(resource, role string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if got := iam.members(resource, role); !slices.Equal(got, want) {
			t.Errorf("%s %s members = %q, want %q", resource, role, got, want)
		}
	}
	check(topic, "roles/pubsub.publisher", bcMember)
	check(dlq, "roles/pubsub.publisher", agentMember)
	check(sub, "roles/pubsub.subscriber", agentMember)

	// Idempotent: nothing left to grant, nothing written.
	sets := iam.sets
	if plan, err = reg.Plan(t.Context(), false); err != nil || len(plan.GCP) != 0 {
		t.Fatalf("plan after apply: %v, changes %q", err, grants(plan))
	}

	// Someone adds a binding and removes BigCommerce's: the plan restores
	// only the missing grant and the apply keeps the other binding.
	const other = "user:ops@example.com"
	iam.edit(topic, func(p *iampb.Policy) {
		p.Bindings = []*iampb.Binding{{Role: "roles/pubsub.viewer", Members: []string{other}}}
	})
	if plan, err = reg.Plan(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if got, want := grants(plan), []string{topic + " roles/pubsub.publisher to " + bcMember}; !slices.Equal(got, want) {
		t.Fatalf("plan after the grant was removed: %q, want %q", got, want)
	}
	iam.mu.Lock()
	iam.raceNext = true // and the policy changes again while applying
	iam.mu.Unlock()
	if applied, err = reg.Apply(t.Context(), false); err != nil || applied.Failed() {
		t.Fatalf("apply with a concurrent policy change: %v, %s", err, planText(applied))
	}
	check(topic, "roles/pubsub.publisher", bcMember)
	check(topic, "roles/pubsub.viewer", other)
	if got := iam.sets - sets; got != 1 {
		t.Errorf("policies written restoring one grant = %d, want 1 (after one Aborted retry)", got)
	}
}
