package bigcommerce

import (
	"slices"
	"strings"
	"sync"
)

// The catalog table (catalog_gen.go) is generated from the vendored scope
// reference; edit the reference or the generator's rules, never the table.
//go:generate go run ./internal/gencatalog -in ../testdata/bigcommerce/scopes.json -out catalog_gen.go

const (
	// channelPrefix starts every channel scope, templated or not.
	channelPrefix = "store/channel/"
	// channelTemplate is how the catalog spells a channel-templated scope's
	// channel segment.
	channelTemplate = channelPrefix + "{channel_id}"
	// maxScopeLen bounds the scopes Decode accepts. The longest catalog
	// scope is under 80 bytes; the bound keeps a hostile scope out of
	// metric labels and lets Lookup normalise on the stack.
	maxScopeLen = 200
)

// scopeAliases maps spellings BigCommerce may deliver to the catalog
// spelling. The channel line-item example in the docs spells the scope
// ".../cart/lineItems/created" while the events table (and registration)
// uses "lineItem"; the reference says to accept both on receipt.
var scopeAliases = map[string]string{
	channelTemplate + "/cart/lineItems/created": channelTemplate + "/cart/lineItem/created",
	channelTemplate + "/cart/lineItems/updated": channelTemplate + "/cart/lineItem/updated",
	channelTemplate + "/cart/lineItems/deleted": channelTemplate + "/cart/lineItem/deleted",
}

// Lookup returns the catalog entry for scope and whether there is one.
//
// scope may be the concrete scope as delivered ("store/channel/7/order/created")
// or the catalog spelling ("store/channel/{channel_id}/order/created"); a
// numeric channel segment is replaced by "{channel_id}" before the lookup.
// BOPIS scopes ("store/channel/*/inventory/…") are spelled with the literal
// "*" in both. Wildcard subscription scopes ("store/order/*") are not in
// the catalog.
//
// Lookup does not allocate; it runs once per message.
func Lookup(scope string) (ScopeSpec, bool) {
	if rest, ok := channelRest(scope); ok {
		return lookupChannel(rest)
	}
	if s, ok := catalog[scope]; ok {
		return s, true
	}
	if alias, ok := scopeAliases[scope]; ok {
		return catalog[alias], true
	}
	return ScopeSpec{}, false
}

// lookupChannel looks up the templated scope channelTemplate+rest.
func lookupChannel(rest string) (ScopeSpec, bool) {
	// Build the key on the stack: m[string(b)] does not allocate.
	var buf [len(channelTemplate) + maxScopeLen]byte
	if len(rest) > maxScopeLen {
		return ScopeSpec{}, false
	}
	key := append(append(buf[:0], channelTemplate...), rest...)
	if s, ok := catalog[string(key)]; ok {
		return s, true
	}
	if alias, ok := scopeAliases[string(key)]; ok {
		return catalog[alias], true
	}
	return ScopeSpec{}, false
}

// channelRest reports whether scope is a channel-templated scope with a
// numeric channel ID ("store/channel/7/order/created") and returns what
// follows the ID ("/order/created"). The rest must be non-empty:
// "store/channel/7" names no event.
func channelRest(scope string) (rest string, ok bool) {
	if !strings.HasPrefix(scope, channelPrefix) {
		return "", false
	}
	s := scope[len(channelPrefix):]
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	if i == 0 || i+1 >= len(s) || s[i] != '/' {
		return "", false
	}
	return s[i:], true
}

// templateScope returns scope in catalog spelling: the numeric channel ID
// of a channel-templated scope replaced by "{channel_id}", anything else
// unchanged. It allocates only for channel-templated scopes.
func templateScope(scope string) string {
	if rest, ok := channelRest(scope); ok {
		return channelTemplate + rest
	}
	return scope
}

// unknownSpec is the spec of a well-formed scope missing from the catalog.
// IDField is "id", the spelling most BigCommerce payloads use, so that
// Event.EntityID still names the entity when BigCommerce adds a scope.
func unknownSpec(scope string) ScopeSpec {
	return ScopeSpec{Scope: templateScope(scope), Entity: EntityUnknown, IDField: "id"}
}

// Scopes returns the concrete scopes in the catalog, in catalog spelling,
// sorted. The slice is a fresh copy.
func Scopes() []string { return slices.Clone(sortedScopes()) }

// Wildcards returns the wildcard scopes BigCommerce accepts for
// subscriptions ("store/order/*", "store/channel/{channel_id}/cart/*", …),
// sorted. Deliveries never carry them: a delivery names the concrete scope.
// The slice is a fresh copy.
func Wildcards() []string { return slices.Clone(wildcards) }

// Entities returns the distinct entity types of the catalog, sorted. It
// does not include EntityUnknown. The slice is a fresh copy.
func Entities() []string { return slices.Clone(sortedEntities()) }

var sortedScopes = sync.OnceValue(func() []string {
	scopes := make([]string, 0, len(catalog))
	for s := range catalog {
		scopes = append(scopes, s)
	}
	slices.Sort(scopes)
	return scopes
})

var sortedEntities = sync.OnceValue(func() []string {
	var entities []string
	for _, s := range catalog {
		entities = append(entities, s.Entity)
	}
	slices.Sort(entities)
	return slices.Compact(entities)
})
