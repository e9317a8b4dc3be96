// Package childproc runs a long-lived helper program, such as a local
// emulator, as a child process: its output goes to a log file, it runs in
// its own process group, Start can wait until it answers, and Stop ends
// the whole group and reports whether it had crashed.
//
// The child is not bound to a context: it runs until Stop, so that a
// context that only bounds start-up cannot kill it later.
package childproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultStopGrace is how long Stop waits after SIGTERM before SIGKILL
// when Spec.StopGrace is 0.
const DefaultStopGrace = 5 * time.Second

// readyPoll is the pause between two failed Spec.Ready calls.
const readyPoll = 50 * time.Millisecond

// Spec describes the child to run.
type Spec struct {
	// Name names the program in errors, e.g. "pubsub emulator"; "" means
	// Path's base name.
	Name string
	// Path is the program to run; it is looked up on PATH if it has no
	// separator.
	Path string
	// Args are the arguments, without the program name.
	Args []string
	// Env is the child's environment; nil means the parent's.
	Env []string
	// LogDir, if set, receives the child's stdout and stderr in the file
	// LogName (see Process.LogPath), which Start creates or truncates.
	// Otherwise the output goes to an unlinked temporary file, readable
	// only through Process.LogTail until Stop.
	LogDir string
	// LogName is the log file's name in LogDir; required when LogDir is
	// set. It must be unique per child (put the port in it).
	LogName string
	// Ready, if set, is called by Start until it returns nil, with a
	// pause of 50 ms after each failure. Each call should bound its own
	// wait (a dial or request timeout) below ctx's.
	Ready func(ctx context.Context) error
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL; 0
	// means DefaultStopGrace.
	StopGrace time.Duration
}

// Process is a running child. Call Stop when done with it.
type Process struct {
	name  string
	grace time.Duration
	cmd   *exec.Cmd

	logPath string
	log     *os.File

	done    chan struct{} // closed when the child has exited and been reaped
	waitErr error         // cmd.Wait's result, set before done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start runs the child and, if spec.Ready is set, waits until Ready
// succeeds. ctx bounds only that wait; the child runs until Stop. Ready
// failing until ctx is done, or the child exiting first, makes Start
// fail. On error nothing is left running, and the error names the
// command line and carries the tail of the child's output; it wraps
// ctx's error when ctx ended the wait.
//
// The child gets its own process group so that Stop can signal
// everything it started. On Linux the kernel also SIGKILLs it if the OS
// thread that started it exits, which covers a test binary that crashes
// or is killed before Stop runs; elsewhere such a crash leaves the child
// running. Go ends a thread only when a goroutine locked to it with
// runtime.LockOSThread exits, so don't call Start from such a goroutine.
func Start(ctx context.Context, spec Spec) (*Process, error) {
	p := &Process{name: spec.Name, grace: spec.StopGrace, done: make(chan struct{})}
	if p.name == "" {
		p.name = filepath.Base(spec.Path)
	}
	if p.grace <= 0 {
		p.grace = DefaultStopGrace
	}
	var err error
	if spec.LogDir != "" {
		if spec.LogName == "" {
			return nil, fmt.Errorf("%s: childproc.Spec.LogName is required with LogDir", p.name)
		}
		p.logPath = filepath.Join(spec.LogDir, spec.LogName)
		p.log, err = os.Create(p.logPath)
	} else {
		p.log, err = os.CreateTemp("", strings.ReplaceAll(p.name, " ", "-")+"-*.log")
		if err == nil {
			_ = os.Remove(p.log.Name()) // readable through p.log until closed
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", p.name, err)
	}

	// Not CommandContext: ctx bounds the start, not the child's life.
	p.cmd = exec.Command(spec.Path, spec.Args...) //nolint:noctx // see above
	p.cmd.Env = spec.Env
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = sysProcAttr()
	if err := p.cmd.Start(); err != nil {
		p.log.Close()
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()

	if spec.Ready == nil {
		return p, nil
	}
	if err := p.waitReady(ctx, spec.Ready); err != nil {
		tail := p.LogTail(4096) // before Stop closes the log
		_ = p.Stop()
		return nil, fmt.Errorf("%s (%s): %w\n%s", p.name, p.cmd.String(), err, tail)
	}
	return p, nil
}

// waitReady calls ready until it succeeds, the child exits, or ctx is
// done.
func (p *Process) waitReady(ctx context.Context, ready func(context.Context) error) error {
	for {
		last := ready(ctx)
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited during start-up: %v", p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("not answering (last: %v): %w", last, ctx.Err())
		case <-time.After(readyPoll):
		}
	}
}

// Pid returns the child's process ID; on Unix it is also its process
// group ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// LogPath returns the file with the child's output, or "" when
// Spec.LogDir was empty.
func (p *Process) LogPath() string { return p.logPath }

// Done is closed when the child has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// LogTail returns up to the last n bytes of the child's output so far,
// or "" after Stop (read LogPath's file then).
func (p *Process) LogTail(n int64) string {
	fi, err := p.log.Stat()
	if err != nil {
		return ""
	}
	off := max(fi.Size()-n, 0)
	b := make([]byte, fi.Size()-off)
	k, err := p.log.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return ""
	}
	return string(b[:k])
}

// Stop terminates the child: SIGTERM to its process group, then SIGKILL
// to the group if the child has not exited within the grace period
// (Spec.StopGrace). Where there are no process groups (not Unix), the
// child is killed outright. Stop returns once the child has been reaped,
// and closes the log. It returns an error if the child had already
// exited on its own with a failure (it crashed; the error wraps
// *exec.ExitError), or if it could not be signalled. Stop is safe to call
// more than once and from several goroutines; later calls return the
// first call's result.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			if p.waitErr != nil {
				p.stopErr = fmt.Errorf("%s had exited: %w", p.name, p.waitErr)
			}
		default:
			// ESRCH or ErrProcessDone: it exited since the select.
			err := signalGroup(p.cmd.Process, syscall.SIGTERM)
			if err != nil && !errors.Is(err, syscall.ESRCH) && !errors.Is(err, os.ErrProcessDone) {
				p.stopErr = fmt.Errorf("stop %s: %w", p.name, err)
			}
			select {
			case <-p.done:
			case <-time.After(p.grace):
				_ = signalGroup(p.cmd.Process, syscall.SIGKILL)
				<-p.done
			}
		}
		_ = p.log.Close()
	})
	return p.stopErr
}

// FreePort asks the kernel for a free TCP port on host. Another process
// can take it before the child binds it; the child then fails to start,
// and Start's error carries its "address in use".
func FreePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
