// Package stores is the registry of the BigCommerce stores the service
// works for, read at startup from the file named by STORES_FILE, and the
// source of each store's API token.
//
// The file is YAML (JSON is valid YAML):
//
//	stores:
//	  - hash: abc123                 # as in the webhook's `producer: stores/abc123`
//	    name: Demo store             # optional, for logs and reports
//	    token_env: BC_TOKEN_ABC123   # the API token is in this env var …
//	  - hash: q9z8y7
//	    token_file: /secrets/q9z8y7/token   # … or in this file (a mounted secret)
//
// Each store has exactly one token source. Unknown keys, missing or
// doubled token sources, malformed or duplicate hashes, unset variables and
// unreadable files are all startup errors, reported together, each naming
// its line ("stores.yaml:12: …").
//
// Tokens are logging.Secret values, so they print as [REDACTED]; they are
// revealed only when handed to the API client (Registry.Token).
package stores

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrUnknownStore is returned by Registry.Token for a hash the registry does
// not list. An event from such a store should not be enriched (nor, per
// the BigCommerce reference, trusted).
var ErrUnknownStore = errors.New("unknown store")

// Store is one registered store.
type Store struct {
	// Hash is the store hash: lowercase letters and digits.
	Hash string
	// Name is a human name for logs and reports; "" when not given.
	Name string
	// Token supplies the store's API token.
	Token TokenSource
}

// LogValue logs the store by hash, name and token source, never the token.
func (s Store) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("hash", s.Hash)}
	if s.Name != "" {
		attrs = append(attrs, slog.String("name", s.Name))
	}
	if s.Token != nil {
		attrs = append(attrs, slog.String("token_source", s.Token.String()))
	}
	return slog.GroupValue(attrs...)
}

// Registry is the set of registered stores. It is immutable after Load and
// safe for concurrent use.
type Registry struct {
	stores []Store // sorted by hash
	byHash map[string]Store
}

// Load reads the registry from the YAML or JSON file at path. env looks up
// environment variables (nil means os.LookupEnv); tests inject a map.
// Relative token_file paths are relative to the file's directory. Every
// problem in the file is reported, joined into one error.
func Load(path string, env func(string) (string, bool)) (*Registry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load stores: %w", err)
	}
	return parse(path, data, &loadOptions{env: env})
}

// loadOptions are Load's collaborators, replaceable in this package's tests.
type loadOptions struct {
	env func(string) (string, bool)
	now func() time.Time
	ttl time.Duration
}

func (o *loadOptions) defaults() {
	if o.env == nil {
		o.env = os.LookupEnv
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.ttl == 0 {
		o.ttl = FileTokenTTL
	}
}

// Lookup returns the store with the given hash.
func (r *Registry) Lookup(hash string) (Store, bool) {
	s, ok := r.byHash[hash]
	return s, ok
}

// Stores returns every store, sorted by hash. The slice is a fresh copy.
func (r *Registry) Stores() []Store { return slices.Clone(r.stores) }

// Token returns the API token of the store with the given hash, as a plain
// string for the API client (it implements bigcommerce.Credentials). It
// fails with ErrUnknownStore for a hash not listed; errors never contain
// the token.
func (r *Registry) Token(ctx context.Context, storeHash string) (string, error) {
	s, ok := r.byHash[storeHash]
	if !ok {
		return "", fmt.Errorf("store %q: %w", storeHash, ErrUnknownStore)
	}
	tok, err := s.Token.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("token for store %s (%s): %w", s.Hash, s.Token, err)
	}
	return tok.Reveal(), nil
}

// newRegistry indexes stores, which parse has checked for duplicates.
func newRegistry(stores []Store) *Registry {
	r := &Registry{stores: stores, byHash: make(map[string]Store, len(stores))}
	slices.SortFunc(r.stores, func(a, b Store) int { return strings.Compare(a.Hash, b.Hash) })
	for _, s := range stores {
		r.byHash[s.Hash] = s
	}
	return r
}
