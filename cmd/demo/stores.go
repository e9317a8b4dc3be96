package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
	"bcstream/internal/stores"
	"bcstream/registrar"
)

// simulatedStores is the demo's BigCommerce: a simulator serving the
// stores' REST and webhook APIs on a local port, the store registry the
// worker and registrar read (STORES_FILE, tokens in files as from a
// mounted secret), and the registrar that subscribed the stores' webhooks
// to the demo topic.
type simulatedStores struct {
	sim      *bctest.Simulator
	srv      *httptest.Server
	file     string // the STORES_FILE
	scopes   []string
	hashes   []string
	stranger bctest.Store // a store that is not in the registry
}

// startStores starts the simulator with o.stores stores at o.quota
// requests per 30 s each and writes the registry into dir.
func startStores(o options, dir string) (*simulatedStores, error) {
	all := bctest.DefaultStores(o.stores + 1)
	s := &simulatedStores{stranger: all[o.stores], scopes: strings.Split(registrar.DefaultScopes, ",")}
	opts := bctest.Options{Seed: o.seed}
	for _, st := range all[:o.stores] {
		opts.Stores = append(opts.Stores, bctest.StoreConfig{Store: st, Quota: o.quota, Window: bctest.DefaultWindow})
		s.hashes = append(s.hashes, st.Hash)
	}
	s.sim = bctest.NewSimulator(opts)
	s.srv = httptest.NewServer(s.sim)

	var reg strings.Builder
	reg.WriteString("# Written by the demo: the simulated stores, tokens in files.\nstores:\n")
	for i, cfg := range s.sim.Stores() {
		tokenFile := filepath.Join(dir, cfg.Hash+".token")
		if err := os.WriteFile(tokenFile, []byte(cfg.Token+"\n"), 0o600); err != nil {
			s.close()
			return nil, err
		}
		fmt.Fprintf(&reg, "  - hash: %s\n    name: Demo store %d\n    token_file: %s\n", cfg.Hash, i+1, tokenFile)
	}
	s.file = filepath.Join(dir, "stores.yaml")
	if err := os.WriteFile(s.file, []byte(reg.String()), 0o600); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *simulatedStores) close() { s.srv.Close() }

// register runs the registrar as `registrar apply` would: it creates the
// topic, dead-letter topic and subscriptions and subscribes every store's
// webhooks to the topic, and prints its plan.
func (s *simulatedStores) register(ctx context.Context, client *pubsub.Client, top registrar.Topology, out io.Writer) error {
	reg, err := stores.Load(s.file, nil)
	if err != nil {
		return err
	}
	bc, err := bigcommerce.NewClient(s.srv.URL, reg)
	if err != nil {
		return err
	}
	// A webhook to a topic that does not exist fails, as on BigCommerce.
	s.sim.SetTopicCheck(bctest.PubSubTopicCheck(client))
	refs := make([]registrar.StoreRef, 0, len(reg.Stores()))
	for _, st := range reg.Stores() {
		refs = append(refs, registrar.StoreRef{Hash: st.Hash, Name: st.Name})
	}
	r, err := registrar.New(registrar.Options{Topology: top, Scopes: s.scopes, Stores: refs,
		BigCommerce: bc, PubSub: client, SkipIAM: true})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	plan, err := r.Apply(ctx, false)
	if err != nil {
		return fmt.Errorf("registrar apply: %w", err)
	}
	fmt.Fprintln(out, "registrar apply:")
	if err := plan.WriteText(out, false); err != nil {
		return err
	}
	if plan.Failed() {
		return fmt.Errorf("registrar apply failed for some stores (see above)")
	}
	return nil
}

// covered reports whether a webhook scope the registrar subscribed covers
// scope: only those events reach the topic.
func (s *simulatedStores) covered(scope string) bool {
	for _, w := range s.scopes {
		if bigcommerce.ScopeCovers(w, scope) {
			return true
		}
	}
	return false
}

// requests sums the API requests the stores served, and their 429s.
func (s *simulatedStores) requests() (total, rateLimited int64) {
	for _, h := range s.hashes {
		st := s.sim.Stats(h)
		total += st.Requests
		rateLimited += st.ByStatus[429]
	}
	return total, rateLimited
}
