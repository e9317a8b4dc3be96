package health_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bcstream/internal/health"
)

type response struct {
	Code int
	Body string
}

func get(t *testing.T, addr, path string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, strings.TrimSpace(string(b))}
}

// start runs s on a free loopback port until the test ends, and checks that
// Serve returns nil after its ctx is cancelled.
func start(t *testing.T, s *health.Server) string {
	t.Helper()
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve() = %v after cancel, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve() did not return after cancel")
		}
	})
	return s.Addr()
}

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestProbes(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	s := health.New("127.0.0.1:0", slog.New(slog.NewTextHandler(&logs, nil)))
	// Generous: these checks return at once, but a loaded CI machine can
	// stall a goroutine for longer than the production default.
	s.SetCheckTimeout(30 * time.Second)
	if got := s.Addr(); got != "" {
		t.Errorf("Addr() before Listen = %q, want empty", got)
	}
	addr := start(t, s)
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Fatalf("Addr() = %q, want 127.0.0.1:<port>", addr)
	}

	var sinkErr error
	var mu sync.Mutex
	s.AddCheck("pubsub", func(context.Context) error { return nil })
	s.AddCheck("sink", func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return sinkErr
	})
	setSinkErr := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		sinkErr = err
	}

	steps := []struct {
		name   string
		do     func()
		health response
		ready  response
	}{
		{
			name:   "starts live, not ready",
			health: response{200, "ok"},
			ready:  response{503, "not ready"},
		},
		{
			name:   "ready",
			do:     func() { s.SetReady(true) },
			health: response{200, "ok"},
			ready:  response{200, "ok"},
		},
		{
			name:   "failing check is named, its error is not",
			do:     func() { setSinkErr(errors.New("dial tcp 10.0.0.7:5432: refused")) },
			health: response{200, "ok"},
			ready:  response{503, "not ready: sink"},
		},
		{
			name:   "recovered",
			do:     func() { setSinkErr(nil) },
			health: response{200, "ok"},
			ready:  response{200, "ok"},
		},
		{
			name:   "not live",
			do:     func() { s.SetLive(false) },
			health: response{503, "not live"},
			ready:  response{200, "ok"},
		},
		{
			name:   "shutting down",
			do:     func() { s.SetLive(true); s.SetReady(false) },
			health: response{200, "ok"},
			ready:  response{503, "not ready"},
		},
	}
	for _, st := range steps {
		if st.do != nil {
			st.do()
		}
		if diff := cmp.Diff(st.health, get(t, addr, "/healthz")); diff != "" {
			t.Errorf("%s: /healthz (-want +got):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(st.ready, get(t, addr, "/readyz")); diff != "" {
			t.Errorf("%s: /readyz (-want +got):\n%s", st.name, diff)
		}
	}

	// The error is logged once when the check starts failing and once when
	// it recovers, not on every probe.
	out := logs.String()
	if n := strings.Count(out, "readiness check failing"); n != 1 {
		t.Errorf("logged %d failures, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "10.0.0.7:5432") || strings.Count(out, "readiness check recovered") != 1 {
		t.Errorf("logs lack the error or the recovery:\n%s", out)
	}
	if got := get(t, addr, "/other"); got.Code != http.StatusNotFound {
		t.Errorf("/other = %d, want 404", got.Code)
	}
}

func TestChecksAreBounded(t *testing.T) {
	t.Parallel()
	s := health.New("127.0.0.1:0", nil)
	const timeout = 300 * time.Millisecond
	s.SetCheckTimeout(timeout)
	addr := start(t, s)
	s.SetReady(true)
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	s.AddCheck("ignores-ctx", func(context.Context) error { <-block; return nil })
	s.AddCheck("honours-ctx", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	s.AddCheck("panics", func(context.Context) error { panic("boom") })

	begin := time.Now()
	got := get(t, addr, "/readyz")
	if d := time.Since(begin); d > timeout+3*time.Second {
		t.Errorf("/readyz took %v, want about the check timeout (%v): checks must run concurrently and be bounded", d, timeout)
	}
	want := response{503, "not ready: ignores-ctx, honours-ctx, panics"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("/readyz (-want +got):\n%s", diff)
	}

	// A check added again under the same name replaces the first.
	s.SetCheckTimeout(30 * time.Second) // see TestProbes
	for _, name := range []string{"ignores-ctx", "honours-ctx", "panics"} {
		s.AddCheck(name, func(context.Context) error { return nil })
	}
	if diff := cmp.Diff(response{200, "ok"}, get(t, addr, "/readyz")); diff != "" {
		t.Errorf("/readyz after replacing checks (-want +got):\n%s", diff)
	}
}

func TestDisabled(t *testing.T) {
	t.Parallel()
	s := health.New("", nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel() // not needed to return: disabled servers return at once
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run() of a disabled server did not return")
	}
	if err := s.Listen(); err != nil || s.Addr() != "" {
		t.Errorf("disabled Listen() = %v, Addr() = %q", err, s.Addr())
	}
}

func TestListenErrors(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, addr := range []string{busy.Addr().String(), "not-an-address"} {
		s := health.New(addr, nil)
		if err := s.Run(t.Context()); err == nil {
			t.Errorf("Run() on %q = nil, want an error", addr)
		}
	}
}

func TestRunShutsDownGracefully(t *testing.T) {
	t.Parallel()
	s := health.New("127.0.0.1:0", nil)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()

	// A check that is still running when ctx is cancelled must be allowed
	// to finish: the response arrives although Run was told to stop.
	release := make(chan struct{})
	entered := make(chan struct{})
	s.AddCheck("slow", func(context.Context) error {
		close(entered)
		<-release
		return nil
	})
	s.SetReady(true)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	respCh := make(chan response, 1)
	go func() { respCh <- get(t, addr, "/readyz") }()
	<-entered
	cancel()
	time.Sleep(50 * time.Millisecond) // let Shutdown start
	close(release)

	if got := <-respCh; got.Code != http.StatusOK {
		t.Errorf("in-flight /readyz = %+v, want 200", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run() did not return after cancel")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still accepting connections after Run returned")
	}
}
