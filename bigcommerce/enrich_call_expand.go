package bigcommerce

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// This file fills in an EnrichCall's placeholders: where values come from
// (the event's data, the channel, the previous response, the page), and
// which values are allowed into a URL.

// ExpandPath returns the request call makes for an event with the given
// `data` and channel ID (0 when the scope has none): Path with each
// "{field}" replaced by that `data` field's value, path-escaped, and Query
// parsed into values the same way. A dotted "{refund.refund_id}" names a
// nested field; "{channel_id}" is the channel ID when it is not 0, else a
// `data` field. A paginated call ("{n}", a page number) gets page 1, and
// limit=250 when its query names no limit.
//
// A value must be a JSON string or number; absent, null, empty or other
// values fail with ErrMissingField, and values that are not plausible IDs
// (see ErrInvalidField) are refused. A call with a "{field[]}" placeholder
// makes one request per element and has no single path: ExpandPath fails
// for it. Dispatch, PerItem, Then and Alt are Enrich's business.
func ExpandPath(call *EnrichCall, data json.RawMessage, channelID int64) (path string, query url.Values, err error) {
	if !json.Valid(data) {
		return "", nil, fmt.Errorf("data is not JSON: %w", ErrInvalidField)
	}
	fan, err := fanOutField(call)
	if err != nil {
		return "", nil, err
	}
	if fan != "" {
		return "", nil, fmt.Errorf("%s: one request per element of %s; use Client.Enrich", call.Path, fan)
	}
	bd := binding{fields: fields{data: data, channelID: channelID}}
	if isPaginated(call) {
		bd.page = 1
	}
	return expand(call, &bd)
}

// fields are where placeholder values come from.
type fields struct {
	data      []byte // the event's data, or one element of it (PerItem)
	prev      []byte // the previous call's result in a Then chain, or nil
	channelID int64  // from the scope; 0 for none
}

// value resolves a placeholder name: the channel ID, a data field, or a
// field of the previous result.
func (f fields) value(name string) (string, error) {
	if name == "channel_id" && f.channelID != 0 {
		return strconv.FormatInt(f.channelID, 10), nil
	}
	if v, ok := fieldValue(f.data, name); ok {
		return v, nil
	}
	if f.prev != nil {
		src := f.prev
		if items, ok := arrayItems(src); ok {
			if len(items) == 0 {
				return "", fmt.Errorf("field %q: the previous call found nothing: %w", name, ErrNotFound)
			}
			src = items[0]
		}
		if v, ok := fieldValue(src, name); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("field %q: %w", name, ErrMissingField)
}

// binding is one request's placeholder values.
type binding struct {
	fields
	item  string // the value of the call's "{field[]}" placeholder
	page  int    // the value of "{n}"; 0 when not paginated
	limit int    // the page size, set by expand for paginated calls
}

// resolve returns the checked value for a placeholder name.
func (bd *binding) resolve(name string) (string, error) {
	switch {
	case name == "n":
		if bd.page == 0 {
			return "", errors.New("placeholder {n} outside a paginated call")
		}
		return strconv.Itoa(bd.page), nil
	case strings.HasSuffix(name, "[]"):
		return bd.item, nil // checked by fanOutValues
	}
	v, err := bd.value(name)
	if err != nil {
		return "", err
	}
	return v, checkValue(name, v)
}

// expand fills in call's Path and Query. For a paginated call it also asks
// for pageLimit items per page when the query names no limit, and records
// the page size in bd.limit.
func expand(call *EnrichCall, bd *binding) (string, url.Values, error) {
	path, err := expandTemplate(call.Path, bd.resolve, url.PathEscape)
	if err != nil {
		return "", nil, err
	}
	var q url.Values
	if call.Query != "" {
		q = url.Values{}
		for part := range strings.SplitSeq(call.Query, "&") {
			k, tmpl, _ := strings.Cut(part, "=")
			v, err := expandTemplate(tmpl, bd.resolve, func(s string) string { return s })
			if err != nil {
				return "", nil, err
			}
			q.Add(k, v)
		}
	}
	if bd.page > 0 {
		bd.limit = pageLimit
		if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 {
			bd.limit = l
		} else {
			q.Set("limit", strconv.Itoa(pageLimit))
		}
	}
	return path, q, nil
}

// expandTemplate replaces each "{name}" in tmpl with escape(resolve(name)).
func expandTemplate(tmpl string, resolve func(string) (string, error), escape func(string) string) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String(), nil
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("template %q: unclosed placeholder", tmpl)
		}
		v, err := resolve(tmpl[i+1 : i+j])
		if err != nil {
			return "", err
		}
		b.WriteString(tmpl[:i])
		b.WriteString(escape(v))
		tmpl = tmpl[i+j+1:]
	}
}

// placeholders yields the placeholder names in s.
func placeholders(s string, yield func(string) bool) {
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 || !yield(s[i+1:i+j]) {
			return
		}
		s = s[i+j+1:]
	}
}

// fanOutField returns the field named by call's "{field[]}" placeholder
// (without "[]"), or "" when it has none. Two different ones are an error.
func fanOutField(call *EnrichCall) (string, error) {
	var name string
	var err error
	placeholders(call.Path+"?"+call.Query, func(p string) bool {
		if f, ok := strings.CutSuffix(p, "[]"); ok {
			if name != "" && name != f {
				err = fmt.Errorf("%s: more than one fan-out placeholder", call.Path)
				return false
			}
			name = f
		}
		return true
	})
	return name, err
}

// fanOutValues returns the checked values of the array field name in data.
func fanOutValues(data []byte, name string) ([]string, error) {
	items, ok := arrayItems(lookupField(data, name))
	if !ok {
		return nil, fmt.Errorf("field %q: want an array: %w", name, ErrMissingField)
	}
	if len(items) > maxFanOut {
		return nil, fmt.Errorf("field %q: %d elements, more than the %d requests one event may make: %w", name, len(items), maxFanOut, ErrInvalidField)
	}
	values := make([]string, len(items))
	for i, it := range items {
		v, ok := scalar(it)
		if !ok {
			return nil, fmt.Errorf("field %q element %d: %w", name, i, ErrMissingField)
		}
		if err := checkValue(name, v); err != nil {
			return nil, err
		}
		values[i] = v
	}
	return values, nil
}

func isPaginated(call *EnrichCall) bool {
	return strings.Contains(call.Path, "{n}") || strings.Contains(call.Query, "{n}")
}

// checkValue refuses values that are not plausible IDs: a placeholder
// value lands in a URL, and `data` is trusted for IDs only. Allowed are
// the characters that need no escaping anywhere in a URL (RFC 3986
// unreserved), so a value can neither add a path segment nor a filter
// term ("1,2" in "id:in={id}").
func checkValue(name, v string) error {
	if v == "" {
		return fmt.Errorf("field %q: empty: %w", name, ErrMissingField)
	}
	if len(v) > maxFieldLen || v == "." || v == ".." {
		return fmt.Errorf("field %q: value %s: %w", name, quote(v), ErrInvalidField)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return fmt.Errorf("field %q: value %s: %w", name, quote(v), ErrInvalidField)
		}
	}
	return nil
}

// fieldValue returns the string or number at path in the JSON object
// data, rendered as entityID does.
func fieldValue(data []byte, path string) (string, bool) {
	return scalar(lookupField(data, path))
}

// scalar renders a raw JSON string (unescaped) or number (its literal);
// ok is false for anything else.
func scalar(v []byte) (string, bool) {
	if len(v) == 0 {
		return "", false
	}
	switch c := v[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, true
	case c == '-' || '0' <= c && c <= '9':
		return string(v), true
	}
	return "", false
}

// arrayItems splits a raw JSON array into its elements; ok is false when
// b is not an array.
func arrayItems(b []byte) ([]json.RawMessage, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	var items []json.RawMessage
	if json.Unmarshal(b, &items) != nil {
		return nil, false
	}
	return items, true
}
