package bctest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Helpers for handlers: parameters, filters, pagination and the response
// envelopes of each API family.

func (c *call) param(name string) string { return c.params[name] }

// intParam returns path parameter name as an int; when it is not one, it
// answers 404 (as BigCommerce does for /v3/catalog/products/abc) and
// returns false.
func (c *call) intParam(name string) (int, bool) {
	n, err := strconv.Atoi(c.params[name])
	if err != nil || n < 0 {
		c.notFound(fmt.Sprintf("%s %q not found", name, c.params[name]))
		return 0, false
	}
	return n, true
}

func (c *call) query() url.Values { return c.r.URL.Query() }

func (c *call) notFound(title string) { writeError(c.w, c.api, http.StatusNotFound, title) }

// ints parses query filter name, a comma-separated list of integers
// ("id:in=1,2,3", or "id=7"). present is false when the filter is absent;
// ok is false when it was malformed and has been answered 422.
func (c *call) ints(name string) (set map[int]bool, present, ok bool) {
	q := c.query()
	if !q.Has(name) {
		return nil, false, true
	}
	set = map[int]bool{}
	for _, s := range strings.Split(q.Get(name), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			writeJSON(c.w, http.StatusUnprocessableEntity, map[string]any{
				"status": 422, "title": "The filter " + name + " is invalid.", "type": errorType,
				"errors": map[string]string{name: "expected a comma-separated list of integers"}})
			return nil, true, false
		}
		set[n] = true
	}
	return set, true, true
}

// strs parses a comma-separated string filter.
func (c *call) strs(name string) (set map[string]bool, present bool) {
	q := c.query()
	if !q.Has(name) {
		return nil, false
	}
	set = map[string]bool{}
	for _, s := range strings.Split(q.Get(name), ",") {
		set[strings.TrimSpace(s)] = true
	}
	return set, true
}

// includes returns the sub-resources named by ?include=a,b.
func (c *call) includes() map[string]bool {
	set, _ := c.strs("include")
	return set
}

// page returns the page and limit asked for: page ≥ 1, limit 1-250
// (default 50).
func (c *call) page() (page, limit int) {
	q := c.query()
	page, limit = 1, 50
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		page = n
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = min(n, 250)
	}
	return page, limit
}

// one answers a V3 single resource: {"data":v,"meta":{}}.
func (c *call) one(v any) {
	writeJSON(c.w, http.StatusOK, map[string]any{"data": v, "meta": map[string]any{}})
}

// v2 answers a bare V2 object.
func (c *call) v2(v any) { writeJSON(c.w, http.StatusOK, v) }

// b2b answers a B2B Edition single resource.
func (c *call) b2b(v any) {
	writeJSON(c.w, http.StatusOK, map[string]any{"code": 200, "data": v, "meta": map[string]any{"message": "SUCCESS"}})
}

// listV3 answers one page of items with V3's pagination meta.
func listV3[T any](c *call, items []T) {
	page, limit := c.page()
	total := len(items)
	from := min((page-1)*limit, total)
	to := min(from+limit, total)
	pages := (total + limit - 1) / limit
	links := map[string]string{"current": fmt.Sprintf("?page=%d&limit=%d", page, limit)}
	if page > 1 {
		links["previous"] = fmt.Sprintf("?page=%d&limit=%d", page-1, limit)
	}
	if page < pages {
		links["next"] = fmt.Sprintf("?page=%d&limit=%d", page+1, limit)
	}
	out := items[from:to]
	if out == nil {
		out = []T{}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"data": out, "meta": map[string]any{"pagination": map[string]any{
		"total": total, "count": to - from, "per_page": limit, "current_page": page, "total_pages": pages, "links": links,
	}}})
}

// listV2 answers one page of a V2 list: a bare array, or 204 No Content
// when the page is empty, as V2 does.
func listV2[T any](c *call, items []T) {
	page, limit := c.page()
	from := min((page-1)*limit, len(items))
	to := min(from+limit, len(items))
	if from == to {
		c.w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(c.w, http.StatusOK, items[from:to])
}

// listB2B answers a B2B Edition list (offset/limit paging).
func listB2B[T any](c *call, items []T) {
	q := c.query()
	offset, limit := 0, 10
	if n, err := strconv.Atoi(q.Get("offset")); err == nil && n >= 0 {
		offset = n
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = min(n, 250)
	}
	from := min(offset, len(items))
	to := min(from+limit, len(items))
	out := items[from:to]
	if out == nil {
		out = []T{}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"code": 200, "data": out, "meta": map[string]any{
		"message": "SUCCESS", "pagination": map[string]any{"totalCount": len(items), "offset": offset, "limit": limit}}})
}

// toMap turns v into a JSON object map, for includes and field filters.
// Numbers stay json.Number so they encode as they were.
func toMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		panic(err)
	}
	return m
}

// fieldFilter applies ?include_fields= and ?exclude_fields= to m; "id" is
// always kept, as BigCommerce does.
func (c *call) fieldFilter(m map[string]any, keep ...string) map[string]any {
	if inc, ok := c.strs("include_fields"); ok {
		for k := range m {
			if !inc[k] && k != "id" && !slices.Contains(keep, k) {
				delete(m, k)
			}
		}
	}
	if exc, ok := c.strs("exclude_fields"); ok {
		for k := range exc {
			if k != "id" {
				delete(m, k)
			}
		}
	}
	return m
}

// idSet returns the IDs asked for by filter name, or all of ids when the
// filter is absent; ok is false when the filter was malformed (answered).
func (c *call) idSet(name string, ids []int) (out []int, ok bool) {
	set, present, ok := c.ints(name)
	if !ok {
		return nil, false
	}
	if !present {
		return ids, true
	}
	for _, id := range ids {
		if set[id] {
			out = append(out, id)
		}
	}
	return out, true
}
