package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"bcstream/sink/sinktest"
)

// TestPragmas checks the durability settings on the sink's own
// connection: synchronous is per connection, so only it can tell.
func TestPragmas(t *testing.T) {
	t.Parallel()
	s, err := New(t.Context(), envconfig.MapLookuper(map[string]string{"SQLITE_PATH": sinktest.Path(t, "events.db")}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(t.Context())
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"busy_timeout", "5000"},
		{"cache_size", "-65536"},
		{"wal_autocheckpoint", "10000"},
	} {
		var got string
		if err := s.db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
}

// TestCloseHonoursContext checks that Close gives up, with ctx's error,
// while a write holds the lock.
func TestCloseHonoursContext(t *testing.T) {
	t.Parallel()
	s, err := New(t.Context(), envconfig.MapLookuper(map[string]string{"SQLITE_PATH": sinktest.Path(t, "events.db")}))
	if err != nil {
		t.Fatal(err)
	}
	s.lock <- struct{}{} // a write in progress
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close() with a write in progress and ctx cancelled = %v, want context.Canceled", err)
	}
	// A Write whose ctx expires while it waits for the lock gives up too.
	wctx, wcancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer wcancel()
	if err := s.Write(wctx, sinktest.Records(t.Name(), 1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Write() waiting for the lock = %v, want context.DeadlineExceeded", err)
	}
	<-s.lock
	if err := s.Close(t.Context()); err != nil {
		t.Errorf("Close() = %v", err)
	}
}
