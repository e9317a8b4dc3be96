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

// This file keeps the encoding/json implementation that Decode replaced,
// as decodeReference, to pin Decode's behaviour: FuzzDecodeDifferential
// checks that the two agree on every input. It shares with Decode only
// the field checks that did not change (checkScope, checkProducer,
// checkHash, Lookup, …), not the parsing.

// refEnvelope is the callback JSON as BigCommerce sends it. Fields whose
// JSON type varies or needs checking decode through small Unmarshaler
// types that record what they saw; decodeReference turns that into a
// *DecodeError.
type refEnvelope struct {
	Scope     string          `json:"scope"`
	StoreID   refStoreIDValue `json:"store_id"`
	Producer  string          `json:"producer"`
	Data      json.RawMessage `json:"data"`
	Hash      string          `json:"hash"`
	CreatedAt refUnixValue    `json:"created_at"`
}

// decodeReference is Decode as it was, on encoding/json.
func decodeReference(b []byte) (Event, error) {
	if err := refCheckPayload(b); err != nil {
		return Event{}, err
	}
	var env refEnvelope
	if err := json.Unmarshal(b, &env); err != nil {
		return Event{}, refUnmarshalErr(err)
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
	data, derr := refCheckData(env.Data)
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
		ev.EntityID = refEntityID(data, spec.IDField)
	}
	return ev, nil
}

// refCheckPayload rejects what should not reach the JSON parser: oversize
// and non-UTF-8 payloads, and JSON values other than an object.
func refCheckPayload(b []byte) *DecodeError {
	if len(b) > MaxPayloadSize {
		return decodeErr(ReasonOversize, "",
			fmt.Sprintf("payload is %d bytes; the limit is %d (BigCommerce webhooks are a few hundred bytes)", len(b), MaxPayloadSize), nil)
	}
	i := skipSpace(b, 0)
	if i == len(b) {
		return decodeErr(ReasonInvalidJSON, "", "payload is empty; want a JSON object", nil)
	}
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

// refUnmarshalErr translates a json.Unmarshal error.
func refUnmarshalErr(err error) *DecodeError {
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

// refCheckData validates data and returns it compact.
func refCheckData(data json.RawMessage) (json.RawMessage, *DecodeError) {
	if len(data) == 0 || string(data) == "null" {
		return nil, decodeErr(ReasonMissingData, "data",
			"data is missing or null; want an object ({} when the event carries nothing)", nil)
	}
	if !isCompact(data) {
		var buf bytes.Buffer
		buf.Grow(len(data))
		if err := json.Compact(&buf, data); err != nil {
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

// refStoreIDValue decodes store_id: a string of digits or a JSON integer.
type refStoreIDValue struct {
	id   string // the digits, when the value was good
	bad  string // the raw value, cut, when it was not
	kind byte   // first byte of a value of the wrong JSON type
}

// UnmarshalJSON records the value; value reports problems.
func (v *refStoreIDValue) UnmarshalJSON(b []byte) error {
	*v = refStoreIDValue{}
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
func (v *refStoreIDValue) value() (string, *DecodeError) {
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

// refUnixValue decodes created_at: whole Unix seconds.
type refUnixValue struct {
	sec  int64
	set  bool   // a valid, non-zero time was seen
	bad  string // the raw value, cut, when it was not valid
	why  string // what is wrong with bad
	kind byte   // first byte of a value of the wrong JSON type
}

// UnmarshalJSON records the value; value reports problems.
func (v *refUnixValue) UnmarshalJSON(b []byte) error {
	*v = refUnixValue{}
	switch c := b[0]; {
	case c == 'n':
		return nil // null: absent
	case c == '-' || '0' <= c && c <= '9':
		sec, ok := parseUint(string(b))
		switch {
		case c == '-':
			v.why = "is negative"
		case !ok && bytes.ContainsAny(b, ".eE"):
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
func (v *refUnixValue) value() (time.Time, *DecodeError) {
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

// refEntityID is entityID as it was, unescaping with encoding/json.
func refEntityID(data []byte, path string) string {
	v := refLookupField(data, path)
	if len(v) == 0 {
		return ""
	}
	switch c := v[0]; {
	case c == '"':
		inner := v[1 : len(v)-1]
		if bytes.IndexByte(inner, '\\') < 0 {
			return string(inner)
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return ""
		}
		return s
	case c == '-' || '0' <= c && c <= '9':
		return string(v)
	default:
		return ""
	}
}

func refLookupField(data []byte, path string) []byte {
	for {
		name, rest, nested := strings.Cut(path, ".")
		v := refObjectMember(data, name)
		if v == nil || !nested {
			return v
		}
		data, path = v, rest
	}
}

func refObjectMember(obj []byte, name string) []byte {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil
	}
	var found []byte
	i++
	for {
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return found
		}
		keyEnd := skipString(obj, i)
		key := obj[i+1 : keyEnd-1]
		i = skipSpace(obj, keyEnd)
		if i >= len(obj) || obj[i] != ':' {
			return found
		}
		i = skipSpace(obj, i+1)
		end := skipValue(obj, i)
		if refKeyEquals(key, name) {
			found = obj[i:end]
		}
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ',' {
			return found
		}
		i++
	}
}

func refKeyEquals(raw []byte, name string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == name
	}
	var k string
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	return json.Unmarshal(q, &k) == nil && k == name
}
