package childproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// helperEnv names the variable that makes the test binary, re-executed as
// a child, act as a helper program instead of running tests.
const helperEnv = "CHILDPROC_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		runHelper(mode)
		return
	}
	os.Exit(m.Run())
}

// runHelper is the child's side. Every mode but crash prints its PID as
// "pid=N" and then sleeps for a minute, so a helper that a failing test
// leaks does not outlive it by much.
func runHelper(mode string) {
	switch mode {
	case "sleep":
	case "print":
		for i := range 100 {
			fmt.Printf("line %02d\n", i)
		}
	case "spawn": // a grandchild in the same process group
		c := exec.Command(os.Args[0])
		c.Env = append(os.Environ(), helperEnv+"=sleep")
		c.Stdout = os.Stdout
		if err := c.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
	case "crash":
		fmt.Fprintln(os.Stderr, "crashing on purpose")
		os.Exit(3)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
		os.Exit(2)
	}
	fmt.Printf("pid=%d\n", os.Getpid())
	time.Sleep(time.Minute)
}

// helperSpec runs the test binary as a helper in mode, logging to dir
// (when not "").
func helperSpec(t *testing.T, mode, dir string) Spec {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Name:    "test helper",
		Path:    exe,
		Env:     append(os.Environ(), helperEnv+"="+mode),
		LogDir:  dir,
		LogName: mode + ".log",
	}
}

// readySpec is helperSpec logging to a temporary directory, with a Ready
// that waits until the log has n "pid=" lines.
func readySpec(t *testing.T, mode string, n int) Spec {
	t.Helper()
	spec := helperSpec(t, mode, t.TempDir())
	spec.Ready = logHas(spec.LogDir, spec.LogName, "pid=", n)
	return spec
}

// mustStart starts spec's child, failing t if that fails, and stops it
// when t ends.
func mustStart(t *testing.T, spec Spec) *Process {
	t.Helper()
	p, err := Start(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	return p
}

// logHas returns a Spec.Ready that succeeds once the log file in dir has
// n lines containing substr.
func logHas(dir, name, substr string, n int) func(context.Context) error {
	return func(context.Context) error {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if got := strings.Count(string(b), substr); got < n {
			return fmt.Errorf("%d of %d %q lines so far", got, n, substr)
		}
		return nil
	}
}

// pids returns the PIDs the helpers printed in out.
func pids(t *testing.T, out string) []int {
	t.Helper()
	var ps []int
	for line := range strings.Lines(out) {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "pid="); ok {
			pid, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("bad pid line %q", line)
			}
			ps = append(ps, pid)
		}
	}
	return ps
}

func TestLogTail(t *testing.T) {
	t.Parallel()
	spec := readySpec(t, "print", 1)
	p := mustStart(t, spec)

	if want := filepath.Join(spec.LogDir, "print.log"); p.LogPath() != want {
		t.Errorf("LogPath() = %q, want %q", p.LogPath(), want)
	}
	pidLine := fmt.Sprintf("pid=%d\n", p.Pid())
	if got := p.LogTail(int64(len(pidLine))); got != pidLine {
		t.Errorf("LogTail(%d) = %q, want %q", len(pidLine), got, pidLine)
	}
	all := p.LogTail(1 << 20)
	if !strings.HasPrefix(all, "line 00\n") || !strings.HasSuffix(all, "line 99\n"+pidLine) {
		t.Errorf("LogTail(1 MiB) is not the whole output:\n%s", all)
	}

	if err := p.Stop(); err != nil {
		t.Errorf("Stop() = %v", err)
	}
	if got := p.LogTail(100); got != "" {
		t.Errorf("LogTail after Stop = %q, want empty", got)
	}
	if b, err := os.ReadFile(p.LogPath()); err != nil || string(b) != all {
		t.Errorf("log file after Stop = %q, %v; want the whole output", b, err)
	}
}

// TestLogTailUnlinked checks that without LogDir the output is still
// readable through LogTail.
func TestLogTailUnlinked(t *testing.T) {
	t.Parallel()
	p := mustStart(t, helperSpec(t, "print", ""))
	if p.LogPath() != "" {
		t.Errorf("LogPath() = %q, want empty without LogDir", p.LogPath())
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.LogTail(4096), "line 99\n") {
		if time.Now().After(deadline) {
			t.Fatalf("LogTail() after 30 s = %q", p.LogTail(4096))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLogNameRequired(t *testing.T) {
	t.Parallel()
	spec := helperSpec(t, "sleep", t.TempDir())
	spec.LogName = ""
	if p, err := Start(t.Context(), spec); err == nil {
		_ = p.Stop()
		t.Fatal("Start() with LogDir and no LogName = nil error")
	}
}

// TestStopReportsCrash checks that a child that failed before Stop makes
// every Stop call, concurrent or later, return its exit status.
func TestStopReportsCrash(t *testing.T) {
	t.Parallel()
	p := mustStart(t, helperSpec(t, "crash", ""))
	select {
	case <-p.Done():
	case <-time.After(30 * time.Second):
		_ = p.Stop()
		t.Fatal("Done() not closed after the child exited")
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = p.Stop() })
	}
	wg.Wait()
	errs = append(errs, p.Stop())
	for i, err := range errs {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.Contains(err.Error(), "test helper had exited") {
			t.Errorf("Stop() call %d = %v, want the exit status 3 of the test helper", i, err)
		}
	}
}

// TestStopIdempotent checks that Stop on a running child succeeds, and
// that later calls return the same.
func TestStopIdempotent(t *testing.T) {
	t.Parallel()
	p := mustStart(t, helperSpec(t, "sleep", ""))
	for i := range 3 {
		if err := p.Stop(); err != nil {
			t.Errorf("Stop() call %d = %v", i, err)
		}
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done() not closed after Stop")
	}
}

// TestStartFailsFast checks that a child that exits during start-up is
// reported at once, with its output, not when ctx ends.
func TestStartFailsFast(t *testing.T) {
	t.Parallel()
	spec := helperSpec(t, "crash", "")
	spec.Ready = func(context.Context) error { return errors.New("not yet") }
	began := time.Now()
	p, err := Start(t.Context(), spec)
	if err == nil {
		_ = p.Stop()
		t.Fatal("Start() of a crashing child = nil error")
	}
	if d := time.Since(began); d > 20*time.Second {
		t.Errorf("Start() took %v to notice the child had exited", d)
	}
	for _, want := range []string{"test helper (", "exited during start-up", "crashing on purpose"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start() error lacks %q:\n%v", want, err)
		}
	}
}

func TestStartNotFound(t *testing.T) {
	t.Parallel()
	spec := helperSpec(t, "sleep", "")
	spec.Path = filepath.Join(t.TempDir(), "missing")
	if p, err := Start(t.Context(), spec); err == nil {
		_ = p.Stop()
		t.Fatal("Start() of a missing program = nil error")
	}
}

func TestFreePort(t *testing.T) {
	t.Parallel()
	port, err := FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("listen on FreePort's %d: %v", port, err)
	}
	ln.Close()
}
