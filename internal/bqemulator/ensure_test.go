package bqemulator

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEnsureUsesBinaryEnv(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "emu")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(BinaryEnv, bin)
	got, err := Ensure(t.Context(), nil)
	if err != nil || got != bin {
		t.Fatalf("Ensure() = %q, %v; want %q", got, err, bin)
	}

	notExec := filepath.Join(dir, "data")
	if err := os.WriteFile(notExec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{notExec, filepath.Join(dir, "missing")} {
		t.Setenv(BinaryEnv, p)
		if _, err := Ensure(t.Context(), nil); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), BinaryEnv) {
			t.Errorf("Ensure() with %s=%s: %v, want ErrUnavailable naming the variable", BinaryEnv, p, err)
		}
	}
}

// A cached binary is returned without building (and without the go
// command or clang).
func TestEnsureReturnsCachedBinary(t *testing.T) {
	t.Setenv(BinaryEnv, "")
	t.Setenv(CacheDirEnv, t.TempDir())
	t.Setenv("PATH", t.TempDir()) // no go, no clang: a build would fail
	bin, err := CachedBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bin, Version) {
		t.Errorf("CachedBinary() = %s, want it keyed by %s", bin, Version)
	}
	if _, err := Ensure(t.Context(), nil); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Ensure() without a cache, go or clang = %v, want ErrUnavailable", err)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := Ensure(t.Context(), nil); err != nil || got != bin {
		t.Fatalf("Ensure() = %q, %v; want the cached %q", got, err, bin)
	}
}

// The build lock is exclusive across holders: a second caller waits, says
// so, and gets the lock once the first releases it; its wait honours ctx.
func TestLockWaitsForHolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "build.lock")
	unlock, err := lock(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var progress bytes.Buffer
	if _, err := lock(ctx, path, &progress); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock() while held = %v, want a deadline error", err)
	}
	if !strings.Contains(progress.String(), "another process is building") {
		t.Errorf("progress = %q, want a waiting message", progress.String())
	}

	got := make(chan error, 1)
	go func() {
		u, err := lock(t.Context(), path, &bytes.Buffer{})
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("lock() acquired while held: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("lock() not acquired after release")
	}
}
