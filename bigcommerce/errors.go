package bigcommerce

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// ErrPoison is wrapped by every error meaning "this message can never be
// processed, however often it is redelivered". The pipeline dead-letters
// anything for which errors.Is(err, ErrPoison) holds instead of nacking it.
var ErrPoison = errors.New("poison message")

// Reasons a webhook fails to decode, carried in DecodeError.Reason. They
// are stable snake_case words: the pipeline uses them as a dead-letter
// attribute and a metric label, and operators filter and replay by them.
const (
	// ReasonInvalidJSON: the payload is not JSON (or not UTF-8).
	ReasonInvalidJSON = "invalid_json"
	// ReasonOversize: the payload is larger than MaxPayloadSize.
	ReasonOversize = "oversize"
	// ReasonWrongType: an envelope field (or the envelope itself) has the
	// wrong JSON type, e.g. a numeric scope or a string data.
	ReasonWrongType = "wrong_type"
	// ReasonMissingScope: scope is absent, null or "".
	ReasonMissingScope = "missing_scope"
	// ReasonMalformedScope: scope is not a well-formed "store/…" scope.
	ReasonMalformedScope = "malformed_scope"
	// ReasonBadStoreID: store_id is absent or not a string of digits.
	ReasonBadStoreID = "bad_store_id"
	// ReasonBadProducer: producer is absent or not "stores/{store_hash}".
	ReasonBadProducer = "bad_producer"
	// ReasonBadHash: hash is absent or not 40 hex characters.
	ReasonBadHash = "bad_hash"
	// ReasonBadCreatedAt: created_at is not whole Unix seconds before 2100.
	ReasonBadCreatedAt = "bad_created_at"
	// ReasonMissingData: data is absent or null.
	ReasonMissingData = "missing_data"
)

// DecodeError says why a payload is not a valid BigCommerce webhook. Decode
// returns one for every failure; it matches ErrPoison under errors.Is.
type DecodeError struct {
	// Reason is one of the Reason* constants.
	Reason string
	// Field is the envelope field at fault ("scope", "store_id", "data", …);
	// "" when the fault is the payload as a whole.
	Field string
	// Detail says, for a human, what is wrong and what a valid value looks
	// like. Quoted payload values in it are cut to maxQuoted bytes.
	Detail string
	// Err is the underlying error (a *json.SyntaxError, …), or nil.
	Err error
}

// Error returns "bigcommerce: " followed by the detail.
func (e *DecodeError) Error() string { return "bigcommerce: " + e.Detail }

// Is reports whether target is ErrPoison: a payload that does not decode
// never will.
func (e *DecodeError) Is(target error) bool { return target == ErrPoison }

// Unwrap returns the underlying error, if any.
func (e *DecodeError) Unwrap() error { return e.Err }

// Reason returns the reason of the *DecodeError in err's chain, or "" if
// there is none.
func Reason(err error) string {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Reason
	}
	return ""
}

// decodeErr builds a *DecodeError. The detail is cut to maxDetail bytes:
// it may embed a JSON parser's message, which can quote the payload.
func decodeErr(reason, field, detail string, err error) *DecodeError {
	if len(detail) > maxDetail {
		detail = cut(detail, maxDetail)
	}
	return &DecodeError{Reason: reason, Field: field, Detail: detail, Err: err}
}

// maxDetail bounds DecodeError.Detail, in bytes.
const maxDetail = 300

// maxQuoted is how many bytes of a payload value an error message quotes.
// Messages end up in logs and dead-letter attributes; a 64 KiB scope must
// not.
const maxQuoted = 64

// quote returns s as a Go-quoted string, cut to maxQuoted bytes with "…"
// appended when cut.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:runeCut(s, maxQuoted)]) + "…"
}

// cut returns s cut to at most n bytes, on a rune boundary, with "…"
// appended when cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:runeCut(s, n)] + "…"
}

// runeCut returns the largest i <= n that is a rune boundary of s.
func runeCut(s string, n int) int {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// rawValue returns a raw JSON value for an error message, cut to
// maxQuoted bytes (on a rune boundary) with "…" appended when cut. JSON
// text is printable, so it needs no quoting of its own.
func rawValue(b []byte) string {
	if len(b) > maxQuoted+utf8.UTFMax {
		b = b[:maxQuoted+utf8.UTFMax]
	}
	return cut(string(b), maxQuoted)
}
