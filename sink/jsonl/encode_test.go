package jsonl

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"bcstream/sink"
	"bcstream/sink/sinktest"
)

func TestAppendString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
	}{
		{name: "empty", in: "", want: `""`},
		{name: "plain", in: "store/order/created", want: `"store/order/created"`},
		{name: "quote and backslash", in: `a"b\c`, want: `"a\"b\\c"`},
		{name: "short escapes", in: "\n\r\t", want: `"\n\r\t"`},
		{name: "other controls", in: "\x00\x01\x08\x0c\x1f", want: `"\u0000\u0001\u0008\u000c\u001f"`},
		{name: "space and del pass", in: " \x7f", want: "\" \x7f\""},
		{name: "html passes", in: "<a&b>", want: `"<a&b>"`},
		{name: "multibyte passes", in: "é中😀", want: `"é中😀"`},
		{name: "line separators", in: "a\u2028b\u2029c", want: `"a\u2028b\u2029c"`},
		{name: "invalid utf8", in: "a\xffb\xc3", want: `"a\ufffdb\ufffd"`},
		{name: "surrogate half", in: "\xed\xa0\x80", want: `"\ufffd\ufffd\ufffd"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := string(appendString(nil, tc.in)); got != tc.want {
				t.Errorf("appendString(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzAppendString checks that appendString's output is one valid JSON
// string on one line, and decodes to what encoding/json's own output
// decodes to: s itself for valid UTF-8, U+FFFD per invalid byte otherwise.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a", `"\`, "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "é😀", "\xed\xa0\x80", "<>&",
		// Longer than a word, with the byte to escape at word offsets.
		"abcdefgh\"ijklmnop", "0123456789abcdef\x00", "abcdefg\\", "12345678é12345678\x1f", "store/channel/1/order/created"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString([]byte("x"), s)[1:] // appends, does not overwrite
		if bytes.ContainsAny(got, "\n\r") {
			t.Fatalf("appendString(%q) = %s: contains a line break", s, got)
		}
		var dec string
		if err := json.Unmarshal(got, &dec); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, got, err)
		}
		std, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var want string
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if dec != want {
			t.Errorf("appendString(%q) decodes to %q, encoding/json's output to %q", s, dec, want)
		}
		if utf8.ValidString(s) && dec != s {
			t.Errorf("appendString(%q) decodes to %q, want the input", s, dec)
		}
	})
}

func TestAppendTime(t *testing.T) {
	t.Parallel()
	cases := []time.Time{
		time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 23, 10, 0, 0, 123, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.FixedZone("X", -7*3600-30*60)),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 60, 0, time.UTC), // normalizes to Mar 1
		time.Unix(1700000000, 42).In(time.Local),
	}
	// Each case alone, then all in a row through one cache: the first two
	// share a second, the others do not.
	var shared secondText
	for _, tm := range cases {
		want := `"` + tm.UTC().Format(sink.TimeLayout) + `"`
		if got := string(appendTime(nil, tm, new(secondText))); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
		}
		if got := string(appendTime(nil, tm, &shared)); got != want {
			t.Errorf("appendTime(%v) after the case before = %s, want %s", tm, got, want)
		}
	}
	if got := string(appendTime(nil, time.Time{}, &shared)); got != "null" {
		t.Errorf("appendTime(zero) = %s, want null", got)
	}
}

// TestKeysFollowColumns checks the keys of an encoded record, in order,
// against sink.Columns.
func TestKeysFollowColumns(t *testing.T) {
	t.Parallel()
	rec := sinktest.Records(t.Name(), 1)[0]
	dec := json.NewDecoder(bytes.NewReader(new(encoder).appendRecord(nil, &rec)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("first token %v, %v; want {", tok, err)
	}
	var got []string
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, key.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, c := range sink.Columns() {
		want = append(want, c.Name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys mismatch (-want +got):\n%s", diff)
	}
}

// TestMatchesEncodingJSON encodes records with encoding/json (through a
// map built from the record) and with appendRecord, and compares the two
// decoded back as generic JSON values.
func TestMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	recs := sinktest.Records(t.Name(), 20)
	recs[3].Scope = "tricky \"\\\n\u2028\x01 é😀"
	for i := range recs {
		r := &recs[i]
		null := func(zero bool, v any) any {
			if zero {
				return nil
			}
			return v
		}
		ts := func(t time.Time) any { return null(t.IsZero(), t.UTC().Format(sink.TimeLayout)) }
		raw := func(m json.RawMessage) any { return null(len(m) == 0, m) }
		std, err := json.Marshal(map[string]any{
			"event_id": r.EventID, "store_hash": r.StoreHash, "store_id": r.StoreID,
			"scope": r.Scope, "entity_type": r.EntityType, "entity_id": null(r.EntityID == "", r.EntityID),
			"channel_id": null(r.ChannelID == 0, r.ChannelID), "event_hash": r.EventHash,
			"event_created_at": ts(r.EventCreatedAt), "published_at": ts(r.PublishedAt),
			"received_at": ts(r.ReceivedAt), "message_id": r.MessageID,
			"delivery_attempt": null(r.DeliveryAttempt == 0, r.DeliveryAttempt),
			"payload":          raw(r.Payload), "entity": raw(r.Entity), "enrichment": r.Enrichment,
			"enriched_at": ts(r.EnrichedAt), "worker_version": r.WorkerVersion,
		})
		if err != nil {
			t.Fatal(err)
		}
		ours := new(encoder).appendRecord(nil, r)
		if !bytes.HasSuffix(ours, []byte("}\n")) || bytes.Count(ours, []byte("\n")) != 1 {
			t.Errorf("record %d: not one line ending in a newline: %q", i, ours)
		}
		var want, got any
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(ours, &got); err != nil {
			t.Fatalf("record %d: %v\n%s", i, err, ours)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("record %d mismatch (-encoding/json +appendRecord):\n%s", i, diff)
		}
	}
}

// failingWriter writes the first n bytes to w, then fails.
type failingWriter struct {
	w *os.File
	n int
}

func (fw *failingWriter) Write(b []byte) (int, error) {
	n, _ := fw.w.Write(b[:min(fw.n, len(b))])
	return n, errors.New("disk full")
}

// TestPartialWriteIsUndone checks that a batch whose write fails half way
// is removed again, so that the retry does not follow a torn line.
func TestPartialWriteIsUndone(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, err := Open(Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(t.Context())
	recs := sinktest.Records(t.Name(), 4)
	if err := s.Write(t.Context(), recs[:2]); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	s.w = &failingWriter{w: s.file, n: 100}
	invalid := recs[0]
	invalid.StoreHash = ""
	err = s.Write(t.Context(), []sink.Record{recs[2], invalid, recs[3]})
	for i, want := range []string{"transient", "rejected", "transient"} {
		got := sink.RecordErr(err, i)
		if got == nil || errors.Is(got, sink.ErrRejected) != (want == "rejected") {
			t.Errorf("failed write, record %d: error %v, want %s", i, got, want)
		}
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("file after failed write:\n%s\nwant as before:\n%s", after, before)
	}

	s.w = s.file
	if err := s.Write(t.Context(), recs[2:]); err != nil {
		t.Fatalf("Write() after recovery = %v", err)
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "\n"); n != 4 {
		t.Errorf("%d lines after retry, want 4", n)
	}
}

// TestPartialWriteToStreamBreaksSink checks that when a partial write
// cannot be undone, later writes fail instead of corrupting the output.
func TestPartialWriteToStreamBreaksSink(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	s := &Sink{path: "pipe", lock: make(chan struct{}, 1), w: &failingWriter{w: w, n: 10}}
	go func() { _, _ = r.Read(make([]byte, 100)) }()

	recs := sinktest.Records(t.Name(), 2)
	if err := s.Write(t.Context(), recs); err == nil {
		t.Fatal("Write() = nil, want an error")
	}
	s.w = w
	err = s.Write(t.Context(), recs)
	if err == nil || !strings.Contains(err.Error(), "partial line") {
		t.Errorf("Write() after a torn write = %v, want the sticky partial-line error", err)
	}
}

// BenchmarkEncode measures the per-record cost of what Write does before
// the write call: Validate (whose json.Valid dominates) and appendRecord,
// for the realistic mix of sinktest.Records.
func BenchmarkEncode(b *testing.B) {
	recs := sinktest.Records(b.Name(), 500)
	var n int
	for i := range recs {
		n += len(new(encoder).appendRecord(nil, &recs[i]))
	}
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(n / len(recs)))
		buf := make([]byte, 0, 1<<20)
		var enc encoder // one per batch, as in Write
		i := 0
		for b.Loop() {
			if i == len(recs) {
				i, buf, enc = 0, buf[:0], encoder{}
			}
			buf = enc.appendRecord(buf, &recs[i])
			i++
		}
	})
	b.Run("validate+append", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(n / len(recs)))
		buf := make([]byte, 0, 1<<20)
		var enc encoder // one per batch, as in Write
		i := 0
		for b.Loop() {
			if i == len(recs) {
				i, buf, enc = 0, buf[:0], encoder{}
			}
			if err := recs[i].Validate(); err != nil {
				b.Fatal(err)
			}
			buf = enc.appendRecord(buf, &recs[i])
			i++
		}
	})
	// encoding/json over an equivalent struct, for comparison.
	b.Run("encoding-json", func(b *testing.B) {
		type row struct {
			EventID         string          `json:"event_id"`
			StoreHash       string          `json:"store_hash"`
			StoreID         string          `json:"store_id"`
			Scope           string          `json:"scope"`
			EntityType      string          `json:"entity_type"`
			EntityID        *string         `json:"entity_id"`
			ChannelID       *int64          `json:"channel_id"`
			EventHash       string          `json:"event_hash"`
			EventCreatedAt  *time.Time      `json:"event_created_at"`
			PublishedAt     *time.Time      `json:"published_at"`
			ReceivedAt      time.Time       `json:"received_at"`
			MessageID       string          `json:"message_id"`
			DeliveryAttempt *int            `json:"delivery_attempt"`
			Payload         json.RawMessage `json:"payload"`
			Entity          json.RawMessage `json:"entity"`
			Enrichment      string          `json:"enrichment"`
			EnrichedAt      *time.Time      `json:"enriched_at"`
			WorkerVersion   string          `json:"worker_version"`
		}
		b.ReportAllocs()
		b.SetBytes(int64(n / len(recs)))
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		i := 0
		for b.Loop() {
			if i == len(recs) {
				i = 0
				buf.Reset()
			}
			r := &recs[i]
			if err := enc.Encode(row{
				EventID: r.EventID, StoreHash: r.StoreHash, StoreID: r.StoreID, Scope: r.Scope,
				EntityType: r.EntityType, EntityID: &r.EntityID, ChannelID: &r.ChannelID,
				EventHash: r.EventHash, EventCreatedAt: &r.EventCreatedAt, PublishedAt: &r.PublishedAt,
				ReceivedAt: r.ReceivedAt, MessageID: r.MessageID, DeliveryAttempt: &r.DeliveryAttempt,
				Payload: r.Payload, Entity: r.Entity, Enrichment: r.Enrichment,
				EnrichedAt: &r.EnrichedAt, WorkerVersion: r.WorkerVersion,
			}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkWrite measures Write end to end for batches of 500 to a file:
// validate, encode, one write call.
func BenchmarkWrite(b *testing.B) {
	s, err := Open(Config{Path: filepath.Join(b.TempDir(), "events.jsonl")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(b.Context())
	recs := sinktest.Records(b.Name(), 500)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Write(b.Context(), recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
