package registrar_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
	"bcstream/internal/pubsubtest"
	"bcstream/registrar"
)

// tokens is a bigcommerce.Credentials over a fixed map.
type tokens map[string]string

func (t tokens) Token(_ context.Context, hash string) (string, error) { return t[hash], nil }

// loop is a registrar wired to the simulator and the Pub/Sub emulator.
type loop struct {
	sim    *bctest.Simulator
	srv    *httptest.Server
	ps     *pubsub.Client
	bc     *bigcommerce.Client
	reg    *registrar.Registrar
	stores []string
	top    registrar.Topology
}

var testScopes = []string{"store/order/*", "store/product/*", "store/cart/*"}

func newLoop(t *testing.T, nStores int) *loop {
	t.Helper()
	em := pubsubtest.StartOrSkipShort(t)
	ps := pubsubtest.NewClient(t, em.Host, "regtest")
	sim := bctest.NewSimulatorN(7, nStores, -1, 0)
	sim.SetTopicCheck(bctest.PubSubTopicCheck(ps))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	creds := tokens{}
	var refs []registrar.StoreRef
	var hashes []string
	for _, s := range sim.Stores() {
		creds[s.Hash] = s.Token
		refs = append(refs, registrar.StoreRef{Hash: s.Hash, Name: "store " + s.Hash})
		hashes = append(hashes, s.Hash)
	}
	bc, err := bigcommerce.NewClient(srv.URL, creds, bigcommerce.WithCircuitCooldown(time.Millisecond), bigcommerce.WithMaxRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	top := registrar.DefaultTopology()
	reg, err := registrar.New(registrar.Options{
		Topology: top, Scopes: testScopes, Stores: refs, BigCommerce: bc, PubSub: ps, SkipIAM: true, Concurrency: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &loop{sim: sim, srv: srv, ps: ps, bc: bc, reg: reg, stores: hashes, top: top}
}

func (l *loop) plan(t *testing.T, prune bool) *registrar.Plan {
	t.Helper()
	p, err := l.reg.Plan(t.Context(), prune)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (l *loop) apply(t *testing.T, prune bool) *registrar.Plan {
	t.Helper()
	p, err := l.reg.Apply(t.Context(), prune)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func planText(p *registrar.Plan) string {
	var b strings.Builder
	p.WriteText(&b, true)
	return b.String()
}

// statuses returns scope → status of the store's webhooks to dest.
func statuses(t *testing.T, sim *bctest.Simulator, hash, dest string) map[string]bigcommerce.WebhookStatus {
	t.Helper()
	hooks, err := sim.Webhooks(hash)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bigcommerce.WebhookStatus{}
	for _, h := range hooks {
		if h.Destination == dest {
			out[h.Scope] = h.Status
		}
	}
	return out
}

func allActive(scopes []string) map[string]bigcommerce.WebhookStatus {
	out := map[string]bigcommerce.WebhookStatus{}
	for _, s := range scopes {
		out[s] = bigcommerce.WebhookActive
	}
	return out
}

func sameStatuses(a, b map[string]bigcommerce.WebhookStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// receive pulls n messages from the subscription (acking them) within
// timeout and returns their data.
func receive(t *testing.T, ps *pubsub.Client, sub string, n int, timeout time.Duration) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	var mu sync.Mutex
	var got [][]byte
	err := ps.Subscriber(sub).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		mu.Lock()
		defer mu.Unlock()
		got = append(got, m.Data)
		if len(got) >= n {
			cancel()
		}
	})
	if err != nil && ctx.Err() == nil {
		t.Fatalf("receive: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	return got
}

// TestIntegration_ClosedLoop walks the registrar through its life against
// the simulator and the Pub/Sub emulator: from nothing, a revoked store,
// delivery to the worker subscription, idempotence, healing after the topic
// is deleted, and pruning.
func TestIntegration_ClosedLoop(t *testing.T) {
	l := newLoop(t, 3)
	dest := l.reg.Destination()
	good, revoked := l.stores[:2], l.stores[2]
	revokedCfg, _ := l.sim.Store(revoked)
	if err := l.sim.SetToken(revoked, "rotated-elsewhere"); err != nil {
		t.Fatal(err)
	}

	// From nothing: the plan lists every Pub/Sub resource and webhook.
	p := l.plan(t, false)
	if !p.Failed() {
		t.Errorf("plan with a revoked store: Failed() = false")
	}
	kinds := map[string]int{}
	for _, c := range p.GCP {
		kinds[c.Kind]++
	}
	if kinds[registrar.GCPCreateTopic] != 2 || kinds[registrar.GCPCreateSubscription] != 2 {
		t.Errorf("plan from nothing: Pub/Sub changes %v, want 2 topics and 2 subscriptions\n%s", kinds, planText(p))
	}
	if !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, "IAM not checked") }) {
		t.Errorf("plan against the emulator has no IAM note: %q", p.Notes)
	}
	if got, want := p.Pending(), 4+2*len(testScopes); got != want {
		t.Errorf("plan from nothing: %d pending changes, want %d\n%s", got, want, planText(p))
	}

	// Apply: the good stores get their webhooks; the revoked one is reported.
	p = l.apply(t, false)
	t.Logf("first apply:\n%s", planText(p))
	for _, sp := range p.Stores {
		switch sp.Store {
		case revoked:
			if !strings.Contains(sp.Err, "rejected") || !strings.Contains(sp.Err, "STORES_FILE") {
				t.Errorf("revoked store error = %q, want an actionable token message", sp.Err)
			}
			if strings.Contains(sp.Err, revokedCfg.Token) {
				t.Errorf("revoked store error leaks the token: %q", sp.Err)
			}
		default:
			if sp.Failed() {
				t.Errorf("store %s failed: %s %+v", sp.Store, sp.Err, sp.Hooks)
			}
		}
	}
	for _, h := range good {
		if got := statuses(t, l.sim, h, dest); !sameStatuses(got, allActive(testScopes)) {
			t.Errorf("store %s webhooks after apply = %v, want %v", h, got, allActive(testScopes))
		}
	}

	// Events flow: the simulator publishes only what active webhooks cover.
	subName := pubsubtest.SubscriptionName(l.ps, l.top.Subscription)
	evs, err := l.sim.MutateKind(good[0], "order_created", 5)
	if err != nil {
		t.Fatal(err)
	}
	skipped, err := l.sim.MutateKind(good[0], "customer_created", 3) // store/customer/* is not desired
	if err != nil {
		t.Fatal(err)
	}
	d, err := l.sim.Deliver(t.Context(), l.ps, append(evs, skipped...))
	if err != nil {
		t.Fatal(err)
	}
	// An order sends store/order/created (covered by store/order/*),
	// store/product/inventory/order/updated (store/product/*) and
	// store/sku/inventory/order/updated (store/sku/* is not desired).
	covered := 0
	for _, ev := range evs {
		if strings.HasPrefix(ev.Scope, "store/order/") || strings.HasPrefix(ev.Scope, "store/product/inventory/") {
			covered++
		}
	}
	if covered < 5 || d.Published != covered || d.Dropped != len(evs)+len(skipped)-covered {
		t.Errorf("Deliver = %+v, want %d published and %d dropped", d, covered, len(evs)+len(skipped)-covered)
	}
	got := receive(t, l.ps, subName, covered, 30*time.Second)
	if len(got) != covered {
		t.Errorf("worker subscription received %d messages, want %d", len(got), covered)
	}
	for _, m := range got {
		ev, err := bigcommerce.Decode(m)
		if err != nil {
			t.Errorf("received message does not decode: %v", err)
		} else if ev.StoreHash != good[0] || strings.HasPrefix(ev.Scope, "store/customer/") || strings.HasPrefix(ev.Scope, "store/sku/") {
			t.Errorf("received %s from %s, which no webhook covers", ev.Scope, ev.StoreHash)
		}
	}

	// The token is fixed: the next apply finishes the job, and then a plan
	// finds nothing to do.
	if err := l.sim.SetToken(revoked, revokedCfg.Token); err != nil {
		t.Fatal(err)
	}
	if p = l.apply(t, false); p.Failed() {
		t.Fatalf("apply after fixing the token failed:\n%s", planText(p))
	}
	if p = l.plan(t, false); p.Pending() != 0 || p.Failed() {
		t.Fatalf("second plan: %d pending, failed %v, want nothing\n%s", p.Pending(), p.Failed(), planText(p))
	}

	// The topic is deleted: BigCommerce deactivates the webhooks.
	if err := l.ps.TopicAdminClient.DeleteTopic(t.Context(), &pubsubpb.DeleteTopicRequest{Topic: dest}); err != nil {
		t.Fatal(err)
	}
	deact, err := l.sim.CheckWebhooks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range l.stores {
		if len(deact[h]) != len(testScopes) {
			t.Errorf("store %s: %d webhooks deactivated, want %d", h, len(deact[h]), len(testScopes))
		}
	}
	p = l.plan(t, false)
	t.Logf("plan after the topic was deleted:\n%s", planText(p))
	activates := 0
	for _, sp := range p.Stores {
		for _, c := range sp.Hooks {
			if c.Action == registrar.ActionActivate && c.Status == bigcommerce.WebhookDeactivated {
				activates++
			}
		}
	}
	if activates != len(l.stores)*len(testScopes) {
		t.Errorf("plan after topic deletion: %d re-activations, want %d", activates, len(l.stores)*len(testScopes))
	}

	// run heals it.
	ctx, cancel := context.WithCancel(t.Context())
	var passes []registrar.Pass
	err = l.reg.Run(ctx, time.Hour, false, func(p registrar.Pass) {
		passes = append(passes, p)
		cancel()
	})
	if err != nil || len(passes) != 1 {
		t.Fatalf("Run = %v after %d passes", err, len(passes))
	}
	if passes[0].Plan.Failed() {
		t.Fatalf("healing pass failed:\n%s", planText(passes[0].Plan))
	}
	for _, h := range l.stores {
		if got := statuses(t, l.sim, h, dest); !sameStatuses(got, allActive(testScopes)) {
			t.Errorf("store %s webhooks after run = %v, want all active", h, got)
		}
	}
	evs, _ = l.sim.MutateKind(good[1], "product_updated", 2)
	if d, err := l.sim.Deliver(t.Context(), l.ps, evs); err != nil || d.Published != len(evs) {
		t.Fatalf("Deliver after healing = %+v, %v", d, err)
	}
	if got := receive(t, l.ps, subName, len(evs), 30*time.Second); len(got) != len(evs) {
		t.Errorf("after healing the recreated subscription received %d messages, want %d", len(got), len(evs))
	}
	if p = l.plan(t, false); p.Pending() != 0 {
		t.Errorf("plan after healing: %d pending\n%s", p.Pending(), planText(p))
	}

	// Prune removes only our stale webhooks.
	store := good[0]
	other := pubsubtest.CreateTopic(t, l.ps, "someone-elses").Name
	if _, err := l.bc.CreatePubSubWebhook(t.Context(), store, "store/customer/*", dest); err != nil {
		t.Fatal(err) // stale: not in testScopes
	}
	if _, err := l.bc.CreatePubSubWebhook(t.Context(), store, "store/customer/*", other); err != nil {
		t.Fatal(err) // another destination
	}
	restCreateHTTPS(t, l.srv.URL, store, revokedOr(l, store), "store/order/*")

	p = l.plan(t, false)
	if p.Pending() != 0 {
		t.Errorf("plan without --prune: %d pending, want 0 (stale hooks are only reported)\n%s", p.Pending(), planText(p))
	}
	if !strings.Contains(planText(p), "apply --prune") {
		t.Errorf("plan without --prune does not tell how to delete stale hooks:\n%s", planText(p))
	}
	p = l.apply(t, true)
	t.Logf("apply --prune:\n%s", planText(p))
	if p.Failed() {
		t.Fatal("apply --prune failed")
	}
	hooks, _ := l.sim.Webhooks(store)
	var left []string
	for _, h := range hooks {
		left = append(left, h.Scope+" → "+h.Destination)
	}
	slices.Sort(left)
	want := []string{
		"store/cart/* → " + dest,
		"store/customer/* → " + other,
		"store/order/* → https://hooks.example.com/other-app",
		"store/order/* → " + dest,
		"store/product/* → " + dest,
	}
	if !slices.Equal(left, want) {
		t.Errorf("webhooks after apply --prune:\n got %q\nwant %q", left, want)
	}
	if p = l.plan(t, true); p.Pending() != 0 {
		t.Errorf("plan --prune after apply --prune: %d pending", p.Pending())
	}
}

func revokedOr(l *loop, hash string) string {
	c, _ := l.sim.Store(hash)
	return c.Token
}

// restCreateHTTPS creates an HTTPS webhook through REST /v3/hooks.
func restCreateHTTPS(t *testing.T, base, hash, token, scope string) {
	t.Helper()
	body := `{"scope":"` + scope + `","destination":"https://hooks.example.com/other-app","is_active":true}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/stores/"+hash+"/v3/hooks", strings.NewReader(body))
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /v3/hooks: %s", res.Status)
	}
}

// TestIntegration_SubscriptionDrift: a worker subscription made by hand
// with other settings is updated in place, and then left alone.
func TestIntegration_SubscriptionDrift(t *testing.T) {
	l := newLoop(t, 1)
	pubsubtest.CreateTopic(t, l.ps, l.top.Topic)
	pubsubtest.CreateTopic(t, l.ps, l.top.DeadLetterTopic)
	pubsubtest.CreateSubscription(t, l.ps, l.top.Subscription, l.top.Topic, pubsubtest.SubscriptionOptions{AckDeadline: 10 * time.Second})

	p := l.plan(t, false)
	var update *registrar.GCPChange
	for _, c := range p.GCP {
		if c.Kind == registrar.GCPUpdateSubscription {
			update = c
		}
	}
	if update == nil || !strings.Contains(update.Detail, "ack deadline 10s → 60s") || !strings.Contains(update.Detail, "dead-letter none → bc-webhooks-dead-letter after 10 attempts") {
		t.Fatalf("plan for a drifted subscription:\n%s", planText(p))
	}
	if p = l.apply(t, false); p.Failed() {
		t.Fatalf("apply failed:\n%s", planText(p))
	}
	got, err := l.ps.SubscriptionAdminClient.GetSubscription(t.Context(), &pubsubpb.GetSubscriptionRequest{Subscription: pubsubtest.SubscriptionName(l.ps, l.top.Subscription)})
	if err != nil {
		t.Fatal(err)
	}
	if got.AckDeadlineSeconds != 60 || got.GetDeadLetterPolicy().GetMaxDeliveryAttempts() != 10 || got.GetRetryPolicy().GetMinimumBackoff().AsDuration() != 10*time.Second {
		t.Errorf("subscription after apply: %v", got)
	}
	if p = l.plan(t, false); len(p.GCP) != 0 {
		t.Errorf("plan after apply still changes Pub/Sub:\n%s", planText(p))
	}
}
