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

// envelope is the callback JSON as BigCommerce sends it. Fields whose JSON
// type varies or needs checking decode through small Unmarshaler types that
// record what they saw; Decode turns that into a *DecodeError.
type envelope struct {
	Scope     string          `json:"scope"`
	StoreID   storeIDValue    `json:"store_id"`
	Producer  string          `json:"producer"`
	Data      json.RawMessage `json:"data"`
	Hash      string          `json:"hash"`
	CreatedAt unixValue       `json:"created_at"`
}

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
// Unknown top-level fields are ignored: BigCommerce may add some. As
// everywhere in encoding/json, field names match case-insensitively and a
// repeated field's last value wins.
func Decode(b []byte) (Event, error) {
	if err := checkPayload(b); err != nil {
		return Event{}, err
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return Event{}, unmarshalErr(err)
	}

	channelID, derr := checkScope(env.Scope)
	if derr != nil {
		return Event{}, derr
	}
	storeHash, derr := checkProducer(env.Producer)
	if derr != nil {
		return Event{}, derr
	}
	storeID, derr := env.StoreID.value()
	if derr != nil {
		return Event{}, derr
	}
	hash, derr := checkHash(env.Hash)
	if derr != nil {
		return Event{}, derr
	}
	createdAt, derr := env.CreatedAt.value()
	if derr != nil {
		return Event{}, derr
	}
	data, derr := checkData(env.Data)
	if derr != nil {
		return Event{}, derr
	}

	spec, ok := Lookup(env.Scope)
	if !ok {
		spec = unknownSpec(env.Scope)
	}
	ev := Event{
		Scope:     env.Scope,
		StoreID:   storeID,
		StoreHash: storeHash,
		ChannelID: channelID,
		Data:      data,
		Hash:      hash,
		CreatedAt: createdAt,
		Spec:      spec,
	}
	if spec.IDField != "" {
		ev.EntityID = entityID(data, spec.IDField)
	}
	return ev, nil
}

// checkPayload rejects what should not reach the JSON parser: oversize and
// non-UTF-8 payloads, and JSON values other than an object (for which
// encoding/json would report nothing useful: null decodes to an empty
// envelope).
func checkPayload(b []byte) *DecodeError {
	if len(b) > MaxPayloadSize {
		return decodeErr(ReasonOversize, "",
			fmt.Sprintf("payload is %d bytes; the limit is %d (BigCommerce webhooks are a few hundred bytes)", len(b), MaxPayloadSize), nil)
	}
	i := skipSpace(b, 0)
	if i == len(b) {
		return decodeErr(ReasonInvalidJSON, "", "payload is empty; want a JSON object", nil)
	}
	// RFC 8259 JSON is UTF-8. encoding/json would silently replace invalid
	// bytes in strings, and a sink would later choke on them in data.
	if !utf8.Valid(b) {
		return decodeErr(ReasonInvalidJSON, "", "payload is not valid UTF-8", nil)
	}
	if b[i] != '{' {
		if !json.Valid(b) {
			return decodeErr(ReasonInvalidJSON, "", "payload is not JSON; want a JSON object", nil)
		}
		return decodeErr(ReasonWrongType, "",
			fmt.Sprintf("payload is a JSON %s; want an object with scope, store_id, producer, data and hash", jsonKind(b[i])), nil)
	}
	return nil
}

// unmarshalErr translates a json.Unmarshal error.
func unmarshalErr(err error) *DecodeError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return decodeErr(ReasonInvalidJSON, "",
			fmt.Sprintf("payload is not valid JSON at byte %d: %v", se.Offset, se), err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := strings.TrimPrefix(te.Field, ".")
		return decodeErr(ReasonWrongType, field,
			fmt.Sprintf("%s is a JSON %s; want a string", field, te.Value), err)
	}
	return decodeErr(ReasonInvalidJSON, "", "payload is not valid JSON: "+err.Error(), err)
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

// checkData validates data and returns it compact.
func checkData(data json.RawMessage) (json.RawMessage, *DecodeError) {
	if len(data) == 0 || string(data) == "null" {
		return nil, decodeErr(ReasonMissingData, "data",
			"data is missing or null; want an object ({} when the event carries nothing)", nil)
	}
	if !isCompact(data) {
		var buf bytes.Buffer
		buf.Grow(len(data))
		if err := json.Compact(&buf, data); err != nil {
			// Unreachable: json.Unmarshal has validated data.
			return nil, decodeErr(ReasonInvalidJSON, "data", "data is not valid JSON", err)
		}
		data = buf.Bytes()
	}
	if c := data[0]; c != '{' && c != '[' {
		return nil, decodeErr(ReasonWrongType, "data",
			fmt.Sprintf("data is a JSON %s (%s); want an object or array", jsonKind(c), rawValue(data)), nil)
	}
	return data, nil
}

// storeIDValue decodes store_id: a string of digits or a JSON integer.
type storeIDValue struct {
	id   string // the digits, when the value was good
	bad  string // the raw value, cut, when it was not
	kind byte   // first byte of a value of the wrong JSON type
}

// UnmarshalJSON records the value; value reports problems.
func (v *storeIDValue) UnmarshalJSON(b []byte) error {
	*v = storeIDValue{}
	digits := b
	switch b[0] {
	case 'n':
		return nil // null: missing
	case '"':
		digits = b[1 : len(b)-1]
	case 't', 'f', '{', '[':
		v.kind = b[0]
		return nil
	}
	if len(digits) == 0 || len(digits) > maxStoreIDLen || !allDigits(digits) {
		v.bad = rawValue(b)
		return nil
	}
	v.id = string(digits)
	return nil
}

// value returns the store ID or the reason it is unusable.
func (v *storeIDValue) value() (string, *DecodeError) {
	switch {
	case v.id != "":
		return v.id, nil
	case v.kind != 0:
		return "", decodeErr(ReasonWrongType, "store_id",
			fmt.Sprintf("store_id is a JSON %s; want a string of digits, e.g. \"1025646\"", jsonKind(v.kind)), nil)
	case v.bad != "":
		return "", decodeErr(ReasonBadStoreID, "store_id",
			fmt.Sprintf("store_id %s is not a store ID; want a string of up to %d digits, e.g. \"1025646\"", v.bad, maxStoreIDLen), nil)
	default:
		return "", decodeErr(ReasonBadStoreID, "store_id", "store_id is missing; want a string of digits, e.g. \"1025646\"", nil)
	}
}

// unixValue decodes created_at: whole Unix seconds.
type unixValue struct {
	sec  int64
	set  bool   // a valid, non-zero time was seen
	bad  string // the raw value, cut, when it was not valid
	why  string // what is wrong with bad
	kind byte   // first byte of a value of the wrong JSON type
}

// UnmarshalJSON records the value; value reports problems.
func (v *unixValue) UnmarshalJSON(b []byte) error {
	*v = unixValue{}
	switch c := b[0]; {
	case c == 'n':
		return nil // null: absent
	case c == '-' || '0' <= c && c <= '9':
		sec, ok := parseUint(string(b)) // no allocation: the conversion does not escape
		switch {
		case c == '-':
			v.why = "is negative"
		case !ok && bytes.IndexAny(b, ".eE") >= 0:
			v.why = "is not a whole number of seconds"
		case !ok || sec >= maxCreatedAt:
			v.why = "is after 2100; want Unix seconds (is it milliseconds?)"
		default:
			v.sec, v.set = sec, sec != 0
			return nil
		}
		v.bad = rawValue(b)
	default:
		v.kind = c
	}
	return nil
}

// value returns the time (zero if absent) or the reason it is unusable.
func (v *unixValue) value() (time.Time, *DecodeError) {
	switch {
	case v.set:
		return time.Unix(v.sec, 0).UTC(), nil
	case v.kind != 0:
		return time.Time{}, decodeErr(ReasonWrongType, "created_at",
			fmt.Sprintf("created_at is a JSON %s; want an integer (Unix seconds)", jsonKind(v.kind)), nil)
	case v.bad != "":
		return time.Time{}, decodeErr(ReasonBadCreatedAt, "created_at", "created_at "+v.bad+" "+v.why, nil)
	default:
		return time.Time{}, nil
	}
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
