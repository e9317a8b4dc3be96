package jsonl_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-envconfig"

	"bcstream/sink"
	"bcstream/sink/jsonl"
	"bcstream/sink/sinktest"
)

const fileName = "events.jsonl"

func openSink(tb testing.TB, path string) *jsonl.Sink {
	tb.Helper()
	s, err := jsonl.New(tb.Context(), envconfig.MapLookuper(map[string]string{"JSONL_PATH": path}))
	if err != nil {
		tb.Fatalf("jsonl.New() = %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	sinktest.Run(t, func(t *testing.T) sink.Sink {
		return openSink(t, sinktest.Path(t, fileName))
	}, sinktest.Options{
		ReadAll:        func(t *testing.T) []sink.Record { return readAll(t, sinktest.Path(t, fileName)) },
		Idempotent:     false, // append-only: a rewrite is a second line
		RejectsInvalid: true,
	})
}

// line is one decoded line, with pointers where the column is nullable so
// that null and a zero value can be told apart.
type line struct {
	EventID         string          `json:"event_id"`
	StoreHash       string          `json:"store_hash"`
	StoreID         string          `json:"store_id"`
	Scope           string          `json:"scope"`
	EntityType      string          `json:"entity_type"`
	EntityID        *string         `json:"entity_id"`
	ChannelID       *int64          `json:"channel_id"`
	EventHash       string          `json:"event_hash"`
	EventCreatedAt  *string         `json:"event_created_at"`
	PublishedAt     *string         `json:"published_at"`
	ReceivedAt      string          `json:"received_at"`
	MessageID       string          `json:"message_id"`
	DeliveryAttempt *int64          `json:"delivery_attempt"`
	Payload         json.RawMessage `json:"payload"`
	Entity          json.RawMessage `json:"entity"`
	Enrichment      string          `json:"enrichment"`
	EnrichedAt      *string         `json:"enriched_at"`
	WorkerVersion   string          `json:"worker_version"`
}

// readAll decodes every line of the file with encoding/json. It is strict:
// every column must be present as a key, nullable zero values must be
// null, and timestamps must be in sink.TimeLayout exactly.
func readAll(t *testing.T, path string) []sink.Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var out []sink.Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		out = append(out, decodeLine(t, n, sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scan %s: %v", path, err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Errorf("%s does not end with a newline", path)
	}
	return out
}

func decodeLine(t *testing.T, n int, b []byte) sink.Record {
	t.Helper()
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatalf("line %d: %v\n%s", n, err, b)
	}
	for _, c := range sink.Columns() {
		if _, ok := keys[c.Name]; !ok {
			t.Errorf("line %d: no key %q", n, c.Name)
		}
	}
	if len(keys) != len(sink.Columns()) {
		t.Errorf("line %d: %d keys, want %d", n, len(keys), len(sink.Columns()))
	}

	var l line
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		t.Fatalf("line %d: %v", n, err)
	}
	str := func(name string, p *string) string {
		if p != nil && *p == "" {
			t.Errorf("line %d: %s is \"\" instead of null", n, name)
		}
		if p == nil {
			return ""
		}
		return *p
	}
	num := func(name string, p *int64) int64 {
		if p != nil && *p == 0 {
			t.Errorf("line %d: %s is 0 instead of null", n, name)
		}
		if p == nil {
			return 0
		}
		return *p
	}
	ts := func(name string, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Errorf("line %d: %s: %v", n, name, err)
		}
		if want := v.UTC().Format(sink.TimeLayout); s != want {
			t.Errorf("line %d: %s is %q, want the fixed-width form %q", n, name, s, want)
		}
		return v
	}
	r := sink.Record{
		EventID:         l.EventID,
		StoreHash:       l.StoreHash,
		StoreID:         l.StoreID,
		Scope:           l.Scope,
		EntityType:      l.EntityType,
		EntityID:        str("entity_id", l.EntityID),
		ChannelID:       num("channel_id", l.ChannelID),
		EventHash:       l.EventHash,
		EventCreatedAt:  ts("event_created_at", str("event_created_at", l.EventCreatedAt)),
		PublishedAt:     ts("published_at", str("published_at", l.PublishedAt)),
		ReceivedAt:      ts("received_at", l.ReceivedAt),
		MessageID:       l.MessageID,
		DeliveryAttempt: int(num("delivery_attempt", l.DeliveryAttempt)),
		Payload:         l.Payload,
		Enrichment:      l.Enrichment,
		EnrichedAt:      ts("enriched_at", str("enriched_at", l.EnrichedAt)),
		WorkerVersion:   l.WorkerVersion,
	}
	if string(l.Entity) != "null" {
		r.Entity = l.Entity
	}
	return r
}

func TestConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		env     map[string]string
		want    jsonl.Config
		wantErr string
	}{
		{name: "default is stdout", want: jsonl.Config{Path: "-"}},
		{name: "file", env: map[string]string{"JSONL_PATH": "/tmp/x.jsonl"}, want: jsonl.Config{Path: "/tmp/x.jsonl"}},
		{name: "unprefixed ignored", env: map[string]string{"PATH": "/usr/bin"}, want: jsonl.Config{Path: "-"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := jsonl.LoadConfig(t.Context(), envconfig.MapLookuper(tc.env))
			if err != nil {
				t.Fatalf("LoadConfig() = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("LoadConfig() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenCreatesWithMode(t *testing.T) {
	t.Parallel()
	path := sinktest.Path(t, fileName)
	s := openSink(t, path)
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// The umask may clear bits, never add them.
	if perm := fi.Mode().Perm(); perm&^0o644 != 0 {
		t.Errorf("file mode %v, want at most 0644", perm)
	}
}

func TestOpenFailsOnMissingDirectory(t *testing.T) {
	t.Parallel()
	_, err := jsonl.New(t.Context(), envconfig.MapLookuper(map[string]string{
		"JSONL_PATH": sinktest.Path(t, "missing/dir/events.jsonl"),
	}))
	if err == nil || !strings.Contains(err.Error(), "jsonl: open") {
		t.Errorf("New() = %v, want an open error", err)
	}
}

// TestStdout checks that "-" selects standard output and that Close
// leaves it open.
func TestStdout(t *testing.T) {
	t.Parallel()
	s := openSink(t, "-")
	if err := s.Write(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if _, err := os.Stdout.Stat(); err != nil {
		t.Errorf("standard output closed by Close: %v", err)
	}
}

// TestOneLinePerRecord checks the line structure directly, including a
// payload with newlines (valid JSON, but not valid JSON Lines as is).
func TestOneLinePerRecord(t *testing.T) {
	t.Parallel()
	path := sinktest.Path(t, fileName)
	s := openSink(t, path)
	recs := sinktest.Records(t.Name(), 3)
	recs[1].Payload = json.RawMessage("{\n  \"id\": 1,\r\n  \"s\": \"a b\"\n}")
	if err := s.Write(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), data)
	}
	got := decodeLine(t, 2, []byte(lines[1]))
	if want := `{"id":1,"s":"a b"}`; string(got.Payload) != want {
		t.Errorf("payload = %s, want compacted %s", got.Payload, want)
	}
}
