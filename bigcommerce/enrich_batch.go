package bigcommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// This file fetches many entities of one kind in one request, where the
// API has a list endpoint filtered by `id:in`. During a bulk import a
// store sends thousands of product webhooks; one request for 50 products
// spends 1/50th of the quota that 50 single GETs would.

// MaxBatchIDs is the most IDs EnrichBatch accepts: BigCommerce's `id:in`
// filters are documented with lists of this order, the URL stays far below
// length limits, and one page (limit=250) always holds the answer.
const MaxBatchIDs = 50

// batchForm says how one catalog call is made for many IDs: the list
// path, the filter parameter that takes the IDs, the member of each
// element that carries its ID, and whether the single call's entity is a
// one-element list (the single call is itself an `id:in` query).
type batchForm struct {
	path    string
	param   string
	idField string
	list    bool
}

// batchForms maps the path of a single-entity call to its batch form.
// Only calls whose entity is a pure function of one `{id}` placeholder,
// with no Then, Alt-on-404 semantics or pagination of their own, qualify.
var batchForms = map[string]batchForm{
	// GET /v3/catalog/products/{id} → GET /v3/catalog/products?id:in=…
	"/v3/catalog/products/{id}": {path: "/v3/catalog/products", param: "id:in", idField: "id"},
	// There is no single-customer GET in V3: the catalog's call already
	// is GET /v3/customers?id:in={id}, whose entity is a list.
	"/v3/customers": {path: "/v3/customers", param: "id:in", idField: "id", list: true},
	// GET /v3/catalog/trees/categories?category_id:in={id}.
	"/v3/catalog/trees/categories": {path: "/v3/catalog/trees/categories", param: "category_id:in", idField: "category_id", list: true},
	// GET /v3/catalog/brands/{id} → GET /v3/catalog/brands?id:in=…
	"/v3/catalog/brands/{id}": {path: "/v3/catalog/brands", param: "id:in", idField: "id"},
}

// BatchRef names the batchable fetch an event needs: events with the same
// Call (pointer-equal, from the catalog) can be fetched together by
// EnrichBatch.
type BatchRef struct {
	Call *EnrichCall
	// ID is the entity ID the call is made for.
	ID string
}

// BatchOf reports whether ev's entity can be fetched by EnrichBatch, and
// with which call and ID. The entity EnrichBatch returns for the ID is
// the one Enrich would return for ev, except that an entity missing from
// the batch answer must be fetched with Enrich (which knows the call's
// Alt and not-found semantics).
func BatchOf(ev *Event) (BatchRef, bool) {
	call := ev.Spec.Enrich
	if call == nil || call.DispatchOn != "" || call.PerItem || len(call.Then) > 0 || call.Base != "" {
		return BatchRef{}, false
	}
	form, ok := batchForms[call.Path]
	if !ok {
		return BatchRef{}, false
	}
	q, err := url.ParseQuery(call.Query)
	if err != nil {
		return BatchRef{}, false
	}
	// The only placeholder allowed is the ID: in the path for a single
	// GET, in the filter for a list call.
	if form.list {
		if q.Get(form.param) != "{id}" || strings.Contains(call.Path, "{") {
			return BatchRef{}, false
		}
		q.Del(form.param)
	}
	for _, vs := range q {
		for _, v := range vs {
			if strings.Contains(v, "{") {
				return BatchRef{}, false
			}
		}
	}
	id, ok := fieldValue(ev.Data, "id")
	if !ok || checkValue("id", id) != nil {
		return BatchRef{}, false
	}
	return BatchRef{Call: call, ID: id}, true
}

// EnrichBatch fetches the entities with the given IDs (at most
// MaxBatchIDs) for call, which must come from a BatchRef, in one request
// through the store's limiter. It returns each entity found, keyed by ID,
// in the shape Enrich gives for a single event; IDs the answer lacks are
// absent (deleted, or not visible to the filter).
func (c *Client) EnrichBatch(ctx context.Context, storeHash string, call *EnrichCall, ids []string) (map[string]json.RawMessage, error) {
	form, ok := batchForms[call.Path]
	if !ok {
		return nil, fmt.Errorf("enrich batch: %s has no batch form", call.Path)
	}
	if len(ids) == 0 || len(ids) > MaxBatchIDs {
		return nil, fmt.Errorf("enrich batch %s: %d IDs, want 1 to %d", form.path, len(ids), MaxBatchIDs)
	}
	for _, id := range ids {
		if err := checkValue("id", id); err != nil {
			return nil, err
		}
	}
	q, err := url.ParseQuery(call.Query)
	if err != nil {
		return nil, fmt.Errorf("enrich batch %s: query: %w", form.path, err)
	}
	q.Set(form.param, strings.Join(ids, ","))
	q.Set("limit", strconv.Itoa(pageLimit))
	res, err := c.call(ctx, storeHash, apiCore, Request{Method: http.MethodGet, Path: form.path, Query: q,
		PathTemplate: form.path + "?" + form.param})
	if err != nil {
		return nil, fmt.Errorf("enrich batch %s (%d IDs): %w", form.path, len(ids), err)
	}
	body, err := entityJSON(res.Body, true, form.path)
	if err != nil {
		return nil, err
	}
	items, ok := arrayItems(body)
	if !ok {
		return nil, fmt.Errorf("enrich batch %s: response is not a list", form.path)
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	out := make(map[string]json.RawMessage, len(items))
	for _, it := range items {
		id, ok := fieldValue(it, form.idField)
		if !ok || !want[id] {
			continue // not asked for: never attribute it to an event
		}
		if form.list {
			it = joinArray([]json.RawMessage{it})
		}
		out[id] = it
	}
	return out, nil
}
