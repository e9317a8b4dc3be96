package bctest_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
)

var hashField = regexp.MustCompile(`,"hash":"[0-9a-f]{40}"`)

// checkEnvelope decodes env and checks it is what BigCommerce would send.
func checkEnvelope(t *testing.T, store bctest.StoreConfig, env bctest.Envelope, now time.Time) bigcommerce.Event {
	t.Helper()
	ev, err := bigcommerce.Decode(env.Body)
	if err != nil {
		t.Fatalf("Decode(%s): %v", env.Body, err)
	}
	sum := sha1.Sum(hashField.ReplaceAll(env.Body, nil))
	if ev.Hash != hex.EncodeToString(sum[:]) || env.Hash != ev.Hash {
		t.Errorf("hash %s is not the SHA-1 of the payload without it: %s", ev.Hash, env.Body)
	}
	if ev.StoreHash != store.Hash || ev.StoreID != store.ID || env.StoreHash != store.Hash || env.Scope != ev.Scope {
		t.Errorf("envelope %s: store %s/%s", env.Body, ev.StoreHash, ev.StoreID)
	}
	if !ev.Spec.Known {
		t.Errorf("scope %s not in the catalog", ev.Scope)
	}
	if !now.IsZero() && !ev.CreatedAt.Equal(now.Truncate(time.Second)) {
		t.Errorf("created_at %v, want %v", ev.CreatedAt, now)
	}
	if !bytes.HasPrefix(env.Body, []byte(`{"created_at":`)) {
		t.Errorf("envelope layout: %s", env.Body)
	}
	return ev
}

// TestMutateKinds makes a few changes of every kind and requires each
// event's enrichment calls to answer 200 — the entity's new state — except
// for entities the same change deleted (a cart emptied by its last line's
// removal sends cart/updated, then cart/deleted).
func TestMutateKinds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 11, Quota: -1})
	seen := map[string]bool{}
	for _, kind := range bctest.ChangeKinds() {
		for range 3 {
			evs, err := h.sim.MutateKind(h.store.Hash, kind, 1)
			if err != nil {
				t.Fatalf("MutateKind(%s): %v", kind, err)
			}
			if len(evs) == 0 {
				t.Fatalf("MutateKind(%s) made no events", kind)
			}
			gone := map[string]bool{}
			for _, env := range evs {
				if env.Scope == "store/cart/deleted" {
					ev, _ := bigcommerce.Decode(env.Body)
					gone[ev.EntityID] = true
				}
			}
			for _, env := range evs {
				ev := checkEnvelope(t, h.store, env, h.clock.Now())
				seen[ev.Scope] = true
				if ev.Spec.Enrich == nil || strings.HasPrefix(ev.Scope, "store/cart/") && gone[cartOf(ev)] {
					continue
				}
				x := &expander{t: t, srv: h.srv, store: h.store, ev: ev, got: map[string]bool{}, allow204: true}
				if ev.Spec.Enrich.PerItem {
					var items []map[string]any
					decodeJSON(t, ev.Data, &items)
					for _, it := range items {
						x.run(ev.Spec.Enrich, it, nil)
					}
					continue
				}
				var data map[string]any
				decodeJSON(t, ev.Data, &data)
				x.run(ev.Spec.Enrich, data, nil)
			}
		}
	}
	for _, scope := range []string{"store/order/created", "store/order/statusUpdated", "store/shipment/created",
		"store/product/updated", "store/product/deleted", "store/sku/inventory/order/updated", "store/cart/lineItem/created",
		"store/cart/converted", "store/customer/address/created", "store/priceList/records/updated",
		"store/channel/*/inventory/product/stock_changed", "store/order/transaction/created"} {
		if !seen[scope] {
			t.Errorf("no change sent %s", scope)
		}
	}
}

func cartOf(ev bigcommerce.Event) string {
	var d struct {
		ID     string `json:"id"`
		CartID string `json:"cartId"`
	}
	json.Unmarshal(ev.Data, &d)
	if d.CartID != "" {
		return d.CartID
	}
	return d.ID
}

// TestMutateState checks that enrichment reads the state a change left.
func TestMutateState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 12, Quota: -1})
	data := func(env bctest.Envelope) map[string]any {
		var m map[string]any
		json.Unmarshal(env.Body, &m)
		return m["data"].(map[string]any)
	}
	mutate := func(kind string) []bctest.Envelope {
		t.Helper()
		h.clock.Advance(time.Minute)
		evs, err := h.sim.MutateKind(h.store.Hash, kind, 1)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}

	evs := mutate("order_status_updated")
	d := data(evs[1])
	order := h.get(fmt.Sprintf("/v2/orders/%v", d["id"])).json(t)
	if order["status_id"] != d["status"].(map[string]any)["new_status_id"] || evs[0].Scope != "store/order/updated" {
		t.Errorf("order %v status %v after %s", d["id"], order["status_id"], evs[1].Body)
	}
	if order["date_modified"] != h.clock.Now().Format(time.RFC1123Z) {
		t.Errorf("date_modified %v, want %v", order["date_modified"], h.clock.Now().Format(time.RFC1123Z))
	}

	evs = mutate("product_updated")
	p := h.get(fmt.Sprintf("/v3/catalog/products/%v", data(evs[0])["id"])).json(t)["data"].(map[string]any)
	if p["date_modified"] != h.clock.Now().Format("2006-01-02T15:04:05+00:00") {
		t.Errorf("product date_modified %v", p["date_modified"])
	}

	evs = mutate("product_deleted")
	if r := h.get(fmt.Sprintf("/v3/catalog/products/%v", data(evs[0])["id"])); r.status != 404 {
		t.Errorf("deleted product = %d", r.status)
	}

	evs = mutate("cart_converted")
	cart, orderID := data(evs[0])["id"], data(evs[0])["orderId"]
	if r := h.get(fmt.Sprintf("/v3/carts/%v", cart)); r.status != 404 {
		t.Errorf("converted cart = %d", r.status)
	}
	if o := h.get(fmt.Sprintf("/v2/orders/%v", orderID)).json(t); o["cart_id"] != cart {
		t.Errorf("order from cart %v has cart_id %v", cart, o["cart_id"])
	}

	evs = mutate("order_shipped")
	d = data(evs[0])
	if r := h.get(fmt.Sprintf("/v2/orders/%v/shipments/%v", d["orderId"], d["id"])); r.status != 200 {
		t.Errorf("new shipment = %d", r.status)
	}

	evs = mutate("cart_line_item_added")
	d = data(evs[0])
	if body := string(h.get(fmt.Sprintf("/v3/carts/%v", d["cartId"])).body); !strings.Contains(body, fmt.Sprint(d["id"])) {
		t.Errorf("cart %v lacks line %v", d["cartId"], d["id"])
	}
}

func TestMutateDeterministic(t *testing.T) {
	t.Parallel()
	run := func() []bctest.Envelope {
		clock := newClock()
		sim := bctest.NewSimulator(bctest.Options{Seed: 9, Now: clock.Now})
		var all []bctest.Envelope
		for range 20 {
			evs, err := sim.Mutate(sim.Stores()[0].Hash, 20)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, evs...)
			clock.Advance(1500 * time.Millisecond)
		}
		return all
	}
	a, b := run(), run()
	if len(a) < 400 || !slices.EqualFunc(a, b, func(x, y bctest.Envelope) bool { return bytes.Equal(x.Body, y.Body) }) {
		t.Errorf("two runs differ (%d and %d events)", len(a), len(b))
	}
	scopes := map[string]int{}
	for _, e := range a {
		scopes[e.Scope]++
	}
	if scopes["store/order/statusUpdated"] == 0 || scopes["store/product/updated"] == 0 || scopes["store/cart/updated"] == 0 {
		t.Errorf("mix lacks common scopes: %v", scopes)
	}
	if _, err := bctest.NewSimulator(bctest.Options{}).Mutate("nosuchstore", 1); err == nil {
		t.Error("Mutate on an unknown store succeeded")
	}
	if _, err := bctest.NewSimulator(bctest.Options{}).MutateKind(bctest.DefaultStores(1)[0].Hash, "nope", 1); err == nil {
		t.Error("MutateKind with an unknown kind succeeded")
	}
}

func TestBulkProducts(t *testing.T) {
	t.Parallel()
	for _, unique := range []bool{false, true} {
		h := newHarness(t, bctest.Options{Seed: 4, Quota: -1, UniqueHashes: unique})
		before := len(ids(t, h.get("/v3/catalog/products?limit=250"), "id"))
		imported, err := h.sim.ImportProducts(h.store.Hash, 30)
		if err != nil || len(imported) != 30 {
			t.Fatalf("ImportProducts: %d, %v", len(imported), err)
		}
		if after := len(ids(t, h.get("/v3/catalog/products?limit=250"), "id")); after != before+30 {
			t.Errorf("%d products after importing 30 into %d", after, before)
		}
		evs, err := h.sim.BulkUpdateProducts(h.store.Hash, 25, 4)
		if err != nil || len(evs) != 100 {
			t.Fatalf("BulkUpdateProducts: %d, %v", len(evs), err)
		}
		hashes := map[string]bool{}
		for i, e := range evs {
			ev := checkEnvelope(t, h.store, e, time.Time{})
			if e.Scope != "store/product/updated" || ev.EntityID != mustEntity(t, evs[i%25]) {
				t.Errorf("event %d: %s, not round-major", i, e.Body)
			}
			hashes[e.Hash] = true
		}
		// The clock stands still: repeats share a hash unless UniqueHashes.
		if want := map[bool]int{false: 25, true: 100}[unique]; len(hashes) != want {
			t.Errorf("UniqueHashes=%v: %d distinct hashes, want %d", unique, len(hashes), want)
		}
	}
	// More products than the store has: the missing ones are imported first.
	h := newHarness(t, bctest.Options{Seed: 4, Quota: -1})
	evs, _ := h.sim.BulkUpdateProducts(h.store.Hash, 100, 1)
	created := 0
	for _, e := range evs {
		if e.Scope == "store/product/created" {
			created++
		}
	}
	if created != 60 || len(evs) != 160 {
		t.Errorf("bulk over 100 products of 40: %d created, %d events", created, len(evs))
	}
}

func mustEntity(t *testing.T, e bctest.Envelope) string {
	ev, err := bigcommerce.Decode(e.Body)
	if err != nil {
		t.Fatal(err)
	}
	return ev.EntityID
}

func TestDuplicatesAndReorder(t *testing.T) {
	t.Parallel()
	sim := bctest.NewSimulator(bctest.Options{Seed: 2, UniqueHashes: true})
	evs, _ := sim.Mutate(sim.Stores()[0].Hash, 200)
	orig := slices.Clone(evs)

	dup := bctest.WithDuplicates(evs, 0.1, 1)
	if n := len(dup) - len(evs); n < len(evs)/20 || n > len(evs)/5 {
		t.Errorf("%d duplicates of %d at 10%%", n, len(evs))
	}
	first := map[string]int{}
	for i, e := range dup {
		if j, ok := first[e.Hash]; ok {
			if i-j > 21+len(dup)-len(evs) {
				t.Errorf("duplicate %d positions after its original", i-j)
			}
			continue
		}
		first[e.Hash] = i
	}
	if len(first) != len(evs) {
		t.Errorf("%d distinct events after duplication, want %d", len(first), len(evs))
	}

	re := bctest.Reorder(evs, 8, 1)
	if slices.EqualFunc(re, evs, func(a, b bctest.Envelope) bool { return a.Hash == b.Hash }) {
		t.Error("Reorder changed nothing")
	}
	for i := 0; i < len(evs); i += 8 {
		a := hashesOf(evs[i:min(i+8, len(evs))])
		b := hashesOf(re[i:min(i+8, len(re))])
		if !slices.Equal(a, b) {
			t.Errorf("block %d: events moved across blocks", i/8)
		}
	}
	if !slices.EqualFunc(evs, orig, func(a, b bctest.Envelope) bool { return a.Hash == b.Hash }) {
		t.Error("input modified")
	}
}

func hashesOf(evs []bctest.Envelope) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Hash)
	}
	slices.Sort(out)
	return out
}

func TestEventsScopes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, bctest.Options{Seed: 3})
	env, err := h.sim.EventFor(h.store.Hash, "store/channel/2/order/created")
	if err != nil {
		t.Fatal(err)
	}
	ev := checkEnvelope(t, h.store, env, h.clock.Now())
	if ev.ChannelID != 2 || ev.Scope != "store/channel/2/order/created" {
		t.Errorf("channel event %s", env.Body)
	}
	if env, _ := h.sim.EventFor(h.store.Hash, "store/channel/{channel_id}/cart/created"); !strings.Contains(string(env.Body), `"store/channel/1/cart/created"`) {
		t.Errorf("templated scope: %s", env.Body)
	}
	evs, _ := h.sim.Events(h.store.Hash, "store/metafield/updated")
	types := map[string]bool{}
	for _, e := range evs {
		var d struct {
			Data struct {
				ResourceType string `json:"resource_type"`
			} `json:"data"`
		}
		json.Unmarshal(e.Body, &d)
		types[d.Data.ResourceType] = true
	}
	if len(types) != 10 {
		t.Errorf("generic metafield events cover %v", types)
	}
	for _, bad := range []string{"store/nope/created", "store/channel/9/order/created"} {
		if _, err := h.sim.Events(h.store.Hash, bad); err == nil {
			t.Errorf("Events(%s) succeeded", bad)
		}
	}
	if _, err := h.sim.Events("nosuchstore", "store/order/created"); err == nil {
		t.Error("Events on an unknown store succeeded")
	}
}

// TestPublish publishes envelopes to the in-process Pub/Sub fake.
func TestPublish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := pstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client, err := pubsub.NewClient(ctx, "proj", option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	topic := "projects/proj/topics/bc-webhooks"
	if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topic}); err != nil {
		t.Fatal(err)
	}
	sim := bctest.NewSimulator(bctest.Options{Seed: 1})
	evs, _ := sim.Mutate(sim.Stores()[0].Hash, 10)
	p := client.Publisher(topic)
	defer p.Stop()
	msgIDs, err := bctest.Publish(ctx, p, evs)
	if err != nil || len(msgIDs) != len(evs) || slices.Contains(msgIDs, "") {
		t.Fatalf("Publish = %v, %v", msgIDs, err)
	}
	msgs := srv.Messages()
	if len(msgs) != len(evs) {
		t.Fatalf("%d messages, want %d", len(msgs), len(evs))
	}
	byID := map[string][]byte{}
	for _, m := range msgs {
		if len(m.Attributes) != 0 {
			t.Errorf("message has attributes %v", m.Attributes)
		}
		byID[m.ID] = m.Data
	}
	for i, id := range msgIDs {
		if !bytes.Equal(byID[id], evs[i].Body) {
			t.Errorf("message %s = %s, want %s", id, byID[id], evs[i].Body)
		}
	}
}
