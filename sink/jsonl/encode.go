package jsonl

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"bcstream/sink"
)

// encoder encodes the records of a batch.
type encoder struct {
	created, published, received, enriched secondText
}

// appendRecord appends r as one JSON object and a newline. The keys are
// sink.Columns' names, in order. Nullable columns are null when the field
// holds its zero value; timestamps are strings in sink.TimeLayout; payload
// and entity are embedded as JSON values, not strings.
//
// It is written by hand rather than with encoding/json because this sink
// runs in the load benchmark, where reflection's cost per record matters;
// the tests check its output against encoding/json's decoder. r must have
// passed Validate: the JSON columns are embedded without checking them.
//
// One encoder serves one batch, on one goroutine: it remembers the last
// second it formatted for each timestamp column.
func (e *encoder) appendRecord(b []byte, r *sink.Record) []byte {
	b = append(b, `{"event_id":`...)
	b = appendString(b, r.EventID)
	b = append(b, `,"store_hash":`...)
	b = appendString(b, r.StoreHash)
	b = append(b, `,"store_id":`...)
	b = appendString(b, r.StoreID)
	b = append(b, `,"scope":`...)
	b = appendString(b, r.Scope)
	b = append(b, `,"entity_type":`...)
	b = appendString(b, r.EntityType)
	b = append(b, `,"entity_id":`...)
	b = appendNullString(b, r.EntityID)
	b = append(b, `,"channel_id":`...)
	b = appendNullInt(b, r.ChannelID)
	b = append(b, `,"event_hash":`...)
	b = appendString(b, r.EventHash)
	b = append(b, `,"event_created_at":`...)
	b = appendTime(b, r.EventCreatedAt, &e.created)
	b = append(b, `,"published_at":`...)
	b = appendTime(b, r.PublishedAt, &e.published)
	b = append(b, `,"received_at":`...)
	b = appendTime(b, r.ReceivedAt, &e.received)
	b = append(b, `,"message_id":`...)
	b = appendString(b, r.MessageID)
	b = append(b, `,"delivery_attempt":`...)
	b = appendNullInt(b, int64(r.DeliveryAttempt))
	b = append(b, `,"payload":`...)
	b = appendRawJSON(b, r.Payload)
	b = append(b, `,"entity":`...)
	b = appendRawJSON(b, r.Entity)
	b = append(b, `,"enrichment":`...)
	b = appendString(b, r.Enrichment)
	b = append(b, `,"enriched_at":`...)
	b = appendTime(b, r.EnrichedAt, &e.enriched)
	b = append(b, `,"worker_version":`...)
	b = appendString(b, r.WorkerVersion)
	b = append(b, "}\n"...)
	return b
}

func appendNullString(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

func appendNullInt(b []byte, v int64) []byte {
	if v == 0 {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, v, 10)
}

// appendRawJSON embeds a valid JSON value, or null for an empty one. JSON
// Lines needs the value on one line: a raw newline can only be
// insignificant whitespace in valid JSON (strings cannot hold one), so a
// value containing one is compacted; the others are copied as they are.
func appendRawJSON(b []byte, v json.RawMessage) []byte {
	if len(v) == 0 {
		return append(b, "null"...)
	}
	if bytes.IndexByte(v, '\n') < 0 && bytes.IndexByte(v, '\r') < 0 {
		return append(b, v...)
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, v); err != nil {
		// Unreachable for a value that passed Validate; keep the line
		// valid regardless.
		return append(b, "null"...)
	}
	return buf.Bytes()
}

// appendTime appends t as a JSON string in sink.TimeLayout (UTC, nine
// fractional digits), or null for the zero time. It formats by hand: it
// is the same output as t.UTC().AppendFormat(b, sink.TimeLayout) (the
// tests check) at a fraction of the cost, for years 0–9999, which
// Validate guarantees. The date and time of day come from c when t falls
// in the second c holds, and are kept there otherwise.
func appendTime(b []byte, t time.Time, c *secondText) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	t = t.UTC()
	if sec := t.Unix(); !c.set || c.sec != sec {
		c.format(t)
	}
	b = append(b, '"')
	b = append(b, c.text[:]...)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond(), 9)
	return append(b, 'Z', '"')
}

// secondText is one Unix second as "2006-01-02T15:04:05". Formatting the
// date is most of appendTime's cost, and the records of a batch mostly
// share their received_at second and often their published_at one.
type secondText struct {
	sec  int64
	text [len("2006-01-02T15:04:05")]byte
	set  bool
}

// format makes c hold t's second; t is in UTC.
func (c *secondText) format(t time.Time) {
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b := appendDigits(c.text[:0], year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	appendDigits(b, sec, 2)
	c.sec, c.set = t.Unix(), true
}

// appendDigits appends v (non-negative) zero-padded to width digits.
func appendDigits(b []byte, v, width int) []byte {
	var buf [9]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[:width]...)
}

const hex = "0123456789abcdef"

// safe[c] is true for the ASCII bytes that go into a JSON string as they
// are: everything from space up except '"' and '\\'. Unlike encoding/json
// (by default) it leaves '<', '>' and '&' alone: this output is not
// embedded in HTML, and decoders read both forms the same.
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// load8 packs s[i:i+8] into a uint64, little-endian (the compiler makes
// it one load).
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// safe8 reports whether the 8 bytes packed in x are all safe: none is
// below ' ', '"', '\\' or above 0x7f. It lets appendString skip the plain
// runs that make up nearly all of a record's strings a word at a time.
// (SWAR, the check bigcommerce's scanner makes as plain8: subtracting
// from every byte at once sets a byte's high bit where it was below the
// subtrahend.) A borrow out of a flagged byte can flag
// its neighbour too, so a word may be sent through the byte loop for
// nothing, but an unsafe byte is never let through.
func safe8(x uint64) bool {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (ones * '"')
	backslash := x ^ (ones * '\\')
	return (x|(x-ones*' ')|(quote-ones)&^quote|(backslash-ones)&^backslash)&high == 0
}

// appendString appends s as a JSON string that decodes to s, except that
// invalid UTF-8 decodes to U+FFFD, one per invalid byte, as encoding/json
// does. It escapes '"', '\\' and control characters (with the short forms
// \n, \r, \t where JSON has them), and U+2028 and U+2029, which are valid
// in JSON but end lines in JavaScript.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0 // s[start:i] is pending, to be copied as is
	for i := 0; i < len(s); {
		for i+8 <= len(s) && safe8(load8(s, i)) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
