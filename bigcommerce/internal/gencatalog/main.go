// Command gencatalog turns the vendored scope reference
// (testdata/bigcommerce/scopes.json) into the Go table in
// bigcommerce/catalog_gen.go.
//
// The reference says what each scope's payload carries; this program adds
// the project's decisions on top of it: which `data` field is the entity's
// ID (idCandidates, noID, idOverride) and which scopes announce a deletion
// (deleteOverride). Every decision is a rule or a named exception below, so
// a reviewer can read them in one place. The generator fails rather than
// guesses: a new scope whose ID field no rule finds, or a reference field it
// does not know, stops it.
//
// Usage (from bigcommerce/, via go generate):
//
//	go run ./internal/gencatalog -in ../testdata/bigcommerce/scopes.json -out catalog_gen.go
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	in := flag.String("in", "../testdata/bigcommerce/scopes.json", "scope reference `file` (JSON)")
	out := flag.String("out", "catalog_gen.go", "generated Go `file`")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gencatalog: ")

	src, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	code, err := Generate(src, filepath.ToSlash(*in))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		log.Fatal(err)
	}
}

// entry is one element of scopes.json.
type entry struct {
	Scope             string          `json:"scope"`
	Entity            string          `json:"entity"`
	DataFields        []string        `json:"data_fields"`
	ExampleData       json.RawMessage `json:"example_data"`
	Enrich            *enrich         `json:"enrich"`
	ChannelSpecific   bool            `json:"channel_specific"`
	Wildcard          bool            `json:"wildcard"`
	PayloadDocumented bool            `json:"payload_documented"`
	Source            string          `json:"source"`
	Notes             string          `json:"notes"`
}

// enrich is an entry's REST call, as the reference spells it.
type enrich struct {
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Query      string            `json:"query"`
	Base       string            `json:"base"`
	Note       string            `json:"note"`
	PerItem    bool              `json:"per_item"`
	Then       []enrich          `json:"then"`
	Alt        *enrich           `json:"alt"`
	DispatchOn string            `json:"dispatch_on"`
	Paths      map[string]string `json:"paths"`

	// targets is Paths resolved to calls, by resolveDispatch.
	targets map[string]*enrich
}

// idCandidates lists, per entity, the `data` fields that may hold the
// entity's own ID, most specific first; the first one the scope's payload
// has wins. Entities not listed use defaultIDFields.
var idCandidates = map[string][]string{
	// Channel line-item scopes send cart_item_id (the line item) next to
	// cart_id (its parent); the store-wide ones send id and cartId.
	"cart_line_item": {"cart_item_id", "id"},
	"category_tree":  {"tree_id"},
	// Email settings and templates are keyed by their kind, which is also
	// the template endpoint's path parameter.
	"email_settings": {"template_kind"},
	"email_template": {"template_kind"},
	// BOPIS inventory is kept per variant per location. variant_id is the
	// most specific ID in the payload (every product has a base variant);
	// location_id is in the enrich path, product_id is the variant's parent.
	"inventory": {"variant_id"},
	// data.id of message and refund events is the order; the entity is the
	// message or refund, whose ID is nested.
	"order_message":     {"message.order_message_id"},
	"order_refund":      {"refund.refund_id"},
	"order_transaction": {"transaction_id"},
	// A price-list record is keyed by (price list, variant, currency) and an
	// assignment by (price list, channel, customer group); neither has an ID
	// of its own. The price list is the aggregate both belong to.
	"price_list_record":     {"price_list_id"},
	"price_list_assignment": {"price_list_id"},
	// Assignment events are about the product being (un)assigned.
	"product_channel_assignment":  {"product_id"},
	"product_category_assignment": {"product_id"},
	"script":                      {"uuid"},
	"site_route":                  {"site_id"},
	// The path is /v3/themes/{theme_id}/configurations, but the entity is
	// the configuration, not the theme.
	"theme_configuration": {"configuration_id"},
	"company_user":        {"user_id"},
	"company_address":     {"address_id"},
	"super_admin":         {"user_id"},
}

// noID lists entities whose payloads name no entity of their own: store-wide
// or channel-wide settings, where the store (and the channel, from the
// scope) is the identity. The one settings scope with data
// (searchContextFilters/updated: category_id) names a category, not the
// settings.
var noID = map[string]bool{
	"channel_settings":      true,
	"notification_settings": true,
	"social_media_links":    true,
	"store":                 true,
}

// idOverride sets IDField for single scopes, ahead of every rule.
var idOverride = map[string]string{
	// The payload lists several price lists (price_list_ids); no single ID.
	"store/priceLists/deleted": "",
}

// defaultIDFields are tried, in order, for entities not in idCandidates
// ("{entity}_id" covers order_id, cart_id, page_id, company_id, …).
func defaultIDFields(entity string) []string {
	if entity == "metafield" || strings.HasSuffix(entity, "_metafield") {
		return []string{"metafield_id"}
	}
	return []string{"id", entity + "_id"}
}

// deleteOverride sets Delete for scopes where the default rule (the last
// segment is "deleted") is wrong.
//
// Not deletes by the default rule, and deliberately so: order/archived (the
// order is still readable, with is_deleted=true), product and category
// unassigned (the product exists), priceList/deactivated, app/uninstalled
// (the store exists; the token is revoked).
var deleteOverride = map[string]bool{
	// The cart is deleted when it becomes an order.
	"store/cart/converted":                      true,
	"store/channel/{channel_id}/cart/converted": true,
	// These remove a setting, not the entity: the email status and template
	// fall back to their defaults, the channel keeps its other locales, and
	// the site keeps existing without a custom checkout URL. All remain
	// readable, and the reference gives each an enrich call.
	"store/channel/{channel_id}/settings/emailStatus/deleted":      false,
	"store/channel/{channel_id}/email/templates/deleted":           false,
	"store/channel/{channel_id}/settings/locale/deleted":           false,
	"store/channel/{channel_id}/settings/site/checkoutUrl/deleted": false,
}

// dispatchFrom names, for DispatchOn targets the reference describes in
// prose instead of a path, the scope whose enrich call to reuse.
var dispatchFrom = map[string]string{
	// "two-step: GET /v3/catalog/variants?id={resource_id} -> product_id, then …"
	"variant": "store/product/variant/metafield/created",
}

// spec is the generator's view of one bigcommerce.ScopeSpec.
type spec struct {
	Scope   string
	Entity  string
	IDField string
	Delete  bool
	Enrich  *enrich
}

// Generate returns the gofmt'd source of catalog_gen.go for the reference
// src, read from the file named srcName.
func Generate(src []byte, srcName string) ([]byte, error) {
	var entries []entry
	dec := json.NewDecoder(bytes.NewReader(src))
	// A field the generator does not know may carry a decision it should
	// make; fail instead of silently dropping it.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("parse %s: %w", srcName, err)
	}

	byScope := make(map[string]*entry, len(entries))
	for i := range entries {
		e := &entries[i]
		if _, dup := byScope[e.Scope]; dup {
			return nil, fmt.Errorf("duplicate scope %q", e.Scope)
		}
		byScope[e.Scope] = e
	}

	var specs []spec
	var wildcards []string
	var errs []error
	for i := range entries {
		e := &entries[i]
		if e.Wildcard {
			wildcards = append(wildcards, e.Scope)
			continue
		}
		s, err := buildSpec(e, byScope)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		specs = append(specs, s)
	}
	for scope := range idOverride {
		if _, ok := byScope[scope]; !ok {
			errs = append(errs, fmt.Errorf("idOverride names unknown scope %q", scope))
		}
	}
	for scope := range deleteOverride {
		if _, ok := byScope[scope]; !ok {
			errs = append(errs, fmt.Errorf("deleteOverride names unknown scope %q", scope))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortFunc(specs, func(a, b spec) int { return strings.Compare(a.Scope, b.Scope) })
	slices.Sort(wildcards)

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by gencatalog from %s; DO NOT EDIT.\n\n", srcName)
	b.WriteString("package bigcommerce\n\n")
	b.WriteString("// catalog maps each concrete scope, in catalog spelling, to its spec.\n")
	b.WriteString("var catalog = map[string]ScopeSpec{\n")
	for _, s := range specs {
		fmt.Fprintf(&b, "%q: {\n", s.Scope)
		fmt.Fprintf(&b, "Scope: %q,\nEntity: %q,\nIDField: %q,\n", s.Scope, s.Entity, s.IDField)
		if s.Delete {
			b.WriteString("Delete: true,\n")
		}
		if s.Enrich != nil {
			writeNote(&b, s.Enrich.Note)
			b.WriteString("Enrich: ")
			writeCall(&b, s.Enrich, true)
			b.WriteString(",\n")
		}
		b.WriteString("Known: true,\n},\n")
	}
	b.WriteString("}\n\n")
	b.WriteString("// wildcards lists the subscription-only wildcard scopes, sorted.\n")
	b.WriteString("var wildcards = []string{\n")
	for _, w := range wildcards {
		fmt.Fprintf(&b, "%q,\n", w)
	}
	b.WriteString("}\n")

	code, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("gofmt generated code: %w", err)
	}
	return code, nil
}

// buildSpec applies the rules to one concrete entry.
func buildSpec(e *entry, byScope map[string]*entry) (spec, error) {
	s := spec{Scope: e.Scope, Entity: e.Entity}
	if e.Entity == "" {
		return s, fmt.Errorf("%s: no entity", e.Scope)
	}

	id, err := idField(e)
	if err != nil {
		return s, err
	}
	s.IDField = id

	s.Delete = path.Base(e.Scope) == "deleted"
	if d, ok := deleteOverride[e.Scope]; ok {
		s.Delete = d
	}

	if e.Enrich != nil {
		call, err := resolveDispatch(e.Scope, e.Enrich, byScope)
		if err != nil {
			return s, err
		}
		s.Enrich = call
	}
	return s, nil
}

// idField picks the scope's IDField: idOverride, then "" for array
// payloads and noID entities, then the first candidate the payload has.
func idField(e *entry) (string, error) {
	if id, ok := idOverride[e.Scope]; ok {
		return id, nil
	}
	// data is an array (price-list records): there is no single entity,
	// so no single ID; consumers iterate the elements.
	if len(e.DataFields) > 0 && strings.HasPrefix(e.DataFields[0], "[].") {
		return "", nil
	}
	if noID[e.Entity] {
		return "", nil
	}
	candidates, ok := idCandidates[e.Entity]
	if !ok {
		candidates = defaultIDFields(e.Entity)
	}
	for _, c := range candidates {
		if slices.Contains(e.DataFields, c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("%s: no ID field for entity %q among %v (tried %v); add a rule or an override",
		e.Scope, e.Entity, e.DataFields, candidates)
}

// resolveDispatch checks c and fills in its dispatch targets: a path
// becomes a call with c's method, prose is replaced by the call of the
// scope dispatchFrom names.
func resolveDispatch(scope string, c *enrich, byScope map[string]*entry) (*enrich, error) {
	if c.DispatchOn == "" {
		if c.Path == "" {
			return nil, fmt.Errorf("%s: enrich call has neither path nor dispatch_on", scope)
		}
		return c, nil
	}
	if c.Path != "" || len(c.Paths) == 0 {
		return nil, fmt.Errorf("%s: dispatch_on %q needs paths and no path", scope, c.DispatchOn)
	}
	c.targets = make(map[string]*enrich, len(c.Paths))
	for key, p := range c.Paths {
		if strings.HasPrefix(p, "/") {
			c.targets[key] = &enrich{Method: c.Method, Path: p}
			continue
		}
		from, ok := dispatchFrom[key]
		if !ok {
			return nil, fmt.Errorf("%s: dispatch target %q is not a path (%q); add it to dispatchFrom", scope, key, p)
		}
		src, ok := byScope[from]
		if !ok || src.Enrich == nil || src.Enrich.DispatchOn != "" {
			return nil, fmt.Errorf("%s: dispatchFrom[%q] = %q has no plain enrich call", scope, key, from)
		}
		t := *src.Enrich
		t.Note = p
		c.targets[key] = &t
	}
	return c, nil
}

// writeCall writes c as a Go composite literal, one field per line:
// "&EnrichCall{…}" when ptr is set, else "{…}" (for elements of slices and
// maps, whose type is implied).
func writeCall(b *bytes.Buffer, c *enrich, ptr bool) {
	if ptr {
		b.WriteString("&EnrichCall")
	}
	b.WriteString("{\n")
	fmt.Fprintf(b, "Method: %q,\n", c.Method)
	if c.Path != "" {
		fmt.Fprintf(b, "Path: %q,\n", c.Path)
	}
	if c.Query != "" {
		fmt.Fprintf(b, "Query: %q,\n", c.Query)
	}
	if c.Base != "" {
		fmt.Fprintf(b, "Base: %q,\n", c.Base)
	}
	if c.PerItem {
		b.WriteString("PerItem: true,\n")
	}
	if len(c.Then) > 0 {
		b.WriteString("Then: []EnrichCall{\n")
		for i := range c.Then {
			writeNote(b, c.Then[i].Note)
			writeCall(b, &c.Then[i], false)
			b.WriteString(",\n")
		}
		b.WriteString("},\n")
	}
	if c.Alt != nil {
		writeNote(b, c.Alt.Note)
		b.WriteString("Alt: ")
		writeCall(b, c.Alt, true)
		b.WriteString(",\n")
	}
	if c.DispatchOn != "" {
		fmt.Fprintf(b, "DispatchOn: %q,\n", c.DispatchOn)
		b.WriteString("Dispatch: map[string]*EnrichCall{\n")
		keys := make([]string, 0, len(c.targets))
		for k := range c.targets {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			writeNote(b, c.targets[k].Note)
			fmt.Fprintf(b, "%q: ", k)
			writeCall(b, c.targets[k], false)
			b.WriteString(",\n")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}")
}

// writeNote writes the reference's note on a call as a comment line.
func writeNote(b *bytes.Buffer, note string) {
	if note != "" {
		fmt.Fprintf(b, "// %s\n", note)
	}
}
