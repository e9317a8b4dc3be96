// Package bqemulator provisions and runs goccy/bigquery-emulator, a local
// BigQuery (REST and Storage Write/Read gRPC) used by the BigQuery sink's
// integration tests and by the local demo.
//
// The emulator is not published as a binary that fits, and `go install`
// of it fails (the module proxy serves only v0.6.6, not the version list
// the install asks for), so Ensure builds it from a tiny module that
// requires exactly Version, embedded in this package (buildmod/). The SQL
// engine is cgo (go-zetasql) and builds only with clang: about 11 minutes
// and 7 GB of RAM on 2 cores the first time. The binary is cached under
// the user cache directory, keyed by version, so only the first build on
// a machine pays; concurrent callers (two test binaries) share one build
// through a file lock.
package bqemulator

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Version is the emulator version Ensure builds.
const Version = "v0.6.6"

const (
	// BinaryEnv names a variable with the path of an emulator binary to
	// use instead of building one.
	BinaryEnv = "BQ_EMULATOR_BINARY"
	// CacheDirEnv names a variable that overrides where built binaries
	// are cached (default: <user cache dir>/bcstream).
	CacheDirEnv = "BQ_EMULATOR_CACHE_DIR"

	binaryName = "bigquery-emulator"
	pkgPath    = "github.com/goccy/bigquery-emulator/cmd/bigquery-emulator"
	// progressEvery is how often a build in progress says so: it is
	// long, and silence would look like a hang.
	progressEvery = 30 * time.Second
)

// The build module, stored as .txt files: a directory with a go.mod in it
// would be a separate module, which go:embed cannot reach (and `go test
// ./...` would skip).
var (
	//go:embed buildmod/go.mod.txt
	buildGoMod []byte
	//go:embed buildmod/go.sum.txt
	buildGoSum []byte
)

// ErrUnavailable is returned (wrapped) when the emulator cannot be built
// here: no Go toolchain, or no clang and no way to install it. The error
// says what is missing.
var ErrUnavailable = errors.New("bigquery emulator unavailable")

// CachedBinary returns where Ensure keeps the binary for Version.
func CachedBinary() (string, error) {
	dir := os.Getenv(CacheDirEnv)
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("bigquery emulator cache: %w", err)
		}
		dir = filepath.Join(base, "bcstream")
	}
	return filepath.Join(dir, "bigquery-emulator-"+Version, binaryName), nil
}

// Ready reports whether Ensure would return at once: BQ_EMULATOR_BINARY is
// set, or the build for Version is cached.
func Ready() bool {
	if os.Getenv(BinaryEnv) != "" {
		return true
	}
	bin, err := CachedBinary()
	return err == nil && executable(bin) == nil
}

// Ensure returns the path of a runnable emulator binary: BQ_EMULATOR_BINARY
// if set, else the cached build of Version, building it first if there is
// none. A build installs clang with apt-get when it is missing and the
// process may (root), and writes progress lines to progress (nil: none)
// while it runs. Another process building at the same time is waited for,
// not duplicated. ctx bounds the whole call, build included; a cancelled
// build leaves nothing behind but the Go build cache, which makes the
// next attempt faster.
func Ensure(ctx context.Context, progress io.Writer) (string, error) {
	if progress == nil {
		progress = io.Discard
	}
	if p := os.Getenv(BinaryEnv); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %w", ErrUnavailable, BinaryEnv, p, err)
		}
		return p, nil
	}
	bin, err := CachedBinary()
	if err != nil {
		return "", err
	}
	if executable(bin) == nil {
		return bin, nil
	}
	dir := filepath.Dir(bin)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("bigquery emulator cache: %w", err)
	}
	unlock, err := lock(ctx, filepath.Join(dir, "build.lock"), progress)
	if err != nil {
		return "", err
	}
	defer unlock()
	if executable(bin) == nil { // built by whoever held the lock
		return bin, nil
	}
	if err := build(ctx, dir, bin, progress); err != nil {
		return "", err
	}
	return bin, nil
}

func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// lock takes an exclusive flock on path, polling so that ctx can end the
// wait, and tells progress when it has to wait.
func lock(ctx context.Context, path string, progress io.Writer) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("bigquery emulator build lock: %w", err)
	}
	waiting := time.Time{}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("bigquery emulator build lock %s: %w", path, err)
		}
		if waiting.IsZero() {
			waiting = time.Now()
			fmt.Fprintf(progress, "bqemulator: another process is building the BigQuery emulator (lock %s); waiting for it\n", path)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("bigquery emulator: waiting for another build: %w", ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
	// Closing the file releases the lock, also when the process dies.
	return func() { f.Close() }, nil
}

// build compiles the emulator into bin, through a temporary file renamed
// into place, so that a binary at bin is always complete.
func build(ctx context.Context, dir, bin string, progress io.Writer) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("%w: the go command is needed to build it: %w", ErrUnavailable, err)
	}
	if err := ensureClang(ctx, progress); err != nil {
		return err
	}
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), buildGoMod, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(src, "go.sum"), buildGoSum, 0o644); err != nil {
		return err
	}
	tmp := bin + ".tmp-" + strconv.Itoa(os.Getpid())
	defer os.Remove(tmp)

	cmd := exec.CommandContext(ctx, goBin, "build", "-o", tmp, pkgPath)
	cmd.Dir = src
	cmd.Env = append(os.Environ(),
		"CGO_ENABLED=1",
		// gcc 12 fails on go-zetasql's C++ (a constexpr error); clang
		// builds it.
		"CC=clang", "CXX=clang++",
		"GOWORK=off",
		"GOFLAGS=-mod=readonly",
	)
	// The compiler's output (cgo warnings by the thousand) is kept for
	// the error message only; progress gets our own lines.
	out := &tail{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second

	fmt.Fprintf(progress, "bqemulator: building goccy/bigquery-emulator %s into %s (cgo + clang: about 11 min and 7 GB of RAM on 2 cores the first time; cached afterwards)\n", Version, bin)
	began := time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(progress, "bqemulator: still building the BigQuery emulator, %s elapsed\n", time.Since(began).Round(time.Second))
			}
		}
	}()
	err = cmd.Run()
	close(done)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("bigquery emulator build: %w", ctx.Err())
		}
		return fmt.Errorf("bigquery emulator build (go build %s in %s with CC=clang) failed: %w\n%s", pkgPath, src, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return fmt.Errorf("bigquery emulator build: %w", err)
	}
	fmt.Fprintf(progress, "bqemulator: built %s in %s\n", bin, time.Since(began).Round(time.Second))
	return nil
}

// ensureClang installs clang with apt-get when clang or clang++ is
// missing, if this process can (apt-get present, running as root).
func ensureClang(ctx context.Context, progress io.Writer) error {
	_, errC := exec.LookPath("clang")
	_, errCXX := exec.LookPath("clang++")
	if errC == nil && errCXX == nil {
		return nil
	}
	apt, err := exec.LookPath("apt-get")
	if err != nil || os.Geteuid() != 0 {
		return fmt.Errorf("%w: building it needs clang and clang++ (gcc cannot build its SQL engine); "+
			"install clang (Debian/Ubuntu: apt-get install clang) or set %s to a built emulator", ErrUnavailable, BinaryEnv)
	}
	fmt.Fprintln(progress, "bqemulator: clang is missing; installing it with apt-get")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "clang"}} {
		cmd := exec.CommandContext(ctx, apt, args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out := &tail{max: 4 << 10}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%w: apt-get %s: %w\n%s", ErrUnavailable, strings.Join(args, " "), err, out)
		}
	}
	if _, err := exec.LookPath("clang++"); err != nil {
		return fmt.Errorf("%w: clang++ still missing after apt-get install clang: %w", ErrUnavailable, err)
	}
	return nil
}

// tail keeps the last max bytes written to it, for error messages.
type tail struct {
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.b) }
