package emulator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requireJava skips t when java is missing, unless CI=true.
func requireJava(t *testing.T) {
	t.Helper()
	if _, err := javaPath(""); err != nil {
		skipOrFail(t, err)
	}
}

// requireEmulator skips t under -short or when the emulator is missing,
// unless CI=true. (internal/pubsubtest has the same rule; it can't be used
// here without an import cycle.)
func requireEmulator(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the Pub/Sub emulator (-short)")
	}
	if _, err := Available(); err != nil {
		skipOrFail(t, err)
	}
}

func skipOrFail(t *testing.T, err error) {
	t.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("CI=true, so this is required: %v", err)
	}
	t.Skip(err)
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		a, b string
		want int // sign
	}{
		{"0.8.20", "0.8.9", 1},
		{"0.8.9", "0.8.20", -1},
		{"0.8.20", "0.8.20", 0},
		{"1.0", "0.99.99", 1},
		{"0.8", "0.8.1", -1},
	}
	for _, tc := range cases {
		got := compareVersions(tc.a, tc.b)
		if (got > 0) != (tc.want > 0) || (got < 0) != (tc.want < 0) {
			t.Errorf("compareVersions(%q, %q) = %d, want sign %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNewestJar(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	lib := filepath.Join(root, "platform", "pubsub-emulator", "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := newestJar(root); got != "" {
		t.Errorf("newestJar(empty) = %q, want empty", got)
	}
	for _, v := range []string{"0.8.9", "0.8.20", "0.8.3"} {
		if err := os.WriteFile(filepath.Join(lib, "cloud-pubsub-emulator-"+v+"-all.jar"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := newestJar(root), filepath.Join(lib, "cloud-pubsub-emulator-0.8.20-all.jar"); got != want {
		t.Errorf("newestJar() = %q, want %q", got, want)
	}
}

func TestFindJarEnvOverride(t *testing.T) {
	jar := filepath.Join(t.TempDir(), "emulator.jar")
	if err := os.WriteFile(jar, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(JarEnv, jar)
	if got, err := findJar(); err != nil || got != jar {
		t.Errorf("findJar() = %q, %v; want %q", got, err, jar)
	}
	t.Setenv(JarEnv, jar+".missing")
	if _, err := findJar(); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), JarEnv) {
		t.Errorf("findJar() with a missing override = %v, want ErrNotFound naming %s", err, JarEnv)
	}
}

// TestStartFailsFast checks that a JVM that exits at once is reported
// promptly, with its output, rather than after the start timeout.
func TestStartFailsFast(t *testing.T) {
	t.Parallel()
	requireJava(t)
	notAJar := filepath.Join(t.TempDir(), "broken.jar")
	if err := os.WriteFile(notAJar, []byte("not a jar"), 0o644); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	_, err := Start(t.Context(), Options{JarPath: notAJar})
	if err == nil {
		t.Fatal("Start() with a broken jar = nil error")
	}
	if d := time.Since(began); d > 30*time.Second {
		t.Errorf("Start() took %v to notice the JVM had exited", d)
	}
	msg := err.Error()
	if !strings.Contains(msg, "exited during start-up") || !strings.Contains(msg, "Invalid or corrupt jarfile") {
		t.Errorf("Start() error lacks the cause or the JVM's output:\n%s", msg)
	}
}

func TestStartHonoursContext(t *testing.T) {
	t.Parallel()
	requireEmulator(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	began := time.Now()
	if _, err := Start(ctx, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Start(cancelled ctx) = %v, want context.Canceled", err)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("Start(cancelled ctx) took %v", d)
	}
}

func TestIntegration_StartStop(t *testing.T) {
	t.Parallel()
	requireEmulator(t)
	dir := t.TempDir()
	began := time.Now()
	p, err := Start(t.Context(), Options{LogDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("emulator answered after %v", time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() { _ = p.Stop() })

	if !strings.HasPrefix(p.Host(), "127.0.0.1:") {
		t.Errorf("Host() = %q, want 127.0.0.1:<port>", p.Host())
	}
	if filepath.Dir(p.LogPath()) != dir {
		t.Errorf("LogPath() = %q, want a file in %q", p.LogPath(), dir)
	}
	if tail := p.LogTail(4096); !strings.Contains(tail, "Server started") {
		t.Errorf("LogTail() lacks the start line:\n%s", tail)
	}
	select {
	case <-p.Done():
		t.Fatal("Done() closed while running")
	default:
	}

	began = time.Now()
	if err := p.Stop(); err != nil {
		t.Errorf("Stop() = %v", err)
	}
	t.Logf("emulator stopped after %v", time.Since(began).Round(time.Millisecond))
	select {
	case <-p.Done():
	default:
		t.Error("Done() not closed after Stop")
	}
	if err := syscall.Kill(p.Pid(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill(%d, 0) after Stop = %v, want ESRCH", p.Pid(), err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop() = %v", err)
	}
	if b, err := os.ReadFile(p.LogPath()); err != nil || len(b) == 0 {
		t.Errorf("log file after Stop: %d bytes, %v", len(b), err)
	}
}

func TestIntegration_StopReportsCrash(t *testing.T) {
	t.Parallel()
	requireEmulator(t)
	p, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(p.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done() not closed after the JVM was killed")
	}
	if err := p.Stop(); err == nil || !strings.Contains(err.Error(), "had exited") {
		t.Errorf("Stop() after a crash = %v, want an error saying it had exited", err)
	}
}
