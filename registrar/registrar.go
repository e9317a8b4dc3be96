package registrar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	"cloud.google.com/go/pubsub/v2"

	"bcstream/bigcommerce"
)

// StoreRef names a store to register: its hash and, for reports, a name.
type StoreRef struct {
	Hash string
	Name string
}

// Options are what New needs. The registrar owns none of the clients.
type Options struct {
	// Topology names the Pub/Sub resources; the project is PubSub's.
	Topology Topology
	// Scopes are the desired webhook scopes of every store.
	Scopes []string
	// Stores are the stores to register.
	Stores []StoreRef
	// BigCommerce manages the webhooks (its Credentials hold the tokens).
	BigCommerce *bigcommerce.Client
	// PubSub manages topics, subscriptions and IAM.
	PubSub *pubsub.Client
	// SkipIAM leaves IAM alone, for the emulator (which has none); the plan
	// says so.
	SkipIAM bool
	// ServiceAgent is the Pub/Sub service agent of the project
	// (service-{number}@gcp-sa-pubsub.iam.gserviceaccount.com), which
	// dead-lettering needs rights for; required unless SkipIAM or
	// dead-lettering is off.
	ServiceAgent string
	// Concurrency bounds the stores processed at once (default 8).
	Concurrency int
	// Logger receives one line per change applied; nil discards.
	Logger *slog.Logger
}

// Registrar reconciles the Pub/Sub topology and every store's webhooks with
// the desired state. It is safe for concurrent use, but runs of Apply
// should not overlap (they would race to create the same webhooks, which
// BigCommerce refuses as duplicates: harmless, but reported as errors).
type Registrar struct {
	o   Options
	gcp *gcp
	log *slog.Logger
}

// New checks o and returns a Registrar.
func New(o Options) (*Registrar, error) {
	var errs []error
	if o.BigCommerce == nil {
		errs = append(errs, errors.New("registrar: nil BigCommerce client"))
	}
	if o.PubSub == nil {
		errs = append(errs, errors.New("registrar: nil Pub/Sub client"))
	}
	if len(o.Scopes) == 0 {
		errs = append(errs, errors.New("registrar: no webhook scopes"))
	}
	for _, s := range o.Scopes {
		if err := ValidateScope(s); err != nil {
			errs = append(errs, fmt.Errorf("registrar: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if o.Concurrency < 1 {
		o.Concurrency = 8
	}
	o.Scopes = dedupe(o.Scopes)
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registrar{
		o:   o,
		gcp: &gcp{client: o.PubSub, top: o.Topology, skipIAM: o.SkipIAM, serviceAgent: o.ServiceAgent},
		log: log,
	}, nil
}

// Destination is the topic path every store's webhooks point at.
func (r *Registrar) Destination() string {
	return bigcommerce.TopicPath(r.o.PubSub.Project(), r.o.Topology.Topic)
}

// Plan reads the actual state and returns what Apply would change; with
// prune, stale webhooks to our topic are deleted too. It changes nothing.
// The returned Plan carries every failure (Pub/Sub side and per store);
// the error is only ctx's.
func (r *Registrar) Plan(ctx context.Context, prune bool) (*Plan, error) {
	p := &Plan{Project: r.o.PubSub.Project(), Destination: r.Destination(), Scopes: r.o.Scopes, Prune: prune}
	changes, notes, err := r.gcp.plan(ctx)
	p.GCP, p.Notes = changes, notes
	if err != nil {
		p.GCPErr = err.Error()
	}
	p.Stores = make([]*StorePlan, len(r.o.Stores))
	r.eachStore(ctx, func(i int, s StoreRef) {
		p.Stores[i] = r.planStore(ctx, s, prune)
	})
	return p, ctx.Err()
}

// Apply plans and then makes every change: the Pub/Sub side first (the
// webhooks need the topic and its publish grant), then each store's
// webhooks, Concurrency stores at a time. One store's failure does not stop
// the others. If the Pub/Sub side fails, no webhook is changed: creating
// or re-activating them would fail on the topic anyway. The returned Plan
// has each change's outcome (Err) filled in; Apply is idempotent, so a
// second Apply finds nothing to do.
func (r *Registrar) Apply(ctx context.Context, prune bool) (*Plan, error) {
	p, err := r.Plan(ctx, prune)
	if err != nil {
		return p, err
	}
	p.Applied = true
	for _, c := range p.GCP {
		if err := c.apply(ctx); err != nil {
			c.Err = err.Error()
			r.log.ErrorContext(ctx, "pubsub change failed", "change", c.Kind, "resource", c.Resource, "error", err)
			continue
		}
		r.log.InfoContext(ctx, "pubsub change applied", "change", c.Kind, "resource", c.Resource, "detail", c.Detail)
	}
	if p.GCPErr != "" || slices.ContainsFunc(p.GCP, func(c *GCPChange) bool { return c.Err != "" }) {
		for _, sp := range p.Stores {
			if sp.Err == "" && sp.Pending() > 0 {
				sp.Err = "skipped: the Pub/Sub side failed (see above), and webhooks need the topic and its publish grant"
			}
		}
		return p, ctx.Err()
	}
	r.eachStore(ctx, func(i int, _ StoreRef) {
		r.applyStore(ctx, p.Stores[i])
	})
	return p, ctx.Err()
}

// eachStore calls fn for every store, Concurrency at a time.
func (r *Registrar) eachStore(ctx context.Context, fn func(i int, s StoreRef)) {
	sem := make(chan struct{}, r.o.Concurrency)
	var wg sync.WaitGroup
	for i, s := range r.o.Stores {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i, s)
		})
	}
	wg.Wait()
}

// planStore lists the store's webhooks and decides each one's fate.
func (r *Registrar) planStore(ctx context.Context, s StoreRef, prune bool) *StorePlan {
	sp := &StorePlan{Store: s.Hash, Name: s.Name}
	hooks, err := r.o.BigCommerce.ListWebhooks(ctx, s.Hash)
	if err != nil {
		sp.Err = storeError(s.Hash, err)
		return sp
	}
	sp.Hooks = decide(hooks, r.o.Scopes, r.Destination(), prune)
	return sp
}

// decide compares a store's webhooks with the desired scopes on dest.
// Every webhook gets a row: ours are kept, activated, or (stale) deleted
// with prune; others' destinations are listed and never touched. Desired
// scopes without a webhook get a create row. Rows are sorted by scope.
func decide(hooks []bigcommerce.Webhook, scopes []string, dest string, prune bool) []*HookChange {
	var rows []*HookChange
	seen := map[string]bool{} // desired scopes that have a webhook
	for _, h := range hooks {
		row := &HookChange{Scope: h.Scope, ID: h.ID, Status: h.Status, Destination: h.Destination, hook: h}
		switch {
		case h.Destination != dest:
			row.Action = ActionForeign
		case slices.Contains(scopes, h.Scope) && !seen[h.Scope]:
			seen[h.Scope] = true
			if h.Status == bigcommerce.WebhookActive {
				row.Action = ActionKeep
			} else {
				row.Action = ActionActivate
			}
		case prune:
			row.Action = ActionDelete
			row.Reason = staleReason(h, scopes)
		default:
			row.Action = ActionStale
			row.Reason = staleReason(h, scopes)
		}
		rows = append(rows, row)
	}
	for _, s := range scopes {
		if !seen[s] {
			rows = append(rows, &HookChange{Action: ActionCreate, Scope: s, Destination: dest})
		}
	}
	slices.SortStableFunc(rows, func(a, b *HookChange) int {
		if c := strings.Compare(a.Scope, b.Scope); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return rows
}

func staleReason(h bigcommerce.Webhook, scopes []string) string {
	if slices.Contains(scopes, h.Scope) {
		return "duplicate of another webhook for the same scope"
	}
	return "scope not in WEBHOOK_SCOPES"
}

// applyStore makes a store's pending changes, recording each outcome.
func (r *Registrar) applyStore(ctx context.Context, sp *StorePlan) {
	if sp.Err != "" {
		return
	}
	bc := r.o.BigCommerce
	for _, c := range sp.Hooks {
		var err error
		switch c.Action {
		case ActionCreate:
			var h bigcommerce.Webhook
			if h, err = bc.CreatePubSubWebhook(ctx, sp.Store, c.Scope, c.Destination); err == nil {
				c.ID, c.Status = h.ID, h.Status
			}
		case ActionActivate:
			var h bigcommerce.Webhook
			if h, err = bc.SetWebhookActive(ctx, sp.Store, c.hook, true); err == nil {
				c.Status = h.Status
			}
		case ActionDelete:
			err = bc.DeleteWebhook(ctx, sp.Store, c.hook)
		default:
			continue
		}
		if err != nil {
			c.Err = storeError(sp.Store, err)
			r.log.ErrorContext(ctx, "webhook change failed", "store_hash", sp.Store, "action", c.Action, "scope", c.Scope, "error", c.Err)
			if errors.Is(err, bigcommerce.ErrUnauthorized) {
				sp.Err = c.Err // the rest would fail the same way
				return
			}
			continue
		}
		c.Done = true
		r.log.InfoContext(ctx, "webhook change applied", "store_hash", sp.Store, "action", c.Action, "scope", c.Scope, "id", c.ID)
	}
}

// storeError turns a BigCommerce failure into an actionable message.
// Messages never contain tokens: the client scrubs them from API errors.
func storeError(hash string, err error) string {
	var we *bigcommerce.WebhookError
	switch {
	case errors.Is(err, bigcommerce.ErrUnauthorized):
		why := "401/403"
		var ae *bigcommerce.APIError
		if errors.As(err, &ae) {
			why = fmt.Sprintf("%d %s: %s", ae.Status, http.StatusText(ae.Status), ae.Message)
		} else if errors.Is(err, bigcommerce.ErrStoreUnauthorized) {
			why = "rejected recently; calls are paused"
		}
		return fmt.Sprintf("BigCommerce rejected store %s's API token (%s): check the store's token_env/token_file in STORES_FILE, and that its API account still exists", hash, why)
	case errors.Is(err, bigcommerce.ErrNotFound):
		return fmt.Sprintf("BigCommerce does not know store %s (%v): check its hash in STORES_FILE and BIGCOMMERCE_API_URL", hash, err)
	case bigcommerce.IsRetryable(err):
		return fmt.Sprintf("%v (transient: the next run retries)", err)
	case errors.As(err, &we):
		return err.Error()
	}
	return err.Error()
}

func dedupe(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func lastSegment(s string) string { return s[strings.LastIndex(s, "/")+1:] }

func joinComma(ss []string) string { return strings.Join(ss, ", ") }
