package stores

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestFileTokenRotation checks that a rotated token file is picked up once
// FileTokenTTL has passed, and not re-read before.
func TestFileTokenRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	write := func(s string) {
		t.Helper()
		// Replace the file as secret volumes do: write aside, rename over.
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write("old-token\n")

	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o := &loadOptions{now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	o.defaults()
	src, err := newFileToken(path, o)
	if err != nil {
		t.Fatal(err)
	}
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	check := func(want string) {
		t.Helper()
		got, err := src.Token(context.Background())
		if err != nil || got.Reveal() != want {
			t.Fatalf("Token() = %q, %v; want %q", got.Reveal(), err, want)
		}
	}

	check("old-token")
	write("new-token")
	advance(FileTokenTTL - time.Second)
	check("old-token") // cached
	advance(time.Second)
	check("new-token")

	// A file that disappears fails once the cache expires, naming the
	// file and not the token.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	advance(FileTokenTTL)
	if _, err := src.Token(context.Background()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Token() after removal error = %v, want not-exist", err)
	}
}

func TestFileTokenRejectsMultiLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := &loadOptions{}
	o.defaults()
	if _, err := newFileToken(path, o); err == nil {
		t.Fatal("newFileToken() error = nil, want multi-line error")
	}
}
