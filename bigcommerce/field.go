package bigcommerce

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// This file reads single fields out of `data` without decoding it into a
// map: Decode needs one field (the entity ID) per message, and a map costs
// an allocation per member. The input is always valid JSON (Decode has
// scanned it), so these helpers only have to find value boundaries, not
// validate. Finding a field neither recurses nor allocates (but for
// escaped names that unescape to more than 64 bytes).

// entityID renders the value at path in data as Event.EntityID: a JSON
// string as its contents, a number as its literal (decimal, as sent);
// anything else (absent, null, bool, object, array) as "".
func entityID(data []byte, path string) string {
	raw, escaped := entityIDValue(data, path)
	if escaped {
		return string(appendUnquoted(nil, raw))
	}
	return string(raw)
}

// entityIDValue returns what entityID renders: the contents of a string
// as sent (escaped reports whether they hold escapes) or the literal of a
// number; nil for anything else.
func entityIDValue(data []byte, path string) (raw []byte, escaped bool) {
	v := lookupField(data, path)
	if len(v) == 0 {
		return nil, false
	}
	switch c := v[0]; {
	case c == '"':
		inner := v[1 : len(v)-1]
		for _, c := range inner {
			if c == '\\' {
				return inner, true
			}
		}
		return inner, false
	case c == '-' || '0' <= c && c <= '9':
		return v, false
	default:
		return nil, false
	}
}

// lookupField returns the raw value of the member of object data named by
// path, a dotted path into nested objects ("refund.refund_id"), or nil when
// data is not an object or has no such member. When a name occurs twice
// the last one wins, as in encoding/json, so the result agrees with a
// later json.Unmarshal of data.
func lookupField(data []byte, path string) []byte {
	for {
		name, rest, nested := strings.Cut(path, ".")
		v := objectMember(data, name)
		if v == nil || !nested {
			return v
		}
		data, path = v, rest
	}
}

// objectMember returns the raw value of the last member called name of the
// JSON object obj, or nil.
func objectMember(obj []byte, name string) []byte {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil
	}
	var found []byte
	i++
	for {
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return found // '}' (or malformed input: give up quietly)
		}
		keyEnd := skipString(obj, i)
		key := obj[i+1 : keyEnd-1]
		i = skipSpace(obj, keyEnd)
		if i >= len(obj) || obj[i] != ':' {
			return found
		}
		i = skipSpace(obj, i+1)
		end := skipValue(obj, i)
		if keyEquals(key, name) {
			found = obj[i:end]
		}
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ',' {
			return found
		}
		i++
	}
}

// keyEquals reports whether the raw (still escaped) key equals name.
func keyEquals(raw []byte, name string) bool {
	// An escape unescapes to fewer bytes than it is spelled with.
	switch {
	case len(raw) < len(name):
		return false
	case len(raw) == len(name):
		return string(raw) == name // no allocation: compiler-optimised compare
	case bytes.IndexByte(raw, '\\') < 0:
		return false
	}
	var buf [64]byte
	return string(appendUnquoted(buf[:0], raw)) == name
}

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string starting at b[i] ('"').
func skipString(b []byte, i int) int {
	i++
	for {
		for i+8 <= len(b) && !quoteOrBackslash8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		if i >= len(b) {
			return len(b)
		}
		switch b[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1
		default:
			i++
		}
	}
}

// quoteOrBackslash8 reports whether one of the 8 bytes packed in x is '"'
// or '\\'.
func quoteOrBackslash8(x uint64) bool {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (ones * '"')
	backslash := x ^ (ones * '\\')
	return ((quote-ones)&^quote|(backslash-ones)&^backslash)&high != 0
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // number, true, false, null
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

// isCompact reports whether the valid JSON b has no whitespace outside
// strings, i.e. whether json.Compact would leave it unchanged.
func isCompact(b []byte) bool {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = skipString(b, i) - 1
		case ' ', '\t', '\n', '\r':
			return false
		}
	}
	return true
}
