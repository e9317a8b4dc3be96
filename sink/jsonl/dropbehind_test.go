package jsonl

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"bcstream/sink/sinktest"
)

// TestDropBehindFollowsTheWrites writes a few MiB after a line already in
// the file and checks that every line is there once, in order, and that
// the page-cache trimming advanced behind the writes without passing
// them.
func TestDropBehindFollowsTheWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	const existing = `{"event_id":"before"}` + "\n"
	if err := os.WriteFile(path, []byte(existing), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if s.drop == nil {
		t.Fatal("no drop-behind for a regular file")
	}
	if got, want := s.drop.end, int64(len(existing)); got != want {
		t.Fatalf("drop-behind starts at %d, want the file's size %d", got, want)
	}

	var want []string
	for i := 0; s.drop.end < 4*dropBehindChunk; i++ {
		recs := sinktest.Records(t.Name()+strconv.Itoa(i), 500)
		if err := s.Write(t.Context(), recs); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			want = append(want, r.EventID)
		}
	}
	d := *s.drop
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if d.end != fi.Size() {
		t.Errorf("drop-behind end %d, file size %d", d.end, fi.Size())
	}
	if !(int64(len(existing)) < d.dropped && d.dropped < d.flushed && d.flushed <= d.end) {
		t.Errorf("offsets existing=%d dropped=%d flushed=%d end=%d, want existing < dropped < flushed <= end",
			len(existing), d.dropped, d.flushed, d.end)
	}
	if d.end-d.dropped > 2*dropBehindChunk+int64(len(existing)) {
		t.Errorf("drop-behind lags %d bytes behind the end, want at most two chunks", d.end-d.dropped)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var got []string
	for sc.Scan() {
		var line struct {
			EventID string `json:"event_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %d: %v", len(got)+1, err)
		}
		got = append(got, line.EventID)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want)+1 || got[0] != "before" {
		t.Fatalf("%d lines, first %q; want %d, first \"before\"", len(got), got[0], len(want)+1)
	}
	for i, id := range want {
		if got[i+1] != id {
			t.Fatalf("line %d: event %q, want %q", i+2, got[i+1], id)
		}
	}
}
