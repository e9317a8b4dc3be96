package bigcommerce

import (
	"fmt"
	"unicode/utf8"
)

// rawEnvelope is what scan finds in a payload: where the envelope members
// Decode reads are. It lives in Decode's frame, so it keeps offsets, not
// slices (MaxPayloadSize fits an int32).
//
// It reproduces what json.Unmarshal into the former envelope struct (a
// string for scope, producer and hash; Unmarshalers for store_id,
// created_at and data) saw, so that Decode keeps its behaviour:
//   - member names match the field names case-insensitively, with
//     encoding/json's folding (after unescaping; 'ſ' folds to 's'), and
//     the last of repeated members wins;
//   - a null scope, producer or hash leaves the field as it was, while a
//     null store_id, created_at or data replaces an earlier value;
//   - a scope, producer or hash of another JSON type than string fails
//     the whole payload (wrong_type), even when a later repeat is a string;
//     the first such member in the payload is the one reported.
type rawEnvelope struct {
	scope, producer, hash rawString
	storeID               span // raw value; empty when absent
	createdAt             span // raw value; empty when absent
	data                  span // raw value; empty when absent
	dataWS                bool // data holds whitespace outside strings

	typeKey  uint8 // first string field (key*) with a value of another type
	typeKind byte  // the first byte of that value
}

// span is the part b[lo:hi] of the payload b.
type span struct{ lo, hi int32 }

func (s span) of(b []byte) []byte { return b[s.lo:s.hi] }

// rawString is a JSON string's contents, between the quotes, as sent.
type rawString struct {
	span
	escaped bool // holds backslash escapes
}

// bytes returns the string's contents in b, unescaped. Only an escaped
// string allocates.
func (s rawString) bytes(b []byte) []byte {
	if !s.escaped {
		return s.of(b)
	}
	return unescape(s.of(b))
}

// unescape returns the contents raw of a JSON string with escapes,
// unescaped, in a new slice.
//
// It is not inlined so that Decode's frame does not hold a stack buffer
// for each call.
//
//go:noinline
func unescape(raw []byte) []byte {
	return appendUnquoted(make([]byte, 0, len(raw)), raw)
}

// typeErr is the error for the first string field whose value had the
// wrong JSON type.
func (e *rawEnvelope) typeErr() *DecodeError {
	var name, kind string
	switch e.typeKey {
	case keyScope:
		name = "scope"
	case keyProducer:
		name = "producer"
	default:
		name = "hash"
	}
	// The JSON types as encoding/json's UnmarshalTypeError names them.
	switch e.typeKind {
	case 't', 'f':
		kind = "bool"
	case '{':
		kind = "object"
	case '[':
		kind = "array"
	default:
		kind = "number"
	}
	return decodeErr(ReasonWrongType, name, fmt.Sprintf("%s is a JSON %s; want a string", name, kind), nil)
}

// scanResult is the outcome of scanEnvelope.
type scanResult uint8

const (
	scanOK        scanResult = iota
	scanInvalid              // not JSON (or not UTF-8)
	scanNotObject            // valid JSON, but not an object
)

// Members of the envelope, as envelopeKey identifies them.
const (
	keyOther uint8 = iota
	keyScope
	keyStoreID
	keyProducer
	keyData
	keyHash
	keyCreatedAt
)

// scan validates the payload b, at most MaxPayloadSize bytes, and records
// the envelope members.
func (e *rawEnvelope) scan(b []byte) scanResult {
	i := skipSpace(b, 0)
	if i == len(b) {
		return scanInvalid
	}
	if b[i] != '{' {
		end, _, ok := scanValue(b, i, 0)
		if !ok || skipSpace(b, end) != len(b) {
			return scanInvalid
		}
		return scanNotObject
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return scanInvalid
			}
			keyEnd, flags, ok := scanString(b, i)
			if !ok {
				return scanInvalid
			}
			key := envelopeKey(b[i+1:keyEnd-1], flags)
			i = skipSpace(b, keyEnd)
			if i >= len(b) || b[i] != ':' {
				return scanInvalid
			}
			i = skipSpace(b, i+1)
			if i >= len(b) {
				return scanInvalid
			}

			start := i
			var ws bool
			if b[i] == '"' {
				i, flags, ok = scanString(b, i)
			} else {
				i, ws, ok = scanValue(b, i, 1)
			}
			if !ok {
				return scanInvalid
			}
			v := span{int32(start), int32(i)}
			switch key {
			case keyScope:
				e.setString(&e.scope, keyScope, b[start], v, flags)
			case keyProducer:
				e.setString(&e.producer, keyProducer, b[start], v, flags)
			case keyHash:
				e.setString(&e.hash, keyHash, b[start], v, flags)
			case keyStoreID:
				e.storeID = v
			case keyCreatedAt:
				e.createdAt = v
			case keyData:
				e.data, e.dataWS = v, ws
			}

			i = skipSpace(b, i)
			if i >= len(b) {
				return scanInvalid
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] != ',' {
				return scanInvalid
			}
			i = skipSpace(b, i+1)
		}
	}
	if skipSpace(b, i) != len(b) {
		return scanInvalid
	}
	return scanOK
}

// setString records the value v, starting with c, of the string field f
// (key), as json.Unmarshal into a string would: a string replaces f, null
// leaves it alone, and anything else is a type error (the first one is
// kept). flags are scanString's, when v is a string.
func (e *rawEnvelope) setString(f *rawString, key uint8, c byte, v span, flags uint8) {
	switch {
	case c == '"':
		*f = rawString{span{v.lo + 1, v.hi - 1}, flags&strEscaped != 0}
	case c == 'n':
	case e.typeKey == 0:
		e.typeKey, e.typeKind = key, c
	}
}

// envelopeKey identifies the member called raw (a JSON string's contents,
// as sent; flags are scanString's).
func envelopeKey(raw []byte, flags uint8) uint8 {
	if flags != 0 {
		return envelopeKeySlow(raw, flags)
	}
	// The names as BigCommerce spells them, then in any case.
	switch string(raw) {
	case "scope":
		return keyScope
	case "store_id":
		return keyStoreID
	case "producer":
		return keyProducer
	case "data":
		return keyData
	case "hash":
		return keyHash
	case "created_at":
		return keyCreatedAt
	}
	switch len(raw) {
	case 4:
		if equalFoldASCII(raw, "data") {
			return keyData
		}
		if equalFoldASCII(raw, "hash") {
			return keyHash
		}
	case 5:
		if equalFoldASCII(raw, "scope") {
			return keyScope
		}
	case 8:
		if equalFoldASCII(raw, "store_id") {
			return keyStoreID
		}
		if equalFoldASCII(raw, "producer") {
			return keyProducer
		}
	case 10:
		if equalFoldASCII(raw, "created_at") {
			return keyCreatedAt
		}
	}
	return keyOther
}

// envelopeKeySlow is envelopeKey for names with escapes or non-ASCII
// bytes. encoding/json matches a name to a field when they are equal under
// Unicode simple folding; the only non-ASCII runes that fold to ASCII
// letters are 'ſ' (U+017F, to 's') and the Kelvin sign (U+212A, to 'k').
func envelopeKeySlow(raw []byte, flags uint8) uint8 {
	// A matching name unescapes to at most 10 runes of at most 2 bytes,
	// each spelled with at most 6 bytes (\uXXXX).
	const maxRaw = 6 * len("created_at")
	if len(raw) > maxRaw {
		return keyOther
	}
	var buf [maxRaw]byte
	name := raw
	if flags&strEscaped != 0 {
		name = appendUnquoted(buf[:0], raw)
	}
	var folded [len("created_at")]byte
	n := 0
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRune(name[i:])
		i += size
		switch {
		case r == 'ſ':
			r = 's'
		case r == 'K':
			r = 'k'
		case r >= utf8.RuneSelf:
			return keyOther
		}
		if n == len(folded) {
			return keyOther
		}
		folded[n] = byte(r)
		n++
	}
	return envelopeKey(folded[:n], 0)
}

// equalFoldASCII reports whether the ASCII name b equals the lowercase
// name, ignoring the case of ASCII letters.
func equalFoldASCII(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}
