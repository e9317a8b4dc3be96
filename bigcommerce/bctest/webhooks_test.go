package bctest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
)

// rest calls the simulator's REST API as the store's own API account.
func rest(t *testing.T, srv *httptest.Server, sim *bctest.Simulator, hash, method, path, body string) (int, map[string]any) {
	t.Helper()
	cfg, _ := sim.Store(hash)
	req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+"/stores/"+hash+path, strings.NewReader(body))
	req.Header.Set("X-Auth-Token", cfg.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	json.Unmarshal(b, &out)
	return res.StatusCode, out
}

func TestRESTHooks(t *testing.T) {
	t.Parallel()
	sim := bctest.NewSimulatorN(1, 1, -1, 0)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	hash := sim.Stores()[0].Hash

	code, body := rest(t, srv, sim, hash, "GET", "/v3/hooks", "")
	if code != 200 || len(body["data"].([]any)) != 0 {
		t.Fatalf("GET /v3/hooks on a fresh store = %d %v; want an empty list (seeded hooks are other apps')", code, body)
	}
	code, _ = rest(t, srv, sim, hash, "POST", "/v3/hooks", `{"scope":"store/order/*","destination":"https://example.com:8443/h"}`)
	if code != 422 {
		t.Errorf("POST with a non-443 destination = %d, want 422", code)
	}
	code, body = rest(t, srv, sim, hash, "POST", "/v3/hooks", `{"scope":"store/order/*","destination":"https://example.com/h","is_active":true}`)
	if code != 200 {
		t.Fatalf("POST /v3/hooks = %d %v", code, body)
	}
	id := int(body["data"].(map[string]any)["id"].(float64))
	if code, _ = rest(t, srv, sim, hash, "POST", "/v3/hooks", `{"scope":"store/order/*","destination":"https://example.com/h"}`); code != 409 {
		t.Errorf("duplicate POST = %d, want 409", code)
	}
	path := "/v3/hooks/" + itoa(id)
	if code, _ = rest(t, srv, sim, hash, "PUT", path, `{}`); code != 422 {
		t.Errorf("PUT without fields = %d, want 422", code)
	}
	if code, body = rest(t, srv, sim, hash, "PUT", path, `{"is_active":false}`); code != 200 || body["data"].(map[string]any)["is_active"] != false {
		t.Errorf("PUT is_active=false = %d %v", code, body)
	}
	code, body = rest(t, srv, sim, hash, "GET", "/v3/hooks/admin", "")
	list := body["data"].(map[string]any)["hooks_list"].([]any)
	if code != 200 || len(list) != 1 || list[0].(map[string]any)["status"] != "inactive" {
		t.Errorf("GET /v3/hooks/admin = %d %v", code, body)
	}
	if code, _ = rest(t, srv, sim, hash, "DELETE", path, ""); code != 200 {
		t.Errorf("DELETE = %d", code)
	}
	if code, _ = rest(t, srv, sim, hash, "DELETE", path, ""); code != 404 {
		t.Errorf("second DELETE = %d, want 404", code)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// newPSTest returns a client of an in-process Pub/Sub fake.
func newPSTest(t *testing.T) *pubsub.Client {
	t.Helper()
	srv := pstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pubsub.NewClient(t.Context(), "p", option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDeliverOnlyThroughActiveWebhooks(t *testing.T) {
	t.Parallel()
	ps := newPSTest(t)
	sim := bctest.NewSimulatorN(5, 1, -1, 0)
	sim.SetTopicCheck(bctest.PubSubTopicCheck(ps))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	s := sim.Stores()[0]
	bc, err := bigcommerce.NewClient(srv.URL, creds{s.Hash: s.Token})
	if err != nil {
		t.Fatal(err)
	}
	const topic = "projects/p/topics/hooks"
	if _, err := bc.CreatePubSubWebhook(t.Context(), s.Hash, "store/order/*", topic); err == nil {
		t.Fatal("created a webhook to a topic that does not exist")
	}
	if _, err := ps.TopicAdminClient.CreateTopic(t.Context(), &pubsubpb.Topic{Name: topic}); err != nil {
		t.Fatal(err)
	}
	h, err := bc.CreatePubSubWebhook(t.Context(), s.Hash, "store/order/*", topic)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.SubscriptionAdminClient.CreateSubscription(t.Context(), &pubsubpb.Subscription{Name: "projects/p/subscriptions/s", Topic: topic}); err != nil {
		t.Fatal(err)
	}

	orders, _ := sim.MutateKind(s.Hash, "order_status_updated", 3)
	carts, _ := sim.MutateKind(s.Hash, "cart_created", 2)
	d, err := sim.Deliver(t.Context(), ps, append(orders, carts...))
	if err != nil {
		t.Fatal(err)
	}
	if d.Published != len(orders) || d.Dropped != len(carts) {
		t.Errorf("Deliver = %+v, want %d published (orders) and %d dropped (carts)", d, len(orders), len(carts))
	}

	// Switched off by the client: nothing goes out.
	if _, err := bc.SetWebhookActive(t.Context(), s.Hash, h, false); err != nil {
		t.Fatal(err)
	}
	if d, _ = sim.Deliver(t.Context(), ps, orders); d.Published != 0 {
		t.Errorf("Deliver through an inactive webhook published %d", d.Published)
	}
	if _, err := bc.SetWebhookActive(t.Context(), s.Hash, h, true); err != nil {
		t.Fatal(err)
	}

	// The topic is deleted: delivery deactivates the webhook, and it cannot
	// be re-activated until the topic is back.
	if err := ps.TopicAdminClient.DeleteTopic(t.Context(), &pubsubpb.DeleteTopicRequest{Topic: topic}); err != nil {
		t.Fatal(err)
	}
	if d, _ = sim.Deliver(t.Context(), ps, orders); d.Published != 0 || len(d.Deactivated) != 1 || d.Deactivated[0] != h.ID {
		t.Errorf("Deliver to a deleted topic = %+v, want %s deactivated", d, h.ID)
	}
	hooks, _ := sim.Webhooks(s.Hash)
	if len(hooks) != 1 || hooks[0].Status != bigcommerce.WebhookDeactivated {
		t.Errorf("webhooks after the topic was deleted: %+v", hooks)
	}
	if _, err := bc.SetWebhookActive(t.Context(), s.Hash, h, true); err == nil || !strings.Contains(err.Error(), "doesn't exist") {
		t.Errorf("re-activation without the topic = %v, want topic-not-found", err)
	}
	if _, err := ps.TopicAdminClient.CreateTopic(t.Context(), &pubsubpb.Topic{Name: topic}); err != nil {
		t.Fatal(err)
	}
	if h, err = bc.SetWebhookActive(t.Context(), s.Hash, h, true); err != nil || h.Status != bigcommerce.WebhookActive {
		t.Errorf("re-activation with the topic back = %+v, %v", h, err)
	}
}

func TestPublishStaysUnconditional(t *testing.T) {
	t.Parallel()
	// The default behaviour other callers rely on: Publish sends every
	// envelope, whatever webhooks exist.
	ps := newPSTest(t)
	sim := bctest.NewSimulatorN(5, 1, -1, 0)
	const topic = "projects/p/topics/all"
	ps.TopicAdminClient.CreateTopic(t.Context(), &pubsubpb.Topic{Name: topic})
	evs, _ := sim.Mutate(sim.Stores()[0].Hash, 5)
	p := ps.Publisher(topic)
	defer p.Stop()
	ids, err := bctest.Publish(t.Context(), p, evs)
	if err != nil || len(ids) != len(evs) {
		t.Errorf("Publish = %d ids, %v; want %d", len(ids), err, len(evs))
	}
}

type creds map[string]string

func (c creds) Token(_ context.Context, h string) (string, error) { return c[h], nil }
