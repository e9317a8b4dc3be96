package bigcommerce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxPayloadSize is the largest payload Decode accepts, in bytes.
// BigCommerce callbacks carry IDs, not entities, and are a few hundred
// bytes; the largest documented ones (price-list record batches, modifier
// events listing up to 100 product IDs) stay far below this. Anything
// bigger is not a BigCommerce webhook, and rejecting it before parsing
// bounds the CPU and memory one message can cost.
const MaxPayloadSize = 64 << 10

// maxCreatedAt is 2100-01-01T00:00:00Z in Unix seconds. A created_at at or
// beyond it is not a webhook time; most often it is milliseconds.
const maxCreatedAt = 4102444800

// maxStoreHashLen bounds the store hash in producer. Real hashes are about
// ten characters.
const maxStoreHashLen = 32

// maxStoreIDLen is the length of the largest uint64; store IDs are about
// seven digits.
const maxStoreIDLen = 20

// producerPrefix starts every producer: "stores/{store_hash}".
const producerPrefix = "stores/"

// entityIDReserve is how many bytes Decode reserves for Event.EntityID in
// the allocation that holds the Event's strings: enough for numeric IDs
// and UUIDs. Longer IDs cost one more allocation.
const entityIDReserve = 40

// Decode parses and validates one webhook payload: the `data` of a Pub/Sub
// message that BigCommerce published.
//
// Every error is a *DecodeError, which matches ErrPoison under errors.Is:
// a payload that fails to decode fails forever, so the caller dead-letters
// it (with Reason(err) as the reason) instead of asking for a redelivery.
//
// Decode accepts:
//   - scope: "store/…" made of non-empty segments of letters, digits, '_'
//     and '-', or a lone '*' (BOPIS scopes, "store/channel/*/inventory/…").
//     A numeric channel segment ("store/channel/7/…") becomes ChannelID and
//     must be positive. Scopes the catalog does not know are accepted.
//   - store_id: a string of digits, or a JSON integer, which becomes the
//     same string. BigCommerce documents a string, but an integer spells
//     the same ID unambiguously (it is what a relay or tool that re-encodes
//     the envelope with the ID as a number would send), and dead-lettering
//     events over the quoting would lose them for nothing.
//   - producer: "stores/{store_hash}", the hash lowercase letters and
//     digits.
//   - hash: 40 hex digits, in either case; Event.Hash is lowercase.
//   - created_at: optional whole Unix seconds before 2100 (later values are
//     most likely milliseconds). Absent, null and 0 (a common spelling of
//     "unset") give the zero Time.
//   - data: an object or an array; absent or null is an error. Event.Data
//     is the value's bytes as sent, or compacted if they contain whitespace,
//     so it never spans lines.
//
// The payload must be valid UTF-8 JSON (what json.Valid accepts, objects
// and arrays nested at most 10000 deep). Unknown top-level fields are
// ignored: BigCommerce may add some. As in encoding/json, which Decode used
// to be built on and still agrees with (decodeReference in the tests pins
// it), field names match case-insensitively (with Unicode folding: "ſcope"
// is scope) and a repeated field's last value wins, except that a null
// scope, producer or hash is skipped (an earlier value stands), and a
// scope, producer or hash of another JSON type than string is wrong_type
// even if a later repeat is a string.
//
// Decode parses with a single-pass, non-recursive scanner: it costs about a
// microsecond for a typical payload and does not grow the goroutine stack.
// A decoded Event shares no memory with b: its strings share one
// allocation and Data another.
func Decode(b []byte) (Event, error) {
	// Error paths are in functions of their own, to keep this frame small.
	if len(b) > MaxPayloadSize {
		return Event{}, oversizeErr(len(b))
	}
	var env rawEnvelope
	if res := env.scan(b); res != scanOK {
		return Event{}, scanErr(b, res)
	}
	if env.typeKey != keyOther {
		return Event{}, env.typeErr()
	}

	// Copy the strings into one allocation, then validate them in the
	// order the checks have always run.
	scopeB, producerB, hashB := env.scope.bytes(b), env.producer.bytes(b), env.hash.bytes(b)
	storeIDB, storeIDErr := checkStoreID(env.storeID.of(b))
	var sb strings.Builder
	sb.Grow(len(scopeB) + len(producerB) + len(storeIDB) + len(hashB) + entityIDReserve)
	sb.Write(scopeB)
	sb.Write(producerB)
	sb.Write(storeIDB)
	hashOK := writeHash(&sb, hashB)
	s := sb.String()
	n1 := len(scopeB)
	n2 := n1 + len(producerB)
	n3 := n2 + len(storeIDB)
	scope, producer, storeID, hash := s[:n1], s[n1:n2], s[n2:n3], s[n3:]

	channelID, derr := checkScope(scope)
	if derr != nil {
		return Event{}, derr
	}
	storeHash, derr := checkProducer(producer)
	if derr != nil {
		return Event{}, derr
	}
	if storeIDErr != nil {
		return Event{}, storeIDErr
	}
	if !hashOK {
		hash, derr = checkHash(hash)
		if derr != nil {
			return Event{}, derr
		}
	}
	createdAt, derr := checkCreatedAt(env.createdAt.of(b))
	if derr != nil {
		return Event{}, derr
	}
	data, derr := checkData(env.data.of(b), env.dataWS)
	if derr != nil {
		return Event{}, derr
	}

	spec, known := Lookup(scope)
	if !known {
		spec = unknownSpec(scope)
	}
	var entityID string
	if spec.IDField != "" {
		if raw, escaped := entityIDValue(data, spec.IDField); escaped {
			entityID = string(unescape(raw))
		} else if len(raw) > 0 {
			sb.Write(raw)
			entityID = sb.String()[len(s):]
		}
	}
	return Event{
		Scope:     scope,
		StoreID:   storeID,
		StoreHash: storeHash,
		ChannelID: channelID,
		Data:      data,
		Hash:      hash,
		CreatedAt: createdAt,
		Spec:      spec,
		EntityID:  entityID,
	}, nil
}

// oversizeErr is the error for a payload of n bytes, over MaxPayloadSize.
func oversizeErr(n int) *DecodeError {
	return decodeErr(ReasonOversize, "",
		fmt.Sprintf("payload is %d bytes; the limit is %d (BigCommerce webhooks are a few hundred bytes)", n, MaxPayloadSize), nil)
}

// scanErr is the error for a payload that scanned as res (not scanOK).
func scanErr(b []byte, res scanResult) *DecodeError {
	if res == scanNotObject {
		return decodeErr(ReasonWrongType, "",
			fmt.Sprintf("payload is a JSON %s; want an object with scope, store_id, producer, data and hash", jsonKind(b[skipSpace(b, 0)])), nil)
	}
	return invalidJSON(b)
}

// writeHash writes the hash field's contents to sb: lowercased when they
// are 40 hex digits, reporting true (checkHash would accept them as
// written), and as sent otherwise (so that checkHash's error quotes them).
//
// It maps each byte through hexLower rather than branching on its range:
// hex digits are random, so the branches mispredicted about every other
// byte (~0.2 µs per event in bcload's profile).
func writeHash(sb *strings.Builder, hash []byte) bool {
	var lower [40]byte
	if len(hash) != len(lower) {
		sb.Write(hash)
		return false
	}
	for i, c := range hash[:len(lower)] {
		lower[i] = hexLower[c]
	}
	if bytes.IndexByte(lower[:], 0) >= 0 {
		sb.Write(hash)
		return false
	}
	sb.Write(lower[:])
	return true
}

// hexLower maps a hex digit to its lowercase form and any other byte to 0.
var hexLower = func() (t [256]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c)
		t[c-'a'+'A'] = byte(c)
	}
	return t
}()

// invalidJSON explains why the scanner rejected b. It runs only for
// payloads that are not JSON, and reports what encoding/json reports, so
// that the messages (and the *json.SyntaxError in Err) are the ones Decode
// has always given; checkValid, the part of json.Unmarshal that fails, is
// not recursive.
func invalidJSON(b []byte) *DecodeError {
	i := skipSpace(b, 0)
	switch {
	case i == len(b):
		return decodeErr(ReasonInvalidJSON, "", "payload is empty; want a JSON object", nil)
	case !utf8.Valid(b):
		// RFC 8259 JSON is UTF-8. encoding/json would silently replace
		// invalid bytes in strings, and a sink would later choke on them
		// in data.
		return decodeErr(ReasonInvalidJSON, "", "payload is not valid UTF-8", nil)
	case b[i] != '{':
		return decodeErr(ReasonInvalidJSON, "", "payload is not JSON; want a JSON object", nil)
	}
	err := json.Unmarshal(b, new(struct{}))
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return decodeErr(ReasonInvalidJSON, "",
			fmt.Sprintf("payload is not valid JSON at byte %d: %v", se.Offset, se), err)
	}
	// Unreachable: the scanner and encoding/json accept the same JSON.
	return decodeErr(ReasonInvalidJSON, "", "payload is not valid JSON", err)
}

// scopeChars marks the bytes a scope may contain besides '/' and '*'.
var scopeChars = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['_'], t['-'] = true, true
	return t
}()

// checkScope validates scope and returns its channel ID (0 if none).
func checkScope(scope string) (int64, *DecodeError) {
	const example = "; want e.g. store/order/created or store/channel/1/order/created"
	switch {
	case scope == "":
		return 0, decodeErr(ReasonMissingScope, "scope", "scope is missing or empty"+example, nil)
	case len(scope) > maxScopeLen:
		return 0, decodeErr(ReasonMalformedScope, "scope",
			fmt.Sprintf("scope %s is %d bytes long; the limit is %d", quote(scope), len(scope), maxScopeLen), nil)
	case !strings.HasPrefix(scope, "store/"):
		return 0, decodeErr(ReasonMalformedScope, "scope",
			fmt.Sprintf("scope %s does not start with store/%s", quote(scope), example), nil)
	case strings.Contains(scope, "{channel_id}"):
		// A catalog spelling, not a delivery: it names no channel.
		return 0, decodeErr(ReasonMalformedScope, "scope",
			fmt.Sprintf("scope %s is a catalog template; deliveries name the channel (store/channel/1/…)", quote(scope)), nil)
	}
	start := 0
	for i := 0; i <= len(scope); i++ {
		if i < len(scope) && scope[i] != '/' {
			if c := scope[i]; !scopeChars[c] && c != '*' {
				r, _ := utf8.DecodeRuneInString(scope[i:])
				return 0, decodeErr(ReasonMalformedScope, "scope",
					fmt.Sprintf("scope %s contains %q; scopes use ASCII letters, digits, '_', '-', '/' and '*'", quote(scope), r), nil)
			}
			continue
		}
		seg := scope[start:i]
		if seg == "" {
			return 0, decodeErr(ReasonMalformedScope, "scope",
				fmt.Sprintf("scope %s has an empty segment (leading, trailing or double '/')", quote(scope)), nil)
		}
		if seg != "*" && strings.IndexByte(seg, '*') >= 0 {
			return 0, decodeErr(ReasonMalformedScope, "scope",
				fmt.Sprintf("scope %s has '*' inside a segment; it may only stand alone (store/channel/*/…)", quote(scope)), nil)
		}
		start = i + 1
	}
	rest, ok := channelRest(scope)
	if !ok {
		return 0, nil
	}
	digits := scope[len(channelPrefix) : len(scope)-len(rest)]
	id, ok := parseUint(digits)
	if !ok || id <= 0 {
		return 0, decodeErr(ReasonMalformedScope, "scope",
			fmt.Sprintf("scope %s has channel ID %s; channel IDs are positive 64-bit integers", quote(scope), quote(digits)), nil)
	}
	return id, nil
}

// checkProducer validates producer and returns the store hash.
func checkProducer(producer string) (string, *DecodeError) {
	const want = " is not of the form stores/{store_hash} (store hash: lowercase letters and digits, e.g. stores/k2x8v4n1)"
	if producer == "" {
		return "", decodeErr(ReasonBadProducer, "producer", "producer is missing; want stores/{store_hash}", nil)
	}
	hash, ok := strings.CutPrefix(producer, producerPrefix)
	if !ok || hash == "" || len(hash) > maxStoreHashLen {
		return "", decodeErr(ReasonBadProducer, "producer", "producer "+quote(producer)+want, nil)
	}
	for i := 0; i < len(hash); i++ {
		if c := hash[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return "", decodeErr(ReasonBadProducer, "producer", "producer "+quote(producer)+want, nil)
		}
	}
	return hash, nil
}

// checkHash validates hash and returns it in lowercase.
func checkHash(hash string) (string, *DecodeError) {
	if hash == "" {
		return "", decodeErr(ReasonBadHash, "hash", "hash is missing; want the 40 hex digits of BigCommerce's SHA-1", nil)
	}
	ok, upper := len(hash) == 40, false
	for i := 0; ok && i < len(hash); i++ {
		switch c := hash[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			upper = true
		default:
			ok = false
		}
	}
	if !ok {
		return "", decodeErr(ReasonBadHash, "hash",
			fmt.Sprintf("hash %s is not 40 hex digits (a SHA-1)", quote(hash)), nil)
	}
	if upper {
		hash = strings.ToLower(hash)
	}
	return hash, nil
}

// checkData validates the raw data value and returns a compact copy.
func checkData(raw []byte, hasSpace bool) (json.RawMessage, *DecodeError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, decodeErr(ReasonMissingData, "data",
			"data is missing or null; want an object ({} when the event carries nothing)", nil)
	}
	// A scalar has no whitespace to compact outside its strings.
	if c := raw[0]; c != '{' && c != '[' {
		return nil, decodeErr(ReasonWrongType, "data",
			fmt.Sprintf("data is a JSON %s (%s); want an object or array", jsonKind(c), rawValue(raw)), nil)
	}
	if hasSpace {
		return appendCompact(make([]byte, 0, len(raw)), raw), nil
	}
	data := make([]byte, len(raw))
	copy(data, raw)
	return data, nil
}

// checkStoreID validates the raw store_id value (nil when absent) and
// returns its digits, a sub-slice of raw: a string of digits (as sent,
// escapes are not digits) or a JSON integer.
func checkStoreID(raw []byte) ([]byte, *DecodeError) {
	digits := raw
	switch {
	case len(raw) == 0 || raw[0] == 'n':
		return nil, decodeErr(ReasonBadStoreID, "store_id", "store_id is missing; want a string of digits, e.g. \"1025646\"", nil)
	case raw[0] == '"':
		digits = raw[1 : len(raw)-1]
	case raw[0] == 't' || raw[0] == 'f' || raw[0] == '{' || raw[0] == '[':
		return nil, decodeErr(ReasonWrongType, "store_id",
			fmt.Sprintf("store_id is a JSON %s; want a string of digits, e.g. \"1025646\"", jsonKind(raw[0])), nil)
	}
	if len(digits) == 0 || len(digits) > maxStoreIDLen || !allDigits(digits) {
		return nil, decodeErr(ReasonBadStoreID, "store_id",
			fmt.Sprintf("store_id %s is not a store ID; want a string of up to %d digits, e.g. \"1025646\"", rawValue(raw), maxStoreIDLen), nil)
	}
	return digits, nil
}

// checkCreatedAt validates the raw created_at value (nil when absent):
// whole Unix seconds, with null and 0 meaning none.
func checkCreatedAt(raw []byte) (time.Time, *DecodeError) {
	if len(raw) == 0 || raw[0] == 'n' {
		return time.Time{}, nil
	}
	c := raw[0]
	if c != '-' && (c < '0' || c > '9') {
		return time.Time{}, decodeErr(ReasonWrongType, "created_at",
			fmt.Sprintf("created_at is a JSON %s; want an integer (Unix seconds)", jsonKind(c)), nil)
	}
	sec, ok := parseUint(string(raw)) // no allocation: the conversion does not escape
	var why string
	switch {
	case c == '-':
		why = "is negative"
	case !ok && bytes.ContainsAny(raw, ".eE"):
		why = "is not a whole number of seconds"
	case !ok || sec >= maxCreatedAt:
		why = "is after 2100; want Unix seconds (is it milliseconds?)"
	case sec == 0:
		return time.Time{}, nil
	default:
		return time.Unix(sec, 0).UTC(), nil
	}
	return time.Time{}, decodeErr(ReasonBadCreatedAt, "created_at", "created_at "+rawValue(raw)+" "+why, nil)
}

// parseUint parses a non-empty string of ASCII digits into an int64,
// reporting false on anything else (signs, fractions, exponents, overflow).
func parseUint(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
		if n < 0 {
			return 0, false // overflow of a 19-digit value
		}
	}
	return n, true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// jsonKind names the JSON type of a value by its first byte.
func jsonKind(c byte) string {
	switch {
	case c == '"':
		return "string"
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	default:
		return "number"
	}
}
