package registrar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"cloud.google.com/go/pubsub/v2"

	"bcstream/bigcommerce"
	"bcstream/internal/stores"
)

// Open builds a Registrar from cfg: the stores registry from STORES_FILE
// (its tokens authenticate the BigCommerce client), a BigCommerce client
// for BIGCOMMERCE_API_URL, and a Pub/Sub client for GOOGLE_CLOUD_PROJECT
// (the emulator when PUBSUB_EMULATOR_HOST is set, with IAM skipped). The
// returned close function releases the Pub/Sub client.
func Open(ctx context.Context, cfg Config, logger *slog.Logger, opts ...bigcommerce.Option) (*Registrar, func() error, error) {
	reg, err := stores.Load(cfg.StoresFile, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("STORES_FILE: %w", err)
	}
	var refs []StoreRef
	for _, s := range reg.Stores() {
		refs = append(refs, StoreRef{Hash: s.Hash, Name: s.Name})
	}
	if len(refs) == 0 {
		return nil, nil, fmt.Errorf("STORES_FILE %s lists no stores", cfg.StoresFile)
	}
	opts = append([]bigcommerce.Option{bigcommerce.WithLogger(logger), bigcommerce.WithUserAgent("bcstream-registrar")}, opts...)
	bc, err := bigcommerce.NewClient(cfg.APIURL, reg, opts...)
	if err != nil {
		return nil, nil, err
	}
	ps, err := pubsub.NewClient(ctx, cfg.Project)
	if err != nil {
		return nil, nil, fmt.Errorf("pubsub client for project %s: %w", cfg.Project, err)
	}
	r, err := New(Options{
		Topology:     cfg.Topology(),
		Scopes:       cfg.Scopes,
		Stores:       refs,
		BigCommerce:  bc,
		PubSub:       ps,
		SkipIAM:      cfg.EmulatorHost != "",
		ServiceAgent: cfg.ServiceAgent,
		Concurrency:  cfg.Concurrency,
		Logger:       logger,
	})
	if err != nil {
		return nil, nil, errors.Join(err, ps.Close())
	}
	return r, ps.Close, nil
}
