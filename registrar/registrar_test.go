package registrar

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"github.com/sethvargo/go-envconfig"

	"bcstream/bigcommerce"
	"bcstream/internal/config"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	const dest = "projects/p/topics/t"
	hooks := []bigcommerce.Webhook{
		{ID: "1", Scope: "store/order/*", Destination: dest, Status: bigcommerce.WebhookActive},
		{ID: "2", Scope: "store/product/*", Destination: dest, Status: bigcommerce.WebhookDeactivated},
		{ID: "3", Scope: "store/cart/*", Destination: dest, Status: bigcommerce.WebhookActive},
		{ID: "4", Scope: "store/cart/*", Destination: "https://other.example.com/h", Status: bigcommerce.WebhookActive},
		{ID: "5", Scope: "store/order/*", Destination: "projects/p/topics/other", Status: bigcommerce.WebhookInactive},
		{ID: "6", Scope: "store/order/*", Destination: dest, Status: bigcommerce.WebhookActive}, // duplicate
	}
	scopes := []string{"store/order/*", "store/product/*", "store/customer/*"}
	cases := []struct {
		name  string
		prune bool
		want  []string
	}{
		{"report", false, []string{"3 stale", "4 other-destination", "create store/customer/*", "1 keep", "5 other-destination", "6 stale", "2 activate"}},
		{"prune", true, []string{"3 delete", "4 other-destination", "create store/customer/*", "1 keep", "5 other-destination", "6 delete", "2 activate"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, c := range decide(hooks, scopes, dest, tc.prune) {
				if c.ID == "" {
					got = append(got, c.Action+" "+c.Scope)
				} else {
					got = append(got, c.ID+" "+c.Action)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("decide:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestWithMember(t *testing.T) {
	t.Parallel()
	cond := &iampb.Binding{Role: rolePublisher, Members: []string{"user:a"}}
	p := &iampb.Policy{Etag: []byte("e1"), Bindings: []*iampb.Binding{
		{Role: "roles/viewer", Members: []string{"user:v"}},
		cond,
	}}
	const m = "serviceAccount:" + bigcommerce.PubSubDeliveryAccount
	if hasMember(p, rolePublisher, m) {
		t.Fatal("hasMember before the grant")
	}
	q := withMember(p, rolePublisher, m)
	if !hasMember(q, rolePublisher, m) || string(q.Etag) != "e1" || len(q.Bindings) != 2 {
		t.Errorf("withMember = %v", q)
	}
	if len(cond.Members) != 1 {
		t.Error("withMember changed its input")
	}
	r := withMember(&iampb.Policy{}, roleSubscriber, m)
	if !hasMember(r, roleSubscriber, m) || hasMember(r, rolePublisher, m) {
		t.Errorf("withMember on an empty policy = %v", r)
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	var cfg Config
	err := config.Load(context.Background(), &cfg, envconfig.MapLookuper(map[string]string{
		"GOOGLE_CLOUD_PROJECT": "p", "STORES_FILE": "stores.yaml", "OTEL_SDK_DISABLED": "true",
		"PUBSUB_SERVICE_AGENT": "service-1@gcp-sa-pubsub.iam.gserviceaccount.com",
	}))
	if err != nil {
		t.Fatal(err)
	}
	top := cfg.Topology()
	if top != DefaultTopology() {
		t.Errorf("default config topology = %+v, want DefaultTopology %+v", top, DefaultTopology())
	}
	if !slices.Equal(cfg.Scopes, strings.Split(DefaultScopes, ",")) {
		t.Errorf("WEBHOOK_SCOPES default %q differs from DefaultScopes %q", cfg.Scopes, DefaultScopes)
	}
	for _, s := range cfg.Scopes {
		if !slices.Contains(bigcommerce.Wildcards(), s) {
			t.Errorf("default scope %s is not a catalog wildcard", s)
		}
	}
	if cfg.APIURL != bigcommerce.DefaultBaseURL || cfg.Concurrency < 1 {
		t.Errorf("defaults: API URL %q, concurrency %d", cfg.APIURL, cfg.Concurrency)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	var cfg Config
	err := config.Load(context.Background(), &cfg, envconfig.MapLookuper(map[string]string{
		"GOOGLE_CLOUD_PROJECT": "p", "STORES_FILE": "s", "OTEL_SDK_DISABLED": "true",
		"WEBHOOK_SCOPES":                     "store/order/*,orders,store/*/x",
		"SUBSCRIPTION_ACK_DEADLINE":          "5s",
		"SUBSCRIPTION_MAX_DELIVERY_ATTEMPTS": "3",
		"SUBSCRIPTION_MIN_BACKOFF":           "700s",
		"REGISTRAR_CONCURRENCY":              "0",
		"PUBSUB_TOPIC":                       "projects/p/topics/t",
	}))
	if err == nil {
		t.Fatal("Load accepted a bad config")
	}
	for _, want := range []string{`scope "orders"`, `scope "store/*/x"`, "SUBSCRIPTION_ACK_DEADLINE", "SUBSCRIPTION_MAX_DELIVERY_ATTEMPTS",
		"SUBSCRIPTION_MIN_BACKOFF", "REGISTRAR_CONCURRENCY", "PUBSUB_TOPIC"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	h := NewHealth(time.Hour)
	if h.Check(t.Context()) == nil {
		t.Error("ready before any pass")
	}
	h.Observe(Pass{Plan: &Plan{}})
	if err := h.Check(t.Context()); err != nil {
		t.Errorf("not ready after a good pass: %v", err)
	}
	h.Observe(Pass{Plan: &Plan{GCPErr: "permission denied"}})
	if h.Check(t.Context()) == nil {
		t.Error("ready after a pass whose Pub/Sub side failed")
	}
	h.Observe(Pass{Plan: &Plan{Stores: []*StorePlan{{Store: "a", Err: "revoked"}}}})
	if err := h.Check(t.Context()); err != nil {
		t.Errorf("a store failure made the registrar unready: %v", err)
	}
}
