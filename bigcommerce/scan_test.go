package bigcommerce

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestPlain8(t *testing.T) {
	t.Parallel()
	base := []byte("abcdefgh")
	for c := 0; c < 256; c++ {
		for p := range 8 {
			x := []byte(string(base))
			x[p] = byte(c)
			v := binary.LittleEndian.Uint64(x)
			if got := plain8(v); got != strPlain[c] {
				t.Errorf("plain8(%q) = %t, want %t", x, got, strPlain[c])
			}
			want := c == '"' || c == '\\'
			if got := quoteOrBackslash8(v); got != want {
				t.Errorf("quoteOrBackslash8(%q) = %t, want %t", x, got, want)
			}
			// A second special byte must not hide the first.
			x[(p+3)%8] = 0x00
			if plain8(binary.LittleEndian.Uint64(x)) {
				t.Errorf("plain8(%q) = true", x)
			}
		}
	}
}

func TestEnvelopeKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw  string // as between the quotes
		want uint8
	}{
		{"scope", keyScope},
		{"SCOPE", keyScope},
		{"Store_Id", keyStoreID},
		{"PRODUCER", keyProducer},
		{"Data", keyData},
		{"hAsH", keyHash},
		{"CREATED_AT", keyCreatedAt},
		{`\u0073cope`, keyScope},
		{`\u0053COPE`, keyScope},
		{"ſcope", keyScope},
		{`\u017fcope`, keyScope},
		{`created\u005fat`, keyCreatedAt},
		{"created-at", keyOther},
		{"createdat", keyOther},
		{"scope ", keyOther},
		{"scopé", keyOther},
		{"\u212aey", keyOther},
		{`scope\u0000`, keyOther},
		{`\ud800cope`, keyOther},
		{"", keyOther},
		{strings.Repeat(`\u0041`, 11), keyOther},
	}
	for _, tc := range cases {
		raw := []byte(tc.raw)
		end, flags, ok := scanString([]byte(`"`+tc.raw+`"`), 0)
		if !ok || end != len(raw)+2 {
			t.Fatalf("scanString(%q) = %d, %t", tc.raw, end, ok)
		}
		if got := envelopeKey(raw, flags); got != tc.want {
			t.Errorf("envelopeKey(%q) = %d, want %d", tc.raw, got, tc.want)
		}
	}
}

// TestDecodeAllocs pins Decode's allocations for a typical payload: one
// for the strings, one for Data.
func TestDecodeAllocs(t *testing.T) {
	payloads := []string{
		`{"scope":"store/order/updated","store_id":"1025646","data":{"type":"order","id":70414},"hash":"5c4cb5b1e81dd8b5ad9b4a8a5a6e3e4f1c0e2d7a","created_at":1764950400,"producer":"stores/k2x8v4n1"}`,
		`{"scope":"store/cart/created","store_id":1025646,"data":{"type":"cart","id":"09346904-4175-44fd-be53-f7e00d2c5a3d"},"hash":"5C4CB5B1E81DD8B5AD9B4A8A5A6E3E4F1C0E2D7A","producer":"stores/k2x8v4n1"}`,
		"{\"scope\":\"store/order/updated\",\n \"store_id\":\"1025646\",\n \"data\": { \"type\": \"order\", \"id\": 70414 },\n \"hash\":\"5c4cb5b1e81dd8b5ad9b4a8a5a6e3e4f1c0e2d7a\",\n \"producer\":\"stores/k2x8v4n1\"}",
	}
	for _, p := range payloads {
		b := []byte(p)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := Decode(b); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 2 {
			t.Errorf("Decode(%.60q…) allocates %.0f times, want at most 2", p, allocs)
		}
	}
}
