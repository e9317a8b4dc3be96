package bigcommerce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// diffSeeds are payloads on which the scanner could plausibly part ways
// with encoding/json: key folding and escapes, repeated and null members,
// values of the wrong type, JSON grammar corners, nesting, whitespace.
var diffSeeds = []string{
	// The shape of most messages.
	`{"scope":"store/order/updated","store_id":"1025646","data":{"type":"order","id":70414},"hash":"5c4cb5b1e81dd8b5ad9b4a8a5a6e3e4f1c0e2d7a","created_at":1764950400,"producer":"stores/k2x8v4n1"}`,
	// Field names: case, escapes, folding ('ſ' is 's', the Kelvin sign 'k').
	`{"SCOPE":"store/order/created","Store_ID":"1","PRODUCER":"stores/a","Hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","DATA":{"id":1},"Created_At":5}`,
	`{"\u0073cope":"store/order/created","store_\u0069d":"1","producer":"stores/a","ha\u017fh":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"id":1}}`,
	`{"ſcope":"store/order/created","ſtore_id":"1","producer":"stores/a","haſh":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"id":1}}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"id":1},"\u212aey":1,"scopé":2,"scope ":3,"sco\u0000pe":4}`,
	`{"scope\ud800":"x","\ud83d\ude00":1,"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{}}`,
	// Escaped values.
	`{"scope":"store\/order\/created","store_id":"1","producer":"stores\/a","hash":"67D76783A79BB1DEB9E31A6287EC2EF835F9DD56","data":{"id":"caf\u00e9 \ud83d\ude00 \ud800 \udc00x \ud800\u0041 \"\\\/\b\f\n\r\t"}}`,
	`{"scope":"store/order/created","store_id":"1\u0030","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"id":1}}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd5\u0036","data":{"id":1}}`,
	`{"scope":"store/order/created\u0000","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{}}`,
	// Repeats and nulls.
	`{"scope":"store/order/created","scope":null,"store_id":"1","store_id":null,"producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"id":1}}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"id":1},"data":null}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"id":1},"created_at":5,"created_at":null}`,
	`{"scope":7,"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{}}`,
	`{"scope":"store/order/created","producer":[1],"hash":{},"store_id":"1","data":{}}`,
	`{"scope":"store/order/created","producer":"stores/a","hash":true,"store_id":"1","data":{}}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"id":1},"data":{"id":2},"Data":{"id":3}}`,
	// store_id and created_at corners.
	`{"scope":"store/order/created","store_id":-0,"producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{}}`,
	`{"scope":"store/order/created","store_id":1e3,"producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{}}`,
	`{"scope":"store/order/created","store_id":"00000000000000000000","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{}}`,
	`{"scope":"store/order/created","store_id":true,"producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{}}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{},"created_at":-0}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{},"created_at":0e0}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{},"created_at":4102444799}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{},"created_at":9223372036854775808}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{},"created_at":[]}`,
	// data corners.
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":"x y"}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":-1.5E+3}`,
	"{\"scope\":\"store/order/created\",\"store_id\":\"1\",\"producer\":\"stores/a\",\"hash\":\"67d76783a79bb1deb9e31a6287ec2ef835f9dd56\",\"data\" : \t[ {\"id\" :\n1 , \"s\":\" a\\\" b \"} , [ ] , { } ,null,true,false,0,-0.0e-0]\r\n}\n",
	`{"scope":"store/order/refund/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"refund":{"refund_id":"\u0031\u0032"},"refund":{"refund_\u0069d":7}}}`,
	`{"scope":"store/channel/3/wishlist/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"id":"` + strings.Repeat("x", 100) + `"}}`,
	`{"scope":"store/cart/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"id":"` + strings.Repeat(`\u00e9`, 30) + `"}}`,
	// Not JSON, not an object, not UTF-8.
	``, ` `, `{`, `}`, `{}`, `[]`, `null`, `"x"`, `1`, `-`, `01`, `1.`, `.1`, `1e`, `1e+`, `tru`, `nul`, `[1,]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{,}`, `[,1]`, `{"a" 1}`, `{1:2}`,
	`{} x`, `{}{}`, ` {} `, "{}\x00", "\xef\xbb\xbf{}", `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, "{\"a\":\"\t\"}", "{\"a\":\"\xff\"}", "\xff", "[\"\xc3\"]", `{"a":[}`, `{"a":{]}`, `{"a":1]`, `[1}`,
	"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}", `{"a":'x'}`, `{"a":+1}`, `{"a":0x1}`, `{"a":Infinity}`, `{"a":NaN}`, `{"a":"\'"}`,
	"{\"a\":1\v}", "{\"a\":1\f}", "{\"a\":1\u00a0}",
	// Nesting at and beyond encoding/json's limit.
	`{"a":` + strings.Repeat("[", maxNestingDepth-1) + strings.Repeat("]", maxNestingDepth-1) + `}`,
	`{"a":` + strings.Repeat("[", maxNestingDepth) + strings.Repeat("]", maxNestingDepth) + `}`,
	`{"scope":"store/order/created","store_id":"1","producer":"stores/a","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":` + strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat("}", 200) + `}`,
	strings.Repeat("[", maxNestingDepth) + strings.Repeat("]", maxNestingDepth),
	strings.Repeat("[", maxNestingDepth+1) + strings.Repeat("]", maxNestingDepth+1),
	strings.Repeat(`{"a":`, maxNestingDepth-1) + "{}" + strings.Repeat("}", maxNestingDepth-1),
	strings.Repeat(`{"a":`, maxNestingDepth) + "{}" + strings.Repeat("}", maxNestingDepth),
}

// maxFuzzSeed bounds the seeds given to the fuzzers.
const maxFuzzSeed = 4096

// diffCorpus returns the seed payloads under testdata/webhooks.
func diffCorpus(tb testing.TB) [][]byte {
	var seeds [][]byte
	err := filepath.WalkDir("../testdata/webhooks", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		seeds = append(seeds, b)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return seeds
}

// checkDecodeAgrees fails t unless Decode and decodeReference agree on b:
// both succeed with equal Events or both fail with the same reason, field
// and detail (and, for invalid JSON, the same *json.SyntaxError).
func checkDecodeAgrees(t *testing.T, b []byte) {
	t.Helper()
	want, wantErr := decodeReference(b)
	// Decode a copy and scribble over it afterwards: the Event must not
	// share memory with the payload.
	bc := bytes.Clone(b)
	got, gotErr := Decode(bc)
	for i := range bc {
		bc[i] = '#'
	}
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("Decode(%.200q):\n got %+v, %v\nwant %+v, %v", b, got, gotErr, want, wantErr)
	}
	if wantErr != nil {
		var g, w *DecodeError
		if !errors.As(gotErr, &g) || !errors.As(wantErr, &w) {
			t.Fatalf("Decode(%.200q) errors %T, %T are not both *DecodeError", b, gotErr, wantErr)
		}
		if g.Reason != w.Reason || g.Field != w.Field || g.Detail != w.Detail {
			t.Errorf("Decode(%.200q) error:\n got %s/%s %q\nwant %s/%s %q", b, g.Reason, g.Field, g.Detail, w.Reason, w.Field, w.Detail)
		}
		// For wrong_type, the reference wraps a *json.UnmarshalTypeError;
		// Decode wraps nothing. Syntax errors are encoding/json's in both.
		if w.Reason == ReasonInvalidJSON && fmt.Sprint(g.Err) != fmt.Sprint(w.Err) {
			t.Errorf("Decode(%.200q) error wraps %v, want %v", b, g.Err, w.Err)
		}
		if diff := cmp.Diff(Event{}, got); diff != "" {
			t.Errorf("Decode(%.200q) returned a non-zero Event with its error:\n%s", b, diff)
		}
		return
	}
	if !bytes.Equal(got.Data, want.Data) {
		t.Errorf("Decode(%.200q) Data = %q, want %q", b, got.Data, want.Data)
	}
	got.Data, want.Data = nil, nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decode(%.200q) mismatch (-reference +Decode):\n%s", b, diff)
	}
}

func TestDecodeMatchesReference(t *testing.T) {
	t.Parallel()
	for _, s := range diffSeeds {
		checkDecodeAgrees(t, []byte(s))
	}
	for _, b := range diffCorpus(t) {
		checkDecodeAgrees(t, b)
	}
}

// FuzzDecodeDifferential checks Decode against decodeReference, the
// encoding/json implementation it replaced, on arbitrary input. The
// nesting seeds are left to TestDecodeMatchesReference: the fuzzer spends
// minutes minimising what it finds in 50 KB inputs.
func FuzzDecodeDifferential(f *testing.F) {
	for _, s := range diffSeeds {
		if len(s) <= maxFuzzSeed {
			f.Add([]byte(s))
		}
	}
	for _, b := range diffCorpus(f) {
		f.Add(b)
	}
	f.Fuzz(checkDecodeAgrees)
}

// FuzzScanValue checks the scanner's acceptance against json.Valid (and
// utf8 validity, which Decode adds) on arbitrary bytes, and appendUnquoted
// and appendCompact against encoding/json on what it accepts.
func FuzzScanValue(f *testing.F) {
	for _, s := range diffSeeds {
		if len(s) <= maxFuzzSeed {
			f.Add([]byte(s))
		}
	}
	f.Add([]byte(`"a\u00e9\ud83d\ude00\ud800\udc00x\ud800\u0041\"\\\/\b\f\n\r\t"`))
	f.Add([]byte(` [1, -2.5e+3, "x", {"a" : [true, false, null]}] `))
	f.Fuzz(func(t *testing.T, b []byte) {
		i := skipSpace(b, 0)
		end, ws, ok := scanValue(b, i, 0)
		ok = ok && skipSpace(b, end) == len(b)
		want := json.Valid(b) && strings.ToValidUTF8(string(b), "") == string(b)
		if ok != want {
			t.Fatalf("scanValue(%q) ok = %t, json.Valid && utf8.Valid = %t", b, ok, want)
		}
		if !ok {
			return
		}
		v := b[i:end]
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			t.Fatal(err)
		}
		if got := appendCompact(nil, v); !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("appendCompact(%q) = %q, json.Compact gives %q", v, got, buf.Bytes())
		}
		if ws == bytes.Equal(v, buf.Bytes()) {
			t.Errorf("scanValue(%q) whitespace = %t", v, ws)
		}
		if v[0] == '"' {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				t.Fatal(err)
			}
			if got := appendUnquoted(nil, v[1:len(v)-1]); string(got) != s {
				t.Errorf("appendUnquoted(%s) = %q, encoding/json gives %q", v, got, s)
			}
		}
	})
}

// FuzzMembersDifferential is FuzzDecodeDifferential aimed at the
// envelope: it splices fuzzed members (a name, JSON-quoted with
// encoding/json's escapes, and a raw value) around a valid envelope, so
// that the fuzzer spends its time on name folding, repeats, nulls and
// value types rather than on finding the envelope's shape.
func FuzzMembersDifferential(f *testing.F) {
	f.Add("scope", []byte(`"store/order/created"`), "data", []byte(`{"id":1}`), false)
	f.Add("SCOPE", []byte(`7`), "Data", []byte(`null`), true)
	f.Add("ſtore_id", []byte(`12`), "Hash", []byte(`"67D76783A79BB1DEB9E31A6287EC2EF835F9DD56"`), false)
	f.Add("created_at", []byte(`1764950437`), "producer", []byte(`"stores/\u0061"`), true)
	f.Add("created_at", []byte(`"x"`), "store_id", []byte(`{}`), false)
	f.Add("hash<>", []byte(` [1, {"a": "b"}] `), "scope", []byte(`null`), true)
	f.Fuzz(func(t *testing.T, name1 string, value1 []byte, name2 string, value2 []byte, before bool) {
		q1, err1 := json.Marshal(name1)
		q2, err2 := json.Marshal(name2)
		if err1 != nil || err2 != nil {
			t.Skip()
		}
		base := `"scope":"store/order/created","store_id":"1025646","producer":"stores/k2x8v4n1","hash":"67d76783a79bb1deb9e31a6287ec2ef835f9dd56","data":{"type":"order","id":70413}`
		members := fmt.Sprintf("%s:%s,%s:%s", q1, value1, q2, value2)
		var b string
		if before {
			b = "{" + members + "," + base + "}"
		} else {
			b = "{" + base + "," + members + "}"
		}
		checkDecodeAgrees(t, []byte(b))
	})
}
