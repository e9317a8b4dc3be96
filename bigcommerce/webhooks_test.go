package bigcommerce_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
)

func TestScopeCovers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		sub, scope string
		want       bool
	}{
		{"store/order/created", "store/order/created", true},
		{"store/order/*", "store/order/created", true},
		{"store/order/*", "store/order/metafield/updated", true}, // no store/order/metafield/* wildcard
		{"store/order/*", "store/orders/created", false},
		{"store/order/*", "store/product/created", false},
		{"store/cart/*", "store/cart/updated", true},
		{"store/cart/*", "store/cart/lineItem/created", false}, // store/cart/lineItem/* owns it
		{"store/cart/lineItem/*", "store/cart/lineItem/created", true},
		{"store/product/*", "store/product/inventory/order/updated", true},
		{"store/product/*", "store/product/metafield/updated", false},
		{"store/channel/*", "store/channel/created", true},
		{"store/channel/*", "store/channel/1/order/created", false}, // store/channel/{channel_id}/order/*
		{"store/channel/1/order/*", "store/channel/1/order/created", true},
		{"store/channel/1/order/*", "store/channel/2/order/created", false},
		{"store/order/created", "store/order/updated", false},
	}
	for _, tc := range cases {
		if got := bigcommerce.ScopeCovers(tc.sub, tc.scope); got != tc.want {
			t.Errorf("ScopeCovers(%q, %q) = %v, want %v", tc.sub, tc.scope, got, tc.want)
		}
	}
}

type creds map[string]string

func (c creds) Token(_ context.Context, h string) (string, error) { return c[h], nil }

func newWebhookClient(t *testing.T) (*bigcommerce.Client, *bctest.Simulator, string) {
	t.Helper()
	sim := bctest.NewSimulatorN(1, 1, -1, 0)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	s := sim.Stores()[0]
	c, err := bigcommerce.NewClient(srv.URL, creds{s.Hash: s.Token}, bigcommerce.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	return c, sim, s.Hash
}

const topic = "projects/p/topics/bc-webhooks"

func TestWebhookLifecycle(t *testing.T) {
	t.Parallel()
	c, sim, hash := newWebhookClient(t)
	ctx := t.Context()

	// The seeded HTTPS hooks belong to other API accounts: invisible.
	hooks, err := c.ListWebhooks(ctx, hash)
	if err != nil || len(hooks) != 0 {
		t.Fatalf("ListWebhooks on a fresh store = %v, %v; want none (others' hooks are invisible)", hooks, err)
	}
	h, err := c.CreatePubSubWebhook(ctx, hash, "store/order/*", topic)
	if err != nil {
		t.Fatal(err)
	}
	if h.Kind != bigcommerce.WebhookKindPubSub || h.Status != bigcommerce.WebhookActive || h.Destination != topic || !strings.HasPrefix(h.ID, "bc/store/webhook/") {
		t.Errorf("created %+v", h)
	}
	_, err = c.CreatePubSubWebhook(ctx, hash, "store/order/*", topic)
	var we *bigcommerce.WebhookError
	if !errors.As(err, &we) || we.Kind != bigcommerce.WebhookAlreadyExists {
		t.Errorf("duplicate create: %v, want AlreadyExists", err)
	}

	h, err = c.SetWebhookActive(ctx, hash, h, false)
	if err != nil || h.Status != bigcommerce.WebhookInactive {
		t.Fatalf("deactivate = %+v, %v", h, err)
	}
	h, err = c.SetWebhookActive(ctx, hash, h, true)
	if err != nil || h.Status != bigcommerce.WebhookActive {
		t.Fatalf("activate = %+v, %v", h, err)
	}
	if err := c.DeleteWebhook(ctx, hash, h); err != nil {
		t.Fatal(err)
	}
	if hooks, _ := sim.Webhooks(hash); len(hooks) != 0 {
		t.Errorf("after delete the store has %v", hooks)
	}
}

func TestListWebhooksPaginates(t *testing.T) {
	t.Parallel()
	c, _, hash := newWebhookClient(t)
	const n = 120 // 50 per page
	for i := range n {
		if _, err := c.CreatePubSubWebhook(t.Context(), hash, fmt.Sprintf("store/order/s%d", i), topic); err != nil {
			t.Fatal(err)
		}
	}
	hooks, err := c.ListWebhooks(t.Context(), hash)
	if err != nil || len(hooks) != n {
		t.Fatalf("ListWebhooks = %d hooks, %v; want %d", len(hooks), err, n)
	}
	seen := map[string]bool{}
	for _, h := range hooks {
		if seen[h.ID] {
			t.Errorf("%s listed twice", h.ID)
		}
		seen[h.ID] = true
	}
}

func TestWebhookErrorsAreActionable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		check    error
		scope    string
		dest     string
		wantKind bigcommerce.WebhookErrorKind
		wantText string
	}{
		{"topic missing", bctest.ErrTopicNotFound, "store/order/*", topic, bigcommerce.WebhookTopicNotFound, "create the topic"},
		{"no publish rights", bctest.ErrPublishDenied, "store/order/*", topic, bigcommerce.WebhookPermissionDenied, bigcommerce.PubSubDeliveryAccount},
		{"bad destination", nil, "store/order/*", "bc-webhooks", bigcommerce.WebhookInvalid, "check WEBHOOK_SCOPES and the destination"},
		{"bad scope", nil, "orders", topic, bigcommerce.WebhookInvalid, `Invalid scope "orders"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, sim, hash := newWebhookClient(t)
			sim.SetTopicCheck(func(context.Context, string) error { return tc.check })
			_, err := c.CreatePubSubWebhook(t.Context(), hash, tc.scope, tc.dest)
			var we *bigcommerce.WebhookError
			if !errors.As(err, &we) || we.Kind != tc.wantKind || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("create = %v; want kind %s and %q", err, tc.wantKind, tc.wantText)
			}
			if we != nil && (we.Store != hash || we.Scope != tc.scope) {
				t.Errorf("error names store %q scope %q", we.Store, we.Scope)
			}
		})
	}
}

func TestWebhookRevokedToken(t *testing.T) {
	t.Parallel()
	c, sim, hash := newWebhookClient(t)
	cfg, _ := sim.Store(hash)
	sim.SetToken(hash, "another")
	_, err := c.ListWebhooks(t.Context(), hash)
	if !errors.Is(err, bigcommerce.ErrUnauthorized) {
		t.Errorf("ListWebhooks with a revoked token = %v, want ErrUnauthorized", err)
	}
	_, err = c.CreatePubSubWebhook(t.Context(), hash, "store/order/*", topic)
	if !errors.Is(err, bigcommerce.ErrUnauthorized) || strings.Contains(err.Error(), cfg.Token) {
		t.Errorf("create with a revoked token = %v, want ErrUnauthorized without the token", err)
	}
}
