package bctest

// Webhook management: the state behind the GraphQL Admin webhook API and
// REST /v3/hooks (webhooks_api.go), BigCommerce's rules for it, and
// Deliver, which publishes change envelopes only through active Pub/Sub
// webhooks. The API shapes themselves are bigcommerce/webhooks.go's.

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"bcstream/bigcommerce"
)

// Errors a TopicCheck returns; the webhook API turns them into
// BigCommerce's PubSubTopicNotFoundError and publisher-permission error.
var (
	ErrTopicNotFound = errors.New("bctest: topic not found")
	ErrPublishDenied = errors.New("bctest: publisher permission not granted")
)

// TopicCheck answers, for a topic path (projects/P/topics/T), what
// BigCommerce asks Google when a Pub/Sub webhook is created, re-activated
// or delivers: does the topic exist and may BigCommerce's delivery account
// publish to it? It returns nil, ErrTopicNotFound or ErrPublishDenied (or
// another error, which the API reports as an internal error).
type TopicCheck func(ctx context.Context, topic string) error

// PubSubTopicCheck is a TopicCheck against a Pub/Sub server (the emulator):
// the topic must exist. The emulator has no IAM, so publish rights are
// always granted; wrap the check to simulate their revocation.
func PubSubTopicCheck(client *pubsub.Client) TopicCheck {
	return func(ctx context.Context, topic string) error {
		_, err := client.TopicAdminClient.GetTopic(ctx, &pubsubpb.GetTopicRequest{Topic: topic})
		if status.Code(err) == codes.NotFound {
			return ErrTopicNotFound
		}
		return err
	}
}

// Limits BigCommerce documents for webhooks (reference §4.1).
const (
	maxHooksPerScope = 10 // per store + client + scope
)

// webhookSettings are the simulator-wide webhook settings.
type webhookSettings struct {
	mu    sync.Mutex
	check TopicCheck
}

// SetTopicCheck makes Pub/Sub webhook creation, re-activation and Deliver
// check destinations with check (nil: every well-formed topic exists and
// grants publish rights, the default).
func (sim *Simulator) SetTopicCheck(check TopicCheck) {
	sim.hookCfg.mu.Lock()
	sim.hookCfg.check = check
	sim.hookCfg.mu.Unlock()
}

// checkTopic runs the TopicCheck, if any.
func (sim *Simulator) checkTopic(ctx context.Context, topic string) error {
	sim.hookCfg.mu.Lock()
	check := sim.hookCfg.check
	sim.hookCfg.mu.Unlock()
	if check == nil {
		return nil
	}
	return check(ctx, topic)
}

// webhookState is one store's webhook bookkeeping beyond storeData.hooks
// (which holds every hook, seeded HTTPS ones included, for GET
// /v3/hooks/{id}).
type webhookState struct {
	pubsub      map[int]bool // hooks whose destination is a Pub/Sub topic
	deactivated map[int]bool // switched off by BigCommerce, not by a client
}

// ClientID returns the client ID of the API account behind store hash's
// token: the account whose webhooks the management API shows and changes.
// The seeded HTTPS hooks belong to other accounts (other apps).
func (sim *Simulator) ClientID(hash string) string { return clientID(hash) }

func clientID(hash string) string {
	h := fnv.New64a()
	h.Write([]byte("bcsim-client/" + hash))
	return fmt.Sprintf("bcsim%010x", h.Sum64()>>24)
}

// hookGID is a webhook's GraphQL global ID.
func hookGID(id int) string { return "bc/store/webhook/" + strconv.Itoa(id) }

// parseHookGID returns the numeric ID of a global ID (or of a bare number).
func parseHookGID(gid string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(gid, "bc/store/webhook/"))
	return n, err == nil && n > 0
}

// hookStatus is a hook's GraphQL status.
func (st *simStore) hookStatus(h *hook) bigcommerce.WebhookStatus {
	switch {
	case st.wh.deactivated[h.ID]:
		return bigcommerce.WebhookDeactivated
	case h.IsActive:
		return bigcommerce.WebhookActive
	}
	return bigcommerce.WebhookInactive
}

// webhook renders h as the management API's bigcommerce.Webhook.
func (st *simStore) webhook(h *hook) bigcommerce.Webhook {
	kind := bigcommerce.WebhookKindHTTPS
	if st.wh.pubsub[h.ID] {
		kind = bigcommerce.WebhookKindPubSub
	}
	return bigcommerce.Webhook{
		ID: hookGID(h.ID), Kind: kind, Scope: h.Scope, Destination: h.Destination, Status: st.hookStatus(h),
		CreatedAt: time.Time(h.CreatedAt).UTC(), UpdatedAt: time.Time(h.UpdatedAt).UTC(),
	}
}

// ownHooks returns the hooks of the store's own client, by ID; st.mu held.
func (st *simStore) ownHooks() []*hook {
	cid := clientID(st.cfg.Hash)
	var out []*hook
	for _, id := range sortedKeys(st.d.hooks) {
		if h := st.d.hooks[id]; h.ClientID == cid {
			out = append(out, h)
		}
	}
	return out
}

// Webhooks returns the webhooks of store hash's own API account (those the
// management API shows), by ID.
func (sim *Simulator) Webhooks(hash string) ([]bigcommerce.Webhook, error) {
	st, err := sim.mustStore(hash)
	if err != nil {
		return nil, err
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	var out []bigcommerce.Webhook
	for _, h := range st.ownHooks() {
		out = append(out, st.webhook(h))
	}
	return out, nil
}

// hookError is a refused webhook change, rendered per API by the handlers.
type hookError struct {
	typ   string // bigcommerce.ErrType*; "" for an internal error
	msg   string
	topic string
}

func (e *hookError) Error() string { return e.msg }

// topicError turns a TopicCheck failure into BigCommerce's error.
func topicError(topic string, err error) *hookError {
	switch {
	case errors.Is(err, ErrTopicNotFound):
		return &hookError{typ: bigcommerce.ErrTypeTopicNotFound, msg: fmt.Sprintf(bigcommerce.TopicNotFoundText, topic), topic: topic}
	case errors.Is(err, ErrPublishDenied):
		return &hookError{typ: bigcommerce.ErrTypePublisherPermission, msg: fmt.Sprintf(bigcommerce.PublisherPermissionText, topic), topic: topic}
	}
	return &hookError{msg: "Internal error checking the Google topic; retry later"}
}

// validTopicPath reports whether dest is projects/P/topics/T.
func validTopicPath(dest string) bool {
	p := strings.Split(dest, "/")
	return len(p) == 4 && p[0] == "projects" && p[1] != "" && p[2] == "topics" && p[3] != ""
}

// createHook adds a hook for the store's own client after checking the
// documented rules. For Pub/Sub, the topic was checked by the caller
// (topicErr), outside the store lock. st.mu must be held for writing.
func (st *simStore) createHook(scope, dest string, active, isPubSub bool, headers map[string]string, topicErr error) (*hook, *hookError) {
	if msg := scopeProblem(scope); msg != "" {
		return nil, &hookError{typ: bigcommerce.ErrTypeValidation, msg: msg}
	}
	if isPubSub && !validTopicPath(dest) {
		return nil, &hookError{typ: bigcommerce.ErrTypeValidation, msg: fmt.Sprintf("Invalid destination %q: expected projects/{project}/topics/{topic}", dest)}
	}
	same := 0
	for _, h := range st.ownHooks() {
		if h.Scope != scope {
			continue
		}
		if h.Destination == dest {
			return nil, &hookError{typ: bigcommerce.ErrTypeAlreadyExists, msg: fmt.Sprintf("A webhook for scope %s and destination %s already exists", scope, dest)}
		}
		same++
	}
	if same >= maxHooksPerScope {
		return nil, &hookError{typ: bigcommerce.ErrTypeValidation, msg: fmt.Sprintf("At most %d webhooks are allowed per scope; %s has %d", maxHooksPerScope, scope, same)}
	}
	if isPubSub && topicErr != nil {
		return nil, topicError(dest, topicErr)
	}
	now := unixTime(st.sim.now())
	if headers == nil {
		headers = map[string]string{}
	}
	h := &hook{ID: st.d.newID("hook"), ClientID: clientID(st.cfg.Hash), StoreHash: st.cfg.Hash, Scope: scope,
		Destination: dest, IsActive: active, Headers: headers, CreatedAt: now, UpdatedAt: now}
	st.d.hooks[h.ID] = h
	if isPubSub {
		if st.wh.pubsub == nil {
			st.wh.pubsub = map[int]bool{}
		}
		st.wh.pubsub[h.ID] = true
	}
	return h, nil
}

// setActive switches a hook on or off. Switching a Pub/Sub hook on needs
// its topic to pass the check (topicErr, run by the caller) and clears a
// deactivation. st.mu must be held for writing.
func (st *simStore) setActive(h *hook, active bool, topicErr error) *hookError {
	if active && st.wh.pubsub[h.ID] && topicErr != nil {
		return topicError(h.Destination, topicErr)
	}
	h.IsActive = active
	if active {
		delete(st.wh.deactivated, h.ID)
	}
	h.UpdatedAt = unixTime(st.sim.now())
	return nil
}

// deleteHook removes a hook. st.mu must be held for writing.
func (st *simStore) deleteHook(h *hook) {
	delete(st.d.hooks, h.ID)
	delete(st.wh.pubsub, h.ID)
	delete(st.wh.deactivated, h.ID)
}

// ownHook returns the store's own hook with the given ID; st.mu held.
func (st *simStore) ownHook(id int) *hook {
	h := st.d.hooks[id]
	if h == nil || h.ClientID != clientID(st.cfg.Hash) {
		return nil // other accounts' hooks are invisible to this token
	}
	return h
}

// scopeProblem returns the API's validation message for a scope it
// refuses, "" for store/… scopes with an optional trailing wildcard.
func scopeProblem(scope string) string {
	if !strings.HasPrefix(scope, "store/") || strings.Contains(scope, "//") || strings.HasSuffix(scope, "/") {
		return fmt.Sprintf("Invalid scope %q", scope)
	}
	if i := strings.Index(scope, "*"); i >= 0 && i != len(scope)-1 {
		return fmt.Sprintf("Invalid scope %q: * only as the last segment", scope)
	}
	return ""
}

// deactivateTopic deactivates every active Pub/Sub hook of the store that
// points at topic, as BigCommerce does when the topic disappears or
// publish rights are revoked, and returns their global IDs.
func (st *simStore) deactivateTopic(topic string) []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []string
	for _, h := range st.ownHooks() {
		if st.wh.pubsub[h.ID] && h.Destination == topic && h.IsActive {
			h.IsActive = false
			if st.wh.deactivated == nil {
				st.wh.deactivated = map[int]bool{}
			}
			st.wh.deactivated[h.ID] = true
			h.UpdatedAt = unixTime(st.sim.now())
			out = append(out, hookGID(h.ID))
		}
	}
	return out
}

// activePubSubTopics returns, per topic, the scopes of the store's active
// Pub/Sub hooks.
func (st *simStore) activePubSubTopics() map[string][]string {
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := map[string][]string{}
	for _, h := range st.ownHooks() {
		if st.wh.pubsub[h.ID] && h.IsActive {
			out[h.Destination] = append(out[h.Destination], h.Scope)
		}
	}
	return out
}

// CheckWebhooks re-checks the topic of every active Pub/Sub webhook of
// every store with the TopicCheck and deactivates those that fail, as
// BigCommerce does in the background; it returns the deactivated webhooks'
// IDs by store hash. Errors other than ErrTopicNotFound and
// ErrPublishDenied deactivate nothing and are returned.
func (sim *Simulator) CheckWebhooks(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	var errs []error
	for _, sc := range sim.Stores() {
		st := sim.store(sc.Hash)
		for topic := range st.activePubSubTopics() {
			err := sim.checkTopic(ctx, topic)
			switch {
			case err == nil:
			case errors.Is(err, ErrTopicNotFound), errors.Is(err, ErrPublishDenied):
				out[sc.Hash] = append(out[sc.Hash], st.deactivateTopic(topic)...)
			default:
				errs = append(errs, fmt.Errorf("check topic %s: %w", topic, err))
			}
		}
	}
	return out, errors.Join(errs...)
}

// Delivery is what Deliver did.
type Delivery struct {
	// Published counts messages published (one per envelope and topic).
	Published int
	// Dropped counts envelopes no active Pub/Sub webhook covers: BigCommerce
	// sends nothing for them.
	Dropped int
	// Deactivated are the webhooks Deliver deactivated because their topic
	// failed the TopicCheck or publishing answered NotFound/PermissionDenied.
	Deactivated []string
}

// Deliver publishes envelopes the way BigCommerce does through Pub/Sub
// webhooks (opt-in; Publish remains the unconditional way): each envelope
// goes to every topic for which its store has an active Pub/Sub webhook
// whose scope covers the envelope's (bigcommerce.ScopeCovers), once per
// topic, as a message whose data is the envelope (no attributes). Before
// publishing to a topic it runs the TopicCheck; a topic that fails it, or
// whose publish fails with NotFound or PermissionDenied, has its webhooks
// deactivated and gets nothing.
//
// client publishes; it must be for the topics' project (or the emulator).
func (sim *Simulator) Deliver(ctx context.Context, client *pubsub.Client, evs []Envelope) (Delivery, error) {
	var d Delivery
	byTopic := map[string][]Envelope{}
	routes := map[string]map[string][]string{} // store → topic → scopes
	for _, ev := range evs {
		topics, ok := routes[ev.StoreHash]
		if !ok {
			st, err := sim.mustStore(ev.StoreHash)
			if err != nil {
				return d, err
			}
			topics = st.activePubSubTopics()
			routes[ev.StoreHash] = topics
		}
		sent := false
		for _, topic := range slices.Sorted(maps.Keys(topics)) {
			if slices.ContainsFunc(topics[topic], func(s string) bool { return bigcommerce.ScopeCovers(s, ev.Scope) }) {
				byTopic[topic] = append(byTopic[topic], ev)
				sent = true
			}
		}
		if !sent {
			d.Dropped++
		}
	}
	var errs []error
	for _, topic := range slices.Sorted(maps.Keys(byTopic)) {
		envs := byTopic[topic]
		err := sim.checkTopic(ctx, topic)
		if err == nil {
			p := client.Publisher(topic)
			_, err = Publish(ctx, p, envs)
			p.Stop()
			if c := status.Code(err); c == codes.NotFound {
				err = fmt.Errorf("%w: %w", ErrTopicNotFound, err)
			} else if c == codes.PermissionDenied {
				err = fmt.Errorf("%w: %w", ErrPublishDenied, err)
			}
		}
		switch {
		case err == nil:
			d.Published += len(envs)
		case errors.Is(err, ErrTopicNotFound), errors.Is(err, ErrPublishDenied):
			for hash := range routes {
				if _, ok := routes[hash][topic]; ok {
					d.Deactivated = append(d.Deactivated, sim.store(hash).deactivateTopic(topic)...)
				}
			}
		default:
			errs = append(errs, fmt.Errorf("deliver to %s: %w", topic, err))
		}
	}
	return d, errors.Join(errs...)
}
