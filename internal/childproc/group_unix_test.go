//go:build unix

package childproc

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gone reports whether pid has ended within 10 s. A zombie counts as
// ended: a grandchild is reaped by whoever adopts it, which in a container
// may be nobody.
func gone(pid int) bool {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return true
		}
		if stat, rerr := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); rerr == nil {
			// pid (comm) S ...: the state follows the last ')'.
			s := string(stat)
			if i := strings.LastIndexByte(s, ')'); i >= 0 && strings.HasPrefix(s[i+1:], " Z") {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStopKillsGroup checks that Stop ends what the child started too.
func TestStopKillsGroup(t *testing.T) {
	t.Parallel()
	p := mustStart(t, readySpec(t, "spawn", 2))
	ps := pids(t, p.LogTail(4096))
	if len(ps) != 2 {
		t.Fatalf("want a child and a grandchild pid in the log, got %v", ps)
	}
	for _, pid := range ps {
		if pgid, err := syscall.Getpgid(pid); err != nil || pgid != p.Pid() {
			t.Errorf("getpgid(%d) = %d, %v; want the child's pid %d", pid, pgid, err, p.Pid())
		}
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop() = %v", err)
	}
	for _, pid := range ps {
		if !gone(pid) {
			t.Errorf("pid %d still runs after Stop", pid)
		}
	}
}

// TestStopEscalates checks that a child ignoring SIGTERM is killed after
// the grace period, and that this is not reported as a crash.
func TestStopEscalates(t *testing.T) {
	t.Parallel()
	spec := readySpec(t, "ignore-term", 1)
	spec.StopGrace = 300 * time.Millisecond
	p := mustStart(t, spec)
	began := time.Now()
	if err := p.Stop(); err != nil {
		t.Errorf("Stop() = %v", err)
	}
	if d := time.Since(began); d < spec.StopGrace {
		t.Errorf("Stop() took %v, less than the %v grace: was SIGTERM ignored?", d, spec.StopGrace)
	}
	if !gone(p.Pid()) {
		t.Errorf("pid %d still runs after Stop", p.Pid())
	}
}

// TestStartHonoursContext checks that a child that never gets ready
// fails Start when ctx ends, with ctx's error, and is not left running.
func TestStartHonoursContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	spec := helperSpec(t, "sleep", dir)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	hasPid := logHas(dir, spec.LogName, "pid=", 1)
	spec.Ready = func(ctx context.Context) error {
		if err := hasPid(ctx); err != nil {
			return err
		}
		cancel() // once the child has run far enough to print its pid
		return errors.New("never ready")
	}
	p, err := Start(ctx, spec)
	if err == nil {
		_ = p.Stop()
		t.Fatal("Start() of a child that is never ready = nil error")
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "never ready") {
		t.Errorf("Start() = %v, want context.Canceled and the last Ready error", err)
	}
	ps := pids(t, err.Error())
	if len(ps) != 1 {
		t.Fatalf("Start() error lacks the child's output (its pid):\n%v", err)
	}
	if !gone(ps[0]) {
		t.Errorf("pid %d still runs after Start failed", ps[0])
	}
}
