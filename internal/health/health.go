// Package health serves the liveness (/healthz) and readiness (/readyz)
// endpoints that Kubernetes probes on GKE. Cloud Run worker pools need no
// port, so the server is optional: an empty address disables it.
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// DefaultCheckTimeout bounds each readiness check unless
	// SetCheckTimeout says otherwise. Kubernetes' default probe timeout is
	// 1 s; a check that takes longer counts as failed rather than making
	// the probe itself time out.
	DefaultCheckTimeout = 800 * time.Millisecond

	// shutdownTimeout bounds the graceful shutdown after ctx is done. Probe
	// requests are tiny, and the process has other work to finish within
	// the SIGTERM budget.
	shutdownTimeout = 2 * time.Second
)

// Server is the probe server. Its methods are safe for concurrent use.
type Server struct {
	addr   string
	logger *slog.Logger
	ready  atomic.Bool
	live   atomic.Bool
	// checkTimeout is a time.Duration.
	checkTimeout atomic.Int64

	mu      sync.Mutex
	checks  []check
	ln      net.Listener
	failing map[string]string // check name → last error logged, to log transitions only
}

type check struct {
	name string
	fn   func(context.Context) error
}

// New returns a server for addr (host:port, e.g. ":8080"); an empty addr
// disables it (Listen, Serve and Run return nil at once). It starts live
// and not ready: call SetReady(true) once the process can do its work, and
// SetReady(false) when it starts shutting down, so Kubernetes stops counting
// the pod as available before it exits. A nil logger discards logs.
func New(addr string, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{addr: addr, logger: logger, failing: map[string]string{}}
	s.live.Store(true)
	s.checkTimeout.Store(int64(DefaultCheckTimeout))
	return s
}

// SetCheckTimeout sets how long each readiness check may take (default
// DefaultCheckTimeout). Keep it below the probe's timeoutSeconds.
func (s *Server) SetCheckTimeout(d time.Duration) { s.checkTimeout.Store(int64(d)) }

// SetReady sets the readiness flag /readyz reports (together with the checks).
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// SetLive sets what /healthz reports. Set it to false only when the process
// cannot recover by itself (a wedged main loop): Kubernetes then restarts
// the container.
func (s *Server) SetLive(live bool) { s.live.Store(live) }

// AddCheck adds a readiness check. /readyz runs every check on each request,
// concurrently, each bounded by the check timeout, and is ready only if all
// return nil. A check with the same name as an earlier one replaces it.
// Checks should be cheap: kubelet probes every few seconds.
func (s *Server) AddCheck(name string, fn func(ctx context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.IndexFunc(s.checks, func(c check) bool { return c.name == name }); i >= 0 {
		s.checks[i].fn = fn
		return
	}
	s.checks = append(s.checks, check{name: name, fn: fn})
}

// Handler returns the server's routes, for tests or for mounting elsewhere.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	return mux
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if !s.live.Load() {
		http.Error(w, "not live", http.StatusServiceUnavailable)
		return
	}
	writeText(w, http.StatusOK, "ok")
}

// readyz answers 200 "ok", or 503 with the failing check names. The check
// errors go to the log, not to the response: the port is reachable from the
// whole cluster, and error text can carry internal details.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeText(w, http.StatusServiceUnavailable, "not ready")
		return
	}
	s.mu.Lock()
	checks := slices.Clone(s.checks)
	s.mu.Unlock()

	timeout := time.Duration(s.checkTimeout.Load())
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			errs[i] = runCheck(ctx, c.fn)
		})
	}
	wg.Wait()

	var failed []string
	for i, c := range checks {
		s.logTransition(r.Context(), c.name, errs[i])
		if errs[i] != nil {
			failed = append(failed, c.name)
		}
	}
	if len(failed) > 0 {
		writeText(w, http.StatusServiceUnavailable, "not ready: "+strings.Join(failed, ", "))
		return
	}
	writeText(w, http.StatusOK, "ok")
}

// runCheck runs fn, returning ctx's error if fn outlives ctx (a check that
// ignores its ctx must not hold the probe) and an error if fn panics.
func runCheck(ctx context.Context, fn func(context.Context) error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("panic: %v", p)
			}
		}()
		done <- fn(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done: // finished just in time; prefer its answer
			return err
		default:
			return ctx.Err()
		}
	}
}

// logTransition logs when a check starts failing, changes its error, or
// recovers, rather than on every probe.
func (s *Server) logTransition(ctx context.Context, name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, wasFailing := s.failing[name]
	switch {
	case err != nil && (!wasFailing || prev != err.Error()):
		s.failing[name] = err.Error()
		s.logger.WarnContext(ctx, "readiness check failing", "check", name, "error", err)
	case err == nil && wasFailing:
		delete(s.failing, name)
		s.logger.InfoContext(ctx, "readiness check recovered", "check", name)
	}
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body + "\n"))
}

// Listen binds the address, so that a bad HEALTH_ADDR or a port in use fails
// at startup and Addr is known before Serve. It is a no-op when the server
// is disabled or already listening.
func (s *Server) Listen() error {
	if s.addr == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	s.ln = ln
	return nil
}

// Addr returns the bound address (e.g. "127.0.0.1:41234" for "127.0.0.1:0"),
// or "" before Listen or when disabled.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Serve serves on the listener from Listen (calling Listen itself if needed)
// until ctx is done, then shuts down gracefully within 2 s and returns nil.
// It returns an error if serving fails. It returns nil at once when the
// server is disabled. Serve may be called once.
func (s *Server) Serve(ctx context.Context) error {
	if s.addr == "" {
		return nil
	}
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()

	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      5 * time.Second,
		IdleTimeout:       60 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("health: %w", err)
	case <-ctx.Done():
	}
	// ctx is done, so derive the deadline from a ctx that isn't.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		err = errors.Join(fmt.Errorf("health: shutdown: %w", err), srv.Close())
	}
	if serr := <-serveErr; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("health: %w", serr))
	}
	return err
}

// Run is Listen followed by Serve.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	return s.Serve(ctx)
}
