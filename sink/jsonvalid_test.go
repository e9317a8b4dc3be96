package sink

import (
	"encoding/json"
	"strings"
	"testing"
)

var jsonSeeds = []string{
	``, ` `, `null`, `true`, `false`, `nul`, `truee`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`,
	`1e`, `1e+`, `-1.25e-10`, `""`, `"a"`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9"`, `"\u00g9"`, `"\u12"`, `"\x"`,
	"\"\x01\"", "\"\x7f\xff\xfe\"", `"unterminated`, `{}`, `[]`, `{ }`, `[ ]`, `{"a":1}`, `{"a" : 1 , "b":[1,2,{}]}`,
	`{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{"a"}`, `{"a":}`, `{1:2}`, `[1 2]`, `{"a":1 "b":2}`, `[}`, `{]`,
	`[[[]]]`, `[[[]]`, `]`, `}`, ` {"a":[true,false,null]} `, "\t[\r\n1\n]\t", `1 2`, `{} {}`, `"a" "b"`,
	"\u00a0[]", `{"a":{"b":{"c":[1,{"d":"e"}]}}}`, `[-]`, `[--1]`, `[+1]`, `[0x10]`, `[NaN]`, `[1.0e-0]`,
}

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range jsonSeeds {
		if got, want := validJSON([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid = %v", s, got, want)
		}
	}
}

func TestValidJSONDepthLimit(t *testing.T) {
	t.Parallel()
	for _, depth := range []int{63, 64, 65, maxJSONDepth - 1, maxJSONDepth, maxJSONDepth + 1} {
		for _, open := range []string{"[", `{"k":`} {
			closing := "]"
			if open != "[" {
				closing = "}"
			}
			s := []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(closing, depth))
			if got, want := validJSON(s), json.Valid(s); got != want {
				t.Errorf("depth %d of %q: validJSON = %v, json.Valid = %v", depth, open, got, want)
			}
		}
		s := []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
		if got, want := validJSON(s), json.Valid(s); got != want {
			t.Errorf("depth %d of empty arrays: validJSON = %v, json.Valid = %v", depth, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := validJSON(data), json.Valid(data); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid = %v", data, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	entity := []byte(`{"id":100000,"customer_id":42,"date_created":"Mon, 23 Nov 2026 10:00:00 +0000","status_id":11,"status":"Awaiting Fulfillment","subtotal_ex_tax":"89.9000","total_inc_tax":"109.8900","items_total":3,"billing_address":{"first_name":"Ada","last_name":"Lovelace","street_1":"12 Main St","city":"Austin","zip":"78701","country_iso2":"US","email":"ada@example.com"},"customer_message":"Leave at the door, \"please\"","external_source":null,"list":[1,2.5,-3e10,true,false]}`)
	b.Run("validJSON", func(b *testing.B) {
		b.SetBytes(int64(len(entity)))
		for b.Loop() {
			if !validJSON(entity) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(entity)))
		for b.Loop() {
			if !json.Valid(entity) {
				b.Fatal("invalid")
			}
		}
	})
}
