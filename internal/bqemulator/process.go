package bqemulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const (
	// DefaultStartTimeout bounds the wait for a started emulator to
	// answer. It starts in well under a second when idle; a loaded CI
	// machine building or running other tests is much slower.
	DefaultStartTimeout = 60 * time.Second

	stopGrace = 5 * time.Second
)

// Options configure Start.
type Options struct {
	// Binary is the emulator to run; "" means Ensure's (which may build
	// it).
	Binary string
	// Progress receives Ensure's progress lines when it builds; nil
	// discards them.
	Progress io.Writer
	// Project is the project the emulator serves; required (the emulator
	// knows exactly one).
	Project string
	// Host is the address to bind; "" means 127.0.0.1 (the emulator has
	// no authentication).
	Host string
	// RESTPort and GRPCPort are the ports to bind; 0 means a free one.
	RESTPort, GRPCPort int
	// LogDir, if set, receives the emulator's output in
	// bigquery-emulator-<rest port>.log; otherwise it goes to an unlinked
	// temporary file, readable through LogTail.
	LogDir string
	// StartTimeout bounds the wait for the emulator to answer; 0 means
	// DefaultStartTimeout.
	StartTimeout time.Duration
}

// Process is a running emulator. Stop it when done.
type Process struct {
	cmd      *exec.Cmd
	project  string
	restAddr string
	grpcAddr string
	logPath  string
	log      *os.File

	done    chan struct{}
	waitErr error

	stopOnce sync.Once
	stopErr  error
}

// Start runs the emulator (building it first if needed, see Ensure) with
// in-memory storage and waits until its REST API answers. ctx bounds the
// build and the wait, not the emulator's life: it runs until Stop. On
// error nothing is left running, and the error carries the tail of the
// emulator's output.
//
// The emulator runs in its own process group, which Stop signals; on
// Linux the kernel also kills it if the thread that started it exits, so
// a crashed test binary does not leave it behind.
func Start(ctx context.Context, opts Options) (*Process, error) {
	if opts.Project == "" {
		return nil, errors.New("bqemulator: Options.Project is required")
	}
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = Ensure(ctx, opts.Progress); err != nil {
			return nil, err
		}
	}
	host := opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	restPort, grpcPort := opts.RESTPort, opts.GRPCPort
	var err error
	if restPort == 0 {
		if restPort, err = freePort(host); err != nil {
			return nil, err
		}
	}
	if grpcPort == 0 {
		if grpcPort, err = freePort(host); err != nil {
			return nil, err
		}
	}
	p := &Process{
		project:  opts.Project,
		restAddr: net.JoinHostPort(host, strconv.Itoa(restPort)),
		grpcAddr: net.JoinHostPort(host, strconv.Itoa(grpcPort)),
		done:     make(chan struct{}),
	}
	if opts.LogDir != "" {
		p.logPath = filepath.Join(opts.LogDir, fmt.Sprintf("bigquery-emulator-%d.log", restPort))
		p.log, err = os.Create(p.logPath)
	} else {
		p.log, err = os.CreateTemp("", "bigquery-emulator-*.log")
		if err == nil {
			_ = os.Remove(p.log.Name())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bigquery emulator log: %w", err)
	}

	// Not CommandContext: ctx bounds the start, not the emulator's life.
	p.cmd = exec.Command(bin, //nolint:noctx // see above
		"--project="+opts.Project,
		"--host="+host,
		"--port="+strconv.Itoa(restPort),
		"--grpc-port="+strconv.Itoa(grpcPort),
		"--log-level=warn",
	)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = sysProcAttr()
	if err := p.cmd.Start(); err != nil {
		p.log.Close()
		return nil, fmt.Errorf("start bigquery emulator: %w", err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()

	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := p.waitReady(wctx); err != nil {
		logTail := p.LogTail(4096)
		_ = p.Stop()
		return nil, fmt.Errorf("bigquery emulator (%s) on %s: %w\n%s", p.cmd.String(), p.restAddr, err, logTail)
	}
	return p, nil
}

// waitReady polls the REST API's dataset list until it answers 200.
func (p *Process) waitReady(ctx context.Context) error {
	url := p.RESTEndpoint() + "/bigquery/v2/projects/" + p.project + "/datasets"
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("exited during start-up: %v", p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("not answering (last: %v): %w", last, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Project returns the project the emulator serves.
func (p *Process) Project() string { return p.project }

// RESTEndpoint returns the REST API's base URL, e.g.
// http://127.0.0.1:9050: the value for BIGQUERY_ENDPOINT.
func (p *Process) RESTEndpoint() string { return "http://" + p.restAddr }

// GRPCEndpoint returns the Storage API's host:port: the value for
// BIGQUERY_STORAGE_ENDPOINT.
func (p *Process) GRPCEndpoint() string { return p.grpcAddr }

// Env returns the variables that point the worker's BigQuery sink at this
// emulator (add BIGQUERY_DATASET and SINKS=bigquery).
func (p *Process) Env() []string {
	return []string{
		"BIGQUERY_PROJECT=" + p.project,
		"BIGQUERY_ENDPOINT=" + p.RESTEndpoint(),
		"BIGQUERY_STORAGE_ENDPOINT=" + p.GRPCEndpoint(),
	}
}

// Pid returns the emulator's process ID (also its process group ID).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// LogPath returns the file with the emulator's output, or "" when
// Options.LogDir was empty.
func (p *Process) LogPath() string { return p.logPath }

// Done is closed when the emulator has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// LogTail returns up to the last n bytes of the emulator's output, or ""
// after Stop.
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

// Stop terminates the emulator: SIGTERM to its process group, then
// SIGKILL after 5 s. It returns once the process is reaped, with an error
// if it had crashed before. It is safe to call more than once.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			if p.waitErr != nil {
				p.stopErr = fmt.Errorf("bigquery emulator had exited: %w", p.waitErr)
			}
		default:
			if err := signalGroup(p.cmd.Process.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
				p.stopErr = fmt.Errorf("stop bigquery emulator: %w", err)
			}
			select {
			case <-p.done:
			case <-time.After(stopGrace):
				_ = signalGroup(p.cmd.Process.Pid, syscall.SIGKILL)
				<-p.done
			}
		}
		_ = p.log.Close()
	})
	return p.stopErr
}
