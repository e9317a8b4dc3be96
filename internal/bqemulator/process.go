package bqemulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"bcstream/internal/childproc"
)

// DefaultStartTimeout bounds the wait for a started emulator to answer.
// It starts in well under a second when idle; a loaded CI machine
// building or running other tests is much slower.
const DefaultStartTimeout = 60 * time.Second

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

// Process is a running emulator. Stop it when done. Its Pid (also its
// process group ID), LogPath (the file with the emulator's output, or ""
// when Options.LogDir was empty), Done, LogTail and Stop (SIGTERM to the
// group, SIGKILL after 5 s, an error if it had crashed) come from
// childproc.Process.
type Process struct {
	*childproc.Process
	project  string
	restAddr string
	grpcAddr string
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
		if restPort, err = childproc.FreePort(host); err != nil {
			return nil, err
		}
	}
	if grpcPort == 0 {
		if grpcPort, err = childproc.FreePort(host); err != nil {
			return nil, err
		}
	}
	p := &Process{
		project:  opts.Project,
		restAddr: net.JoinHostPort(host, strconv.Itoa(restPort)),
		grpcAddr: net.JoinHostPort(host, strconv.Itoa(grpcPort)),
	}

	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p.Process, err = childproc.Start(wctx, childproc.Spec{
		Name: "bigquery emulator",
		Path: bin,
		Args: []string{
			"--project=" + opts.Project,
			"--host=" + host,
			"--port=" + strconv.Itoa(restPort),
			"--grpc-port=" + strconv.Itoa(grpcPort),
			"--log-level=warn",
		},
		LogDir:  opts.LogDir,
		LogName: fmt.Sprintf("bigquery-emulator-%d.log", restPort),
		Ready:   p.ready,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ready returns nil once the REST API's dataset list answers 200.
func (p *Process) ready(ctx context.Context) error {
	url := p.RESTEndpoint() + "/bigquery/v2/projects/" + p.project + "/datasets"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := readyClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// readyClient bounds each of ready's requests.
var readyClient = &http.Client{Timeout: 2 * time.Second}

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
