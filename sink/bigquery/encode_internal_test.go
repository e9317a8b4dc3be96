package bigquery

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/google/go-cmp/cmp"

	"bcstream/sink"
	"bcstream/sink/sinktest"
)

// dynamicRow builds r's row the way the client library's documentation
// does, with a dynamicpb message set field by field from the descriptor:
// the reference the hand-written encoder is checked against.
func dynamicRow(md protoreflect.MessageDescriptor, r *sink.Record) *dynamicpb.Message {
	m := dynamicpb.NewMessage(md)
	set := func(name string, v protoreflect.Value) { m.Set(md.Fields().ByName(protoreflect.Name(name)), v) }
	str := func(name, v string, nullable bool) {
		if v != "" || !nullable {
			set(name, protoreflect.ValueOfString(v))
		}
	}
	num := func(name string, v int64) {
		if v != 0 {
			set(name, protoreflect.ValueOfInt64(v))
		}
	}
	str("event_id", r.EventID, false)
	str("store_hash", r.StoreHash, false)
	str("store_id", r.StoreID, false)
	str("scope", r.Scope, false)
	str("entity_type", r.EntityType, false)
	str("entity_id", r.EntityID, true)
	num("channel_id", r.ChannelID)
	str("event_hash", r.EventHash, false)
	if !r.EventCreatedAt.IsZero() {
		set("event_created_at", protoreflect.ValueOfInt64(r.EventCreatedAt.UnixMicro()))
	}
	if !r.PublishedAt.IsZero() {
		set("published_at", protoreflect.ValueOfInt64(r.PublishedAt.UnixMicro()))
	}
	set("received_at", protoreflect.ValueOfInt64(r.ReceivedAt.UnixMicro()))
	str("message_id", r.MessageID, false)
	num("delivery_attempt", int64(r.DeliveryAttempt))
	str("payload", string(r.Payload), false)
	str("entity", string(r.Entity), true)
	str("enrichment", r.Enrichment, false)
	if !r.EnrichedAt.IsZero() {
		set("enriched_at", protoreflect.ValueOfInt64(r.EnrichedAt.UnixMicro()))
	}
	str("worker_version", r.WorkerVersion, false)
	return m
}

func testRecords() []sink.Record {
	recs := sinktest.Records("encode", 64)
	// Every nullable column NULL at once.
	r := recs[0]
	r.EventID += "-nulls"
	r.EntityID, r.ChannelID, r.DeliveryAttempt, r.Entity = "", 0, 0, nil
	r.EventCreatedAt = r.EventCreatedAt.AddDate(-100, 0, 0) // before 1970: negative microseconds
	return append(recs, r)
}

// TestEncoderMatchesDynamicpb decodes every hand-encoded row with
// dynamicpb against the writer's descriptor (required fields checked)
// and compares it with the row built by dynamicpb from the same record.
func TestEncoderMatchesDynamicpb(t *testing.T) {
	t.Parallel()
	_, md, err := descriptor()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := newEncoder(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range testRecords() {
		got := dynamicpb.NewMessage(md)
		if err := proto.Unmarshal(enc.appendRow(nil, &r), got); err != nil {
			t.Fatalf("event %s: hand-encoded row does not decode: %v", r.EventID, err)
		}
		want := dynamicRow(md, &r)
		if _, err := proto.Marshal(want); err != nil {
			t.Fatalf("event %s: reference row invalid: %v", r.EventID, err)
		}
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("event %s (-dynamicpb +hand-encoded):\n%s", r.EventID, diff)
		}
	}
}

// TestDescriptorTypes checks what adapt made of the schema: required
// columns are proto2 required, TIMESTAMP is int64 and JSON a string.
func TestDescriptorTypes(t *testing.T) {
	t.Parallel()
	_, md, err := descriptor()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sink.Columns() {
		fd := md.Fields().ByName(protoreflect.Name(c.Name))
		if fd == nil {
			t.Errorf("no field %s", c.Name)
			continue
		}
		wantKind := map[sink.Type]protoreflect.Kind{
			sink.TypeString: protoreflect.StringKind, sink.TypeJSON: protoreflect.StringKind,
			sink.TypeInt64: protoreflect.Int64Kind, sink.TypeTimestamp: protoreflect.Int64Kind,
		}[c.Type]
		if fd.Kind() != wantKind {
			t.Errorf("field %s kind %v, want %v", c.Name, fd.Kind(), wantKind)
		}
		if got, want := fd.Cardinality() == protoreflect.Required, !c.Nullable; got != want {
			t.Errorf("field %s required = %v, want %v", c.Name, got, want)
		}
	}
}

// BenchmarkEncode compares the hand-written encoding with dynamicpb, per
// row of a realistic batch (half the rows carry a ~600-byte entity).
func BenchmarkEncode(b *testing.B) {
	_, md, err := descriptor()
	if err != nil {
		b.Fatal(err)
	}
	enc, err := newEncoder(md)
	if err != nil {
		b.Fatal(err)
	}
	recs := sinktest.Records("bench", 500)
	b.Run("protowire", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = buf[:0]
			for i := range recs {
				buf = enc.appendRow(buf, &recs[i])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/row")
	})
	b.Run("dynamicpb", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range recs {
				if _, err := proto.Marshal(dynamicRow(md, &recs[i])); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/row")
	})
}
