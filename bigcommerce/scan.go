package bigcommerce

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a JSON scanner for Decode: it validates JSON with the same
// acceptance as json.Valid on UTF-8 input (RFC 8259 grammar, nesting up to
// encoding/json's limit) and finds value boundaries, in one pass and
// without recursion. Every Pub/Sub callback runs on a fresh goroutine with
// a small stack; a recursive parser would make each one grow and copy its
// stack, which encoding/json did, at a third of the worker's CPU.

// maxNestingDepth is how deeply objects and arrays may nest, counting the
// payload's own object: encoding/json's limit, so that Decode accepts
// exactly what json.Valid accepts.
const maxNestingDepth = 10000

// Flags scanString reports about a string's contents.
const (
	strEscaped  = 1 << iota // contains a backslash escape
	strNonASCII             // contains a byte >= 0x80
)

// strPlain marks the bytes that may appear unescaped in a JSON string and
// need no further look: printable ASCII other than '"' and '\\'.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString scans the JSON string whose opening quote is b[i], checking
// escapes and UTF-8. It returns the index just past the closing quote and
// what the contents hold (strEscaped, strNonASCII).
func scanString(b []byte, i int) (end int, flags uint8, ok bool) {
	i++
	for {
		for i+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && strPlain[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, flags, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, flags, true
		case c == '\\':
			flags |= strEscaped
			if i+1 >= len(b) {
				return i, flags, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || hex4(b[i+2:i+6]) < 0 {
					return i, flags, false
				}
				i += 6
			default:
				return i, flags, false
			}
		case c < 0x20:
			return i, flags, false
		default: // c >= 0x80
			flags |= strNonASCII
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return i, flags, false
			}
			i += size
		}
	}
}

// plain8 reports whether the 8 bytes packed in x are all strPlain: none is
// below 0x20, '"', '\\' or above 0x7f. (SWAR: a byte of x-0x01… borrows,
// setting its high bit, exactly where x's byte is below 0x01… .)
func plain8(x uint64) bool {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (ones * '"')
	backslash := x ^ (ones * '\\')
	return (x|(x-ones*0x20)|(quote-ones)&^quote|(backslash-ones)&^backslash)&high == 0
}

// hex4 returns the value of the four hex digits h, or -1.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// scanNumber scans the JSON number starting at b[i]: -?(0|[1-9][0-9]*)
// (\.[0-9]+)?([eE][+-]?[0-9]+)?. It does not look at what follows.
func scanNumber(b []byte, i int) (end int, ok bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// scanLiteral reports whether lit (true, false, null) starts at b[i].
func scanLiteral(b []byte, i int, lit string) (end int, ok bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// scanMemberKey scans `"key" :` and the whitespace after it, starting at
// b[i]. It returns the index of the member's value and whether it skipped
// any whitespace.
func scanMemberKey(b []byte, i int) (next int, ws, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false, false
	}
	i, _, ok = scanString(b, i)
	if !ok {
		return i, false, false
	}
	j := skipSpace(b, i)
	if j >= len(b) || b[j] != ':' {
		return j, false, false
	}
	ws = j != i
	i = skipSpace(b, j+1)
	return i, ws || i != j+1, true
}

// scanValue validates the JSON value starting at b[i] (no leading
// whitespace), nested inside depth objects and arrays. It returns the index
// just past the value and whether the value contains whitespace outside
// strings (json.Compact would change it).
//
// It keeps the kinds of the open containers in a bit stack instead of
// recursing: the first 128 levels live in the frame, deeper ones (up to
// maxNestingDepth, for json.Valid parity) on the heap.
func scanValue(b []byte, i, depth int) (end int, ws, ok bool) {
	var small [2]uint64
	stack := small[:] // bit n set: the n-th open container is an object
	n := 0            // open containers
	var sp bool
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return i, ws, false
		}
		switch c := b[i]; c {
		case '{', '[':
			if depth+n >= maxNestingDepth {
				return i, ws, false
			}
			if n>>6 >= len(stack) {
				stack = append(stack, 0)
			}
			if c == '{' {
				stack[n>>6] |= 1 << (n & 63)
			} else {
				stack[n>>6] &^= 1 << (n & 63)
			}
			n++
			j := skipSpace(b, i+1)
			ws = ws || j != i+1
			i = j
			if i < len(b) && b[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				n--
				i++
				break // an empty container is a value: find what follows
			}
			if c == '{' {
				if i, sp, ok = scanMemberKey(b, i); !ok {
					return i, ws, false
				}
				ws = ws || sp
			}
			continue
		case '"':
			if i, _, ok = scanString(b, i); !ok {
				return i, ws, false
			}
		case 't':
			if i, ok = scanLiteral(b, i, "true"); !ok {
				return i, ws, false
			}
		case 'f':
			if i, ok = scanLiteral(b, i, "false"); !ok {
				return i, ws, false
			}
		case 'n':
			if i, ok = scanLiteral(b, i, "null"); !ok {
				return i, ws, false
			}
		default:
			if i, ok = scanNumber(b, i); !ok {
				return i, ws, false
			}
		}

		// A value ends at b[i]: close containers until a ',' asks for the
		// next value.
		for {
			if n == 0 {
				return i, ws, true
			}
			j := skipSpace(b, i)
			ws = ws || j != i
			i = j
			if i >= len(b) {
				return i, ws, false
			}
			object := stack[(n-1)>>6]&(1<<((n-1)&63)) != 0
			c := b[i]
			if c == ',' {
				j := skipSpace(b, i+1)
				ws = ws || j != i+1
				i = j
				if object {
					if i, sp, ok = scanMemberKey(b, i); !ok {
						return i, ws, false
					}
					ws = ws || sp
				}
				break
			}
			if object && c == '}' || !object && c == ']' {
				n--
				i++
				continue
			}
			return i, ws, false
		}
	}
}

// appendUnquoted appends the contents of a JSON string, s being what is
// between the quotes of a string scanString accepted, unescaped exactly as
// encoding/json does: an unpaired surrogate escape becomes U+FFFD.
func appendUnquoted(dst, s []byte) []byte {
	for r := 0; r < len(s); {
		if s[r] != '\\' {
			j := r + 1
			for j < len(s) && s[j] != '\\' {
				j++
			}
			dst = append(dst, s[r:j]...)
			r = j
			continue
		}
		switch c := s[r+1]; c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			rr := hex4(s[r+2 : r+6])
			r += 6
			if utf16.IsSurrogate(rr) {
				rr1 := rune(-1)
				if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
					rr1 = hex4(s[r+2 : r+6])
				}
				if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
					dst = utf8.AppendRune(dst, dec)
					r += 6
					continue
				}
				rr = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, rr)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
		r += 2
	}
	return dst
}

// appendCompact appends the valid JSON value src without whitespace
// outside strings, as json.Compact does.
func appendCompact(dst, src []byte) []byte {
	start := 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '"':
			i = skipString(src, i) - 1
		case ' ', '\t', '\n', '\r':
			dst = append(dst, src[start:i]...)
			start = i + 1
		}
	}
	return append(dst, src[start:]...)
}
