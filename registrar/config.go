package registrar

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"bcstream/internal/logging"
	"bcstream/internal/telemetry"
)

// DefaultScopes is the WEBHOOK_SCOPES default: the catalog wildcards of the
// entity families bcstream enriches (orders, catalog, customers, carts,
// shipments, subscribers, channels), so that BigCommerce's new scopes
// within a family arrive without a redeploy. Sub-families with a wildcard
// of their own (cart line items, customer addresses) are listed too, since
// a wildcard does not cover a more specific catalog wildcard's scopes
// (bigcommerce.ScopeCovers).
const DefaultScopes = "store/order/*,store/product/*,store/sku/*,store/category/*," +
	"store/customer/*,store/customer/address/*,store/cart/*,store/cart/lineItem/*," +
	"store/shipment/*,store/subscriber/*,store/channel/*"

// Config is the registrar's whole configuration, read from the environment
// with bcstream/internal/config.Load. The variable names are fixed: deploy
// manifests and the worker share them.
type Config struct {
	// Project is the Google Cloud project that holds the topics and
	// subscriptions; webhooks are pointed at projects/{Project}/topics/{Topic}.
	Project string `env:"GOOGLE_CLOUD_PROJECT, required"`

	// StoresFile is the stores registry (internal/stores), the same file the
	// worker reads: every store in it gets the desired webhooks.
	StoresFile string `env:"STORES_FILE, required"`

	// APIURL is the BigCommerce API root; tests and the demo point it at the
	// simulator.
	APIURL string `env:"BIGCOMMERCE_API_URL, default=https://api.bigcommerce.com"`

	// Topic is the Pub/Sub topic BigCommerce publishes webhook events to.
	Topic string `env:"PUBSUB_TOPIC, default=bc-webhooks"`
	// DeadLetterTopic receives messages the worker gave up on.
	DeadLetterTopic string `env:"PUBSUB_DEAD_LETTER_TOPIC, default=bc-webhooks-dead-letter"`
	// Subscription is the worker's pull subscription on Topic.
	Subscription string `env:"PUBSUB_SUBSCRIPTION, default=bcstream-worker"`
	// DeadLetterSubscription keeps dead letters (a topic without a
	// subscription drops what is published to it).
	DeadLetterSubscription string `env:"PUBSUB_DEAD_LETTER_SUBSCRIPTION, default=bc-webhooks-dead-letter-keep"`

	// Scopes are the webhook scopes every store subscribes to. Wildcards
	// ("store/order/*") and channel scopes ("store/channel/1/order/*") are
	// allowed.
	Scopes []string `env:"WEBHOOK_SCOPES, default=store/order/*,store/product/*,store/sku/*,store/category/*,store/customer/*,store/customer/address/*,store/cart/*,store/cart/lineItem/*,store/shipment/*,store/subscriber/*,store/channel/*"`

	// AckDeadline is the worker subscription's ack deadline.
	AckDeadline time.Duration `env:"SUBSCRIPTION_ACK_DEADLINE, default=60s"`
	// MaxDeliveryAttempts moves a message to the dead-letter topic after
	// this many failed deliveries (Pub/Sub allows 5–100).
	MaxDeliveryAttempts int `env:"SUBSCRIPTION_MAX_DELIVERY_ATTEMPTS, default=10"`
	// MinBackoff and MaxBackoff bound the redelivery delay after a nack
	// (Pub/Sub allows 0–600s).
	MinBackoff time.Duration `env:"SUBSCRIPTION_MIN_BACKOFF, default=10s"`
	MaxBackoff time.Duration `env:"SUBSCRIPTION_MAX_BACKOFF, default=600s"`

	// ServiceAgent is the project's Pub/Sub service agent,
	// service-{PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com, which
	// needs publish rights on the dead-letter topic and subscribe rights on
	// the worker subscription for dead-lettering to work. Required on
	// Google Cloud when dead-lettering is on; unused on the emulator.
	ServiceAgent string `env:"PUBSUB_SERVICE_AGENT"`

	// EmulatorHost is the standard PUBSUB_EMULATOR_HOST: when set, the
	// Pub/Sub client talks to the emulator, which has no IAM, so the
	// registrar grants nothing.
	EmulatorHost string `env:"PUBSUB_EMULATOR_HOST"`

	// Concurrency is how many stores are reconciled at once. Each store has
	// its own API rate limit, so this bounds only the registrar's own load.
	Concurrency int `env:"REGISTRAR_CONCURRENCY, default=8"`

	// HealthAddr, when set (e.g. ":8080"), serves /healthz and /readyz
	// while `run` reconciles.
	HealthAddr string `env:"HEALTH_ADDR"`

	// LogLevel is debug, info, warn or error.
	LogLevel logging.Level `env:"LOG_LEVEL, default=info"`

	Telemetry telemetry.Config
}

// Topology returns the Pub/Sub resources and policies c describes.
func (c *Config) Topology() Topology {
	return Topology{
		Topic:                  c.Topic,
		DeadLetterTopic:        c.DeadLetterTopic,
		Subscription:           c.Subscription,
		DeadLetterSubscription: c.DeadLetterSubscription,
		AckDeadline:            c.AckDeadline,
		MaxDeliveryAttempts:    c.MaxDeliveryAttempts,
		MinBackoff:             c.MinBackoff,
		MaxBackoff:             c.MaxBackoff,
	}
}

// Validate checks the limits Pub/Sub and BigCommerce would otherwise
// reject halfway through an apply, naming the variable of each problem.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Scopes) == 0 {
		errs = append(errs, errors.New("WEBHOOK_SCOPES: name at least one scope"))
	}
	for _, s := range c.Scopes {
		if err := ValidateScope(s); err != nil {
			errs = append(errs, fmt.Errorf("WEBHOOK_SCOPES: %w", err))
		}
	}
	if d := c.AckDeadline; d < 10*time.Second || d > 600*time.Second {
		errs = append(errs, fmt.Errorf("SUBSCRIPTION_ACK_DEADLINE: %s is outside Pub/Sub's 10s–600s", d))
	}
	if n := c.MaxDeliveryAttempts; n != 0 && (n < 5 || n > 100) {
		errs = append(errs, fmt.Errorf("SUBSCRIPTION_MAX_DELIVERY_ATTEMPTS: %d is outside Pub/Sub's 5–100 (0 disables dead-lettering)", n))
	}
	if c.MinBackoff < 0 || c.MinBackoff > 600*time.Second {
		errs = append(errs, fmt.Errorf("SUBSCRIPTION_MIN_BACKOFF: %s is outside Pub/Sub's 0s–600s", c.MinBackoff))
	}
	if c.MaxBackoff < 0 || c.MaxBackoff > 600*time.Second {
		errs = append(errs, fmt.Errorf("SUBSCRIPTION_MAX_BACKOFF: %s is outside Pub/Sub's 0s–600s", c.MaxBackoff))
	}
	if c.MinBackoff > c.MaxBackoff {
		errs = append(errs, fmt.Errorf("SUBSCRIPTION_MIN_BACKOFF (%s) must not exceed SUBSCRIPTION_MAX_BACKOFF (%s)", c.MinBackoff, c.MaxBackoff))
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("REGISTRAR_CONCURRENCY: %d must be at least 1", c.Concurrency))
	}
	if c.MaxDeliveryAttempts > 0 && c.EmulatorHost == "" && c.ServiceAgent == "" {
		// Found here rather than on every plan, where it would block every
		// pass of `run` until someone read the logs.
		errs = append(errs, errors.New("PUBSUB_SERVICE_AGENT: required on Google Cloud when dead-lettering is on: set it to service-{PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com"))
	}
	for name, v := range map[string]string{
		"PUBSUB_TOPIC": c.Topic, "PUBSUB_DEAD_LETTER_TOPIC": c.DeadLetterTopic,
		"PUBSUB_SUBSCRIPTION": c.Subscription, "PUBSUB_DEAD_LETTER_SUBSCRIPTION": c.DeadLetterSubscription,
	} {
		if strings.TrimSpace(v) == "" || strings.Contains(v, "/") {
			errs = append(errs, fmt.Errorf("%s: %q must be a bare resource ID (no projects/… prefix)", name, v))
		}
	}
	return errors.Join(errs...)
}

// ValidateScope accepts a webhook scope of the form store/<entity>/…:
// letters, digits, '/', '_' and '*' (only as the last segment), e.g.
// "store/order/*", "store/product/updated", "store/channel/1/order/*".
func ValidateScope(s string) error {
	if !strings.HasPrefix(s, "store/") || len(s) == len("store/") {
		return fmt.Errorf("scope %q must start with store/ and name an event, e.g. store/order/*", s)
	}
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		if seg == "" {
			return fmt.Errorf("scope %q has an empty segment", s)
		}
		if seg == "*" {
			if i != len(segs)-1 {
				return fmt.Errorf("scope %q: * is allowed only as the last segment", s)
			}
			continue
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
				return fmt.Errorf("scope %q: unexpected character %q", s, r)
			}
		}
	}
	return nil
}
