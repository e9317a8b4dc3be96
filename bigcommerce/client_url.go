package bigcommerce

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// maxStoreHash bounds a store hash; real ones are about 10 characters.
const maxStoreHash = 64

// checkStoreHash accepts what a store hash looks like: lowercase ASCII
// letters and digits. The hash becomes a URL path segment, so anything
// else is refused before a request is built.
func checkStoreHash(h string) error {
	if h == "" || len(h) > maxStoreHash {
		return fmt.Errorf("bigcommerce: invalid store hash %s", quote(h))
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return fmt.Errorf("bigcommerce: invalid store hash %s", quote(h))
		}
	}
	return nil
}

// checkPath accepts an escaped absolute path without query, fragment, or
// dot segments: the path is appended to the store's API root, and must not
// climb out of it.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#\\ ") || strings.Contains(p, "//") {
		return fmt.Errorf("bigcommerce: invalid API path %s", quote(p))
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("bigcommerce: invalid API path %s", quote(p))
		}
	}
	if _, err := url.ParseRequestURI(p); err != nil {
		return fmt.Errorf("bigcommerce: invalid API path %s", quote(p))
	}
	return nil
}

// templatePath turns an actual path into a low-cardinality name for spans
// and metrics: segments that look like IDs (all digits, or 8+ characters
// with a digit: UUIDs, cart IDs, tokens) become "{id}".
func templatePath(p string) string {
	segs := strings.Split(p, "/")
	changed := false
	for i, s := range segs {
		if looksLikeID(s) {
			segs[i] = "{id}"
			changed = true
		}
	}
	if !changed {
		return p
	}
	return strings.Join(segs, "/")
}

func looksLikeID(s string) bool {
	if s == "" {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			digits++
		}
	}
	return digits == len(s) || digits > 0 && len(s) >= 8
}

// encodeQuery encodes q sorted by key, like url.Values.Encode, but leaves
// ':' and ',' unescaped. BigCommerce documents its filters literally
// ("id:in=1,2", "include=variants,images"); both characters are legal in a
// query (RFC 3986 §3.4), and sending them as documented avoids depending
// on how the API decodes "%3A".
func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(q))
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(queryEscape(k))
			b.WriteByte('=')
			b.WriteString(queryEscape(v))
		}
	}
	return b.String()
}

// queryEscape escapes s for a query component, keeping ':' and ','.
func queryEscape(s string) string {
	e := url.QueryEscape(s)
	if !strings.Contains(e, "%") {
		return e
	}
	return strings.NewReplacer("%3A", ":", "%2C", ",").Replace(e)
}

// DataField returns the "data" member of a V3 (or B2B) response body,
// which wraps the resource as {"data": …, "meta": …}. ok is false when body
// is not an object with a "data" member: V2 bodies are bare, and some V3
// write endpoints answer unwrapped, so callers handling both can fall back
// to body. Invalid JSON has no data member.
func DataField(body json.RawMessage) (data json.RawMessage, ok bool) {
	// objectMember trusts its input to be valid JSON.
	if !json.Valid(body) {
		return nil, false
	}
	return dataMember(body)
}

// dataMember is DataField for a body known to be valid JSON.
func dataMember(body []byte) (json.RawMessage, bool) {
	v := objectMember(body, "data")
	if v == nil {
		return nil, false
	}
	return v, true
}
