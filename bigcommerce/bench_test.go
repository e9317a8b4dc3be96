package bigcommerce_test

import (
	"crypto/sha1"
	"fmt"
	"testing"

	"bcstream/bigcommerce"
)

// typicalOrder is a store/order/updated callback as BigCommerce sends it:
// compact, about 200 bytes, the shape most messages have.
var typicalOrder = []byte(`{"scope":"store/order/updated","store_id":"1025646","data":{"type":"order","id":70414},"hash":"5c4cb5b1e81dd8b5ad9b4a8a5a6e3e4f1c0e2d7a","created_at":1764950400,"producer":"stores/k2x8v4n1"}`)

func BenchmarkDecode(b *testing.B) {
	cases := []struct {
		name    string
		payload []byte
	}{
		{"order", typicalOrder},
		{"channel_order", []byte(`{"scope":"store/channel/2/order/created","store_id":"1025646","data":{"order_id":74391},"hash":"8f2d0e6c3b1a47f59d8e2c6b0a3f1e4d7c9b2a58","created_at":1764950401,"producer":"stores/k2x8v4n1"}`)},
		{"transaction", []byte(`{"scope":"store/order/transaction/created","store_id":"1025646","data":{"type":"transaction","order_id":"70419","transaction_id":"553201","transaction_status":"complete","transaction_type":"capture","result":{"code":"00","message":"Approved","type":"success"},"platform_transaction_id":"pt_91c2","provider_transaction_id":"ch_3QX"},"hash":"0b5e2f9a7c4d1e8b3a6f0c2d5e8a1b4c7d0e3f6a","created_at":1764950402,"producer":"stores/k2x8v4n1"}`)},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.payload)))
			for b.Loop() {
				ev, err := bigcommerce.Decode(tc.payload)
				if err != nil || ev.EntityID == "" {
					b.Fatalf("Decode() = %+v, %v", ev, err)
				}
			}
		})
	}
}

// BenchmarkDecodeVaried decodes 4,096 order callbacks that differ, as a
// real stream's do, in their hash, entity ID and time. Decoding one
// payload over and over lets the branch predictor learn its bytes: a
// per-byte loop that mispredicts on random hex digits looks free there.
func BenchmarkDecodeVaried(b *testing.B) {
	payloads := make([][]byte, 4096)
	size := 0
	for i := range payloads {
		hash := sha1.Sum(fmt.Append(nil, i))
		payloads[i] = fmt.Appendf(nil, `{"scope":"store/order/updated","store_id":"1025646","data":{"type":"order","id":%d},"hash":"%x","created_at":%d,"producer":"stores/k2x8v4n1"}`,
			70000+i*7, hash, 1764950400+i*3)
		size += len(payloads[i])
	}
	b.ReportAllocs()
	b.SetBytes(int64(size / len(payloads)))
	i := 0
	for b.Loop() {
		if _, err := bigcommerce.Decode(payloads[i%len(payloads)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkDecodeFreshGoroutine decodes each payload on a new goroutine,
// as the Pub/Sub client runs each callback: it includes what growing a
// fresh goroutine's small stack costs, which a deep or recursive parser
// pays on every message.
func BenchmarkDecodeFreshGoroutine(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(typicalOrder)))
	done := make(chan error)
	for b.Loop() {
		go func() {
			_, err := bigcommerce.Decode(typicalOrder)
			done <- err
		}()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}
