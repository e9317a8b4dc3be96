package bigcommerce_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"bcstream/bigcommerce"
)

// tokens stands in for the store registry (internal/stores.Registry),
// which implements Credentials.
type tokens map[string]string

func (t tokens) Token(_ context.Context, hash string) (string, error) {
	tok, ok := t[hash]
	if !ok {
		return "", fmt.Errorf("store %q: unknown store", hash)
	}
	return tok, nil
}

// How the pipeline's enrichment stage is meant to use the client: one
// shared Client, one Enrich per event, and the outcome decided by the
// error's class.
func ExampleClient_Enrich() {
	client, err := bigcommerce.NewClient("", tokens{"abc123": "…"},
		bigcommerce.WithLogger(slog.Default()))
	if err != nil {
		panic(err)
	}
	ev, err := bigcommerce.Decode([]byte(`{"scope":"store/order/created","store_id":"1001",` +
		`"producer":"stores/abc123","hash":"f5b2e8c1a3d4f6b7c8d9e0a1b2c3d4e5f6a7b8c9",` +
		`"created_at":1712000000,"data":{"type":"order","id":7}}`))
	if err != nil {
		panic(err)
	}
	got, err := client.Enrich(context.Background(), &ev)
	switch {
	case err == nil:
		fmt.Printf("%s via %s\n", got.Entity, got.Call.Path)
	case errors.Is(err, bigcommerce.ErrNotFound):
		// The entity is gone: record a tombstone.
	case errors.Is(err, bigcommerce.ErrUnauthorized):
		// The store's token is dead; the client fails its calls fast.
	case bigcommerce.IsRetryable(err):
		// 429, 5xx, network: nack, Pub/Sub redelivers later.
	default:
		// ErrMissingField, ErrInvalidField, ErrNoEnrichCall, other 4xx:
		// retrying cannot help.
	}
}
