package bigcommerce

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// This file executes the catalog's EnrichCall templates: Enrich fetches an
// event's entity, ExpandPath shows the request a call makes.

// Limits on how much one event may fetch. Each request spends the store's
// shared quota, and the Pub/Sub handler waits for all of them.
const (
	// maxFanOut bounds the requests a "{field[]}" placeholder expands to.
	// A shared modifier or option can list many affected products; past
	// this many the event fails (ErrInvalidField) rather than spend a
	// minute of the store's quota on one message.
	maxFanOut = 100
	// maxPages bounds a paginated call ("{n}"): 40 pages of 250 is 10,000
	// order line items.
	maxPages = 40
	// pageLimit is the page size asked of a paginated call whose query
	// sets none: V2's maximum (its default is 50), so that most orders'
	// products take one request.
	pageLimit = 250
	// maxFieldLen bounds a placeholder value; IDs, tokens and UUIDs are
	// far shorter.
	maxFieldLen = 128
)

// Enrichment is what Enrich fetched.
type Enrichment struct {
	// Entity is the entity's current state, as JSON:
	//   - one request: the resource as the API returns it, with the
	//     {"data", "meta"} envelope of V3 and B2B answers removed (the
	//     `data` member), and a V2 empty list (204 No Content) as [];
	//   - a "{field[]}" placeholder, or a PerItem call: an array with one
	//     such value per element, in order;
	//   - a paginated call ("{n}"): the pages' elements in one array;
	//   - a call with Then: an object with one member per call, named by
	//     the last literal segment of the call's path. store/order/created
	//     gives {"orders": {…}, "products": […], "shipping_addresses": […],
	//     "coupons": […]}; a variant metafield gives {"variants": […],
	//     "metafields": {…}}.
	Entity json.RawMessage
	// Call is the call that produced Entity: the scope's Enrich, its
	// Dispatch target for this event, or that call's Alt when the primary
	// call found nothing. Call.Path tells which shape Entity has.
	Call *EnrichCall
}

// Enrich fetches the current state of ev's entity from the store's API,
// following ev.Spec.Enrich:
//
//   - DispatchOn picks the call from Dispatch by the value of that `data`
//     field (generic metafields: "resource_type");
//   - placeholders are filled from ev.Data (see ExpandPath), "{channel_id}"
//     from ev.ChannelID;
//   - PerItem makes the call once per element of ev.Data (an array);
//   - Then calls run in order after the primary one, each able to name
//     fields of the previous call's response (its first element when the
//     response is a list; ErrNotFound when that list is empty); a Then
//     call's own Then, Alt and Dispatch are not followed (the catalog has
//     none, which TestEnrichEveryCatalogCall checks by running them all);
//   - Alt is tried when the primary call fails with ErrNotFound (the
//     entity is not where the primary call looks: a converted cart) or
//     ErrMissingField (the payload lacks the primary call's IDs). If Alt
//     fails too, its error is returned, unless it is ErrMissingField.
//
// Requests are made one after another through Get's machinery (limiter,
// retries, circuit), and only with GET: enrichment never writes. The
// result's shape is documented on Enrichment.Entity.
//
// Errors wrap ErrNoEnrichCall (no call for the scope or dispatch value),
// ErrMissingField and ErrInvalidField (the payload cannot name the entity;
// retrying will not help), or the client's errors (ErrNotFound for a gone
// entity, ErrUnauthorized, retryable ones per IsRetryable).
func (c *Client) Enrich(ctx context.Context, ev *Event) (Enrichment, error) {
	e, err := c.enrich(ctx, ev)
	if err == nil {
		return e, nil
	}
	entity := cmp.Or(ev.Spec.Entity, EntityUnknown)
	if ev.EntityID != "" {
		return Enrichment{}, fmt.Errorf("enrich %s %s: %w", entity, quote(ev.EntityID), err)
	}
	return Enrichment{}, fmt.Errorf("enrich %s: %w", entity, err)
}

func (c *Client) enrich(ctx context.Context, ev *Event) (Enrichment, error) {
	if !json.Valid(ev.Data) {
		// Decode guarantees valid data; a hand-built Event may not, and
		// the field scanner trusts its input.
		return Enrichment{}, fmt.Errorf("event data is not JSON: %w", ErrInvalidField)
	}
	call, err := pickCall(ev)
	if err != nil {
		return Enrichment{}, err
	}
	f := fields{data: ev.Data, channelID: ev.ChannelID}
	e, err := c.runCall(ctx, ev.StoreHash, call, f)
	if err == nil {
		return Enrichment{Entity: e, Call: call}, nil
	}
	if call.Alt == nil || !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrMissingField) {
		return Enrichment{}, err
	}
	alt, altErr := c.runCall(ctx, ev.StoreHash, call.Alt, f)
	switch {
	case altErr == nil:
		return Enrichment{Entity: alt, Call: call.Alt}, nil
	case errors.Is(altErr, ErrMissingField):
		return Enrichment{}, err // the Alt does not apply to this payload
	default:
		return Enrichment{}, altErr
	}
}

// pickCall returns ev's enrich call, resolving DispatchOn.
func pickCall(ev *Event) (*EnrichCall, error) {
	call := ev.Spec.Enrich
	if call == nil {
		return nil, fmt.Errorf("scope %s: %w", quote(ev.Scope), ErrNoEnrichCall)
	}
	if call.DispatchOn == "" {
		return call, nil
	}
	v, ok := fieldValue(ev.Data, call.DispatchOn)
	if !ok {
		return nil, fmt.Errorf("dispatch field %q: %w", call.DispatchOn, ErrMissingField)
	}
	target := call.Dispatch[v]
	if target == nil {
		return nil, fmt.Errorf("%s %s: %w", call.DispatchOn, quote(v), ErrNoEnrichCall)
	}
	return target, nil
}

// runCall runs call (PerItem: once per element of f.data) with its Then
// chain.
func (c *Client) runCall(ctx context.Context, hash string, call *EnrichCall, f fields) (json.RawMessage, error) {
	if !call.PerItem {
		return c.runChain(ctx, hash, call, f)
	}
	items, ok := arrayItems(f.data)
	if !ok {
		return nil, fmt.Errorf("per-item call %s: data is not an array: %w", call.Path, ErrMissingField)
	}
	out := make([]json.RawMessage, 0, len(items))
	for _, it := range items {
		item := f
		item.data = it
		r, err := c.runChain(ctx, hash, call, item)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return joinArray(out), nil
}

// runChain runs call, then its Then calls, merging the results into one
// object when there are Then calls.
func (c *Client) runChain(ctx context.Context, hash string, call *EnrichCall, f fields) (json.RawMessage, error) {
	first, err := c.fetch(ctx, hash, call, f)
	if err != nil || len(call.Then) == 0 {
		return first, err
	}
	keys := []string{resultKey(call.Path)}
	vals := []json.RawMessage{first}
	prev := first
	for i := range call.Then {
		next := &call.Then[i]
		nf := f
		nf.prev = prev
		r, err := c.fetch(ctx, hash, next, nf)
		if err != nil {
			return nil, err
		}
		keys = append(keys, resultKey(next.Path))
		vals = append(vals, r)
		prev = r
	}
	return joinObject(keys, vals), nil
}

// fetch makes call's request(s): one, one per value of its "{field[]}"
// placeholder, or one per page.
func (c *Client) fetch(ctx context.Context, hash string, call *EnrichCall, f fields) (json.RawMessage, error) {
	a, err := c.apiFor(call.Base)
	if err != nil {
		return nil, err
	}
	if m := cmp.Or(call.Method, http.MethodGet); m != http.MethodGet {
		return nil, fmt.Errorf("enrich call %s: method %s: enrichment only reads", call.Path, m)
	}
	fan, err := fanOutField(call)
	if err != nil {
		return nil, err
	}
	if fan == "" {
		return c.fetchPages(ctx, hash, a, call, binding{fields: f})
	}
	values, err := fanOutValues(f.data, fan)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, 0, len(values))
	for _, v := range values {
		r, err := c.fetchPages(ctx, hash, a, call, binding{fields: f, item: v})
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return joinArray(out), nil
}

// fetchPages gets one resource, or every page of a paginated ("{n}") list:
// pages are fetched until one is shorter than the page size.
func (c *Client) fetchPages(ctx context.Context, hash string, a api, call *EnrichCall, bd binding) (json.RawMessage, error) {
	if !isPaginated(call) {
		return c.get(ctx, hash, a, call, &bd)
	}
	var all []json.RawMessage
	for bd.page = 1; ; bd.page++ {
		if bd.page > maxPages {
			return nil, fmt.Errorf("%s: more than %d pages", call.Path, maxPages)
		}
		r, err := c.get(ctx, hash, a, call, &bd)
		if err != nil {
			return nil, err
		}
		items, ok := arrayItems(r)
		if !ok {
			return nil, fmt.Errorf("%s page %d: response is not a list", call.Path, bd.page)
		}
		all = append(all, items...)
		if len(items) < bd.limit {
			return joinArray(all), nil
		}
	}
}

// get makes one request for call and returns its entity JSON.
func (c *Client) get(ctx context.Context, hash string, a api, call *EnrichCall, bd *binding) (json.RawMessage, error) {
	path, q, err := expand(call, bd)
	if err != nil {
		return nil, err
	}
	res, err := c.call(ctx, hash, a, Request{Method: http.MethodGet, Path: path, Query: q, PathTemplate: call.Path})
	if err != nil {
		return nil, err
	}
	return entityJSON(res.Body, a == apiB2B || strings.HasPrefix(call.Path, "/v3/"), path)
}

// apiFor maps EnrichCall.Base to an API. Tokens are only ever sent to the
// two configured hosts: an unknown Base is refused, not called.
func (c *Client) apiFor(base string) (api, error) {
	switch base {
	case "":
		return apiCore, nil
	case B2BBaseURL:
		return apiB2B, nil
	}
	return 0, fmt.Errorf("enrich call base %s: not an API this client calls", quote(base))
}

// entityJSON turns a response body into an entity: [] for an empty body
// (V2's 204 for empty lists), the `data` member when unwrap is set and
// there is one.
func entityJSON(body []byte, unwrap bool, path string) (json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return json.RawMessage("[]"), nil
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("%s: response is not JSON", path)
	}
	if unwrap {
		if d, ok := dataMember(body); ok {
			return d, nil
		}
	}
	return body, nil
}

// resultKey names a Then chain member: the last path segment that is not
// a placeholder ("/v2/orders/{id}/products" → "products").
func resultKey(path string) string {
	segs := strings.Split(path, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if s := segs[i]; s != "" && !strings.Contains(s, "{") {
			return s
		}
	}
	return "result"
}

// joinArray returns the JSON array of items.
func joinArray(items []json.RawMessage) json.RawMessage {
	n := 2 + len(items)
	for _, it := range items {
		n += len(it)
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

// joinObject returns the JSON object {keys[i]: vals[i]}; a repeated key
// gets a "_2", "_3" … suffix.
func joinObject(keys []string, vals []json.RawMessage) json.RawMessage {
	seen := make(map[string]int, len(keys))
	b := []byte{'{'}
	for i, k := range keys {
		seen[k]++
		if n := seen[k]; n > 1 {
			k += "_" + strconv.Itoa(n)
		}
		if i > 0 {
			b = append(b, ',')
		}
		kj, _ := json.Marshal(k) // a string always marshals
		b = append(b, kj...)
		b = append(b, ':')
		b = append(b, vals[i]...)
	}
	return append(b, '}')
}
