package main_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/pstest"
	_ "modernc.org/sqlite"

	"bcstream/bigcommerce"
	"bcstream/bigcommerce/bctest"
	"bcstream/internal/pubsubtest"
	"bcstream/pipeline"
	"bcstream/registrar"
)

const project = "worker-it"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// workerBinary builds this package once per test run: these tests run
// the real binary as a separate process, as production does.
func workerBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bcstream-worker-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "worker")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// stack is one emulator with bcstream's topology and a SQLite file.
type stack struct {
	host   string
	client *pubsub.Client
	top    registrar.Topology
	dbPath string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	emu := pubsubtest.StartOrSkipShort(t)
	client := pubsubtest.NewClient(t, emu.Host, project)
	top := registrar.DefaultTopology()
	top.MinBackoff, top.MaxBackoff = time.Second, 2*time.Second
	// A short ack deadline brings a killed worker's leased messages back soon.
	top.AckDeadline = 10 * time.Second
	if err := registrar.EnsureTopology(t.Context(), client, top); err != nil {
		t.Fatal(err)
	}
	return &stack{host: emu.Host, client: client, top: top, dbPath: filepath.Join(t.TempDir(), "events.db")}
}

// newFakeStack serves Pub/Sub from pstest inside the test process; the
// worker binary still reaches it over TCP like any emulator. The crash
// test uses it because pstest records every ack, which makes "nothing
// acked that was not written" checkable. Against Google's emulator 0.8.20
// the same test left 50–500 of 27k events undelivered for minutes after
// the SIGKILL: with debug logging, the killed worker had never received
// them, and neither a new worker nor a unary Pull got them back. A bare
// Receive-and-ack consumer killed the same way lost none, so the cause is
// open (see the closing note of the worker-core issue); the 10k test
// above keeps the emulator as its target.
func newFakeStack(t *testing.T) (*stack, *pstest.Server) {
	t.Helper()
	srv := pstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	client := pubsubtest.NewClient(t, srv.Addr, project)
	top := registrar.DefaultTopology()
	top.MaxDeliveryAttempts = 0 // pstest re-publishes dead letters in a loop
	top.MinBackoff, top.MaxBackoff = 0, 0
	top.AckDeadline = 10 * time.Second
	if err := registrar.EnsureTopology(t.Context(), client, top); err != nil {
		t.Fatal(err)
	}
	return &stack{host: srv.Addr, client: client, top: top, dbPath: filepath.Join(t.TempDir(), "events.db")}, srv
}

// backlog is what a test published, and what it therefore expects.
type backlog struct {
	uniqueIDs map[string]bool   // event IDs of the valid events
	malformed map[string]string // payload → expected dead-letter reason
	total     int
}

// publish sends n messages: new events, ~dup re-sent ones and ~bad
// malformed ones.
func (s *stack) publish(t *testing.T, n int, dup, bad float64, seed int64) backlog {
	t.Helper()
	gen := bctest.NewGenerator(seed, bctest.DefaultStores(8))
	rng := rand.New(rand.NewPCG(uint64(seed), 3))
	b := backlog{uniqueIDs: map[string]bool{}, malformed: map[string]string{}, total: n}
	p := s.client.Publisher(s.top.Topic)
	defer p.Stop()
	var results []*pubsub.PublishResult
	for range n {
		var data []byte
		switch r := rng.Float64(); {
		case r < bad:
			data = gen.Malformed()
			_, err := bigcommerce.Decode(data)
			if err == nil {
				t.Fatalf("generator's malformed payload decodes: %s", data)
			}
			b.malformed[string(data)] = bigcommerce.Reason(err)
		case r < bad+dup && len(b.uniqueIDs) > 0:
			data = gen.Redeliver()
		default:
			data = gen.Next()
			ev, err := bigcommerce.Decode(data)
			if err != nil {
				t.Fatalf("generated event does not decode: %v\n%s", err, data)
			}
			b.uniqueIDs[pipeline.EventID(&ev)] = true
		}
		results = append(results, p.Publish(t.Context(), &pubsub.Message{Data: data}))
	}
	for _, r := range results {
		if _, err := r.Get(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// startWorker runs the worker binary against the stack.
func (s *stack) startWorker(t *testing.T, extraEnv ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(workerBinary(t))
	cmd.Env = append(os.Environ(),
		"PUBSUB_EMULATOR_HOST="+s.host,
		"GOOGLE_CLOUD_PROJECT="+project,
		"PUBSUB_SUBSCRIPTION="+s.top.Subscription,
		"PUBSUB_DEAD_LETTER_TOPIC="+s.top.DeadLetterTopic,
		"PUBSUB_STREAMS=8",
		"SINKS=sqlite",
		"SQLITE_PATH="+s.dbPath,
		"OTEL_TRACES_EXPORTER=none",
		"OTEL_METRICS_EXPORTER=none",
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, &out
}

func wait(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer, limit time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exited with %v:\n%s", err, out)
		}
	case <-time.After(limit):
		cmd.Process.Kill()
		t.Fatalf("worker did not exit within %v:\n%s", limit, out)
	}
}

// stored returns the event IDs in the SQLite sink and the row count.
func (s *stack) stored(t *testing.T) (map[string]bool, int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+s.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT event_id FROM events")
	if err != nil {
		return map[string]bool{}, 0 // not created yet
	}
	defer rows.Close()
	ids := map[string]bool{}
	n := 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
		n++
	}
	return ids, n
}

// assertExactlyUnique checks the sink holds every unique event once and
// nothing else.
func (s *stack) assertExactlyUnique(t *testing.T, b backlog) {
	t.Helper()
	ids, rows := s.stored(t)
	if rows != len(ids) {
		t.Errorf("%d rows but %d distinct event IDs: an event was written twice", rows, len(ids))
	}
	missing := 0
	for id := range b.uniqueIDs {
		if !ids[id] {
			missing++
		}
	}
	extra := 0
	for id := range ids {
		if !b.uniqueIDs[id] {
			extra++
		}
	}
	if missing > 0 || extra > 0 {
		t.Fatalf("sink holds %d events: %d of %d unique events missing, %d unexpected", len(ids), missing, len(b.uniqueIDs), extra)
	}
}

// assertDrained checks the worker's subscription has nothing left.
func (s *stack) assertDrained(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	var left int
	var mu sync.Mutex
	s.client.Subscriber(s.top.Subscription).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		mu.Lock()
		left++
		mu.Unlock()
		m.Nack()
	})
	if left > 0 {
		t.Fatalf("%d messages still undelivered or unacked on the worker's subscription", left)
	}
}

// deadLetters drains the dead-letter keep subscription: payload → reason.
func (s *stack) deadLetters(t *testing.T, want int) map[string]string {
	t.Helper()
	got := map[string]string{}
	var mu sync.Mutex
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s.client.Subscriber(s.top.DeadLetterSubscription).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		mu.Lock()
		defer mu.Unlock()
		got[string(m.Data)] = m.Attributes[pipeline.AttrReason]
		if len(got) >= want {
			// Linger briefly so that anything unexpected also arrives.
			time.AfterFunc(time.Second, cancel)
		}
	})
	return got
}

func TestIntegration_TenThousandEventsExactlyOnce(t *testing.T) {
	s := newStack(t)
	b := s.publish(t, 10_000, 0.10, 0.01, 42)
	t.Logf("published %d messages: %d unique events, %d malformed", b.total, len(b.uniqueIDs), len(b.malformed))

	cmd, out := s.startWorker(t, "EXIT_WHEN_IDLE=3s")
	wait(t, cmd, out, 2*time.Minute)

	s.assertExactlyUnique(t, b)
	dl := s.deadLetters(t, len(b.malformed))
	if len(dl) != len(b.malformed) {
		t.Errorf("dead-letter topic holds %d distinct messages, want the %d malformed ones", len(dl), len(b.malformed))
	}
	for payload, want := range b.malformed {
		if got, ok := dl[payload]; !ok {
			t.Errorf("malformed payload not dead-lettered: %.80q", payload)
		} else if got != want {
			t.Errorf("dead-letter reason %q, want %q for %.80q", got, want, payload)
		}
	}
	for payload := range dl {
		if _, ok := b.malformed[payload]; !ok {
			t.Errorf("a valid message was dead-lettered: %.80q", payload)
		}
	}
	s.assertDrained(t)
}

// The worker is stopped mid-stream twice, once gracefully (SIGTERM) and
// once not at all (SIGKILL), and restarted each time. Nothing may be lost,
// no event may be stored twice, and no message may be acked whose event is
// not in the sink.
func TestIntegration_CrashAndRestart(t *testing.T) {
	t.Parallel()
	s, srv := newFakeStack(t)
	b := s.publish(t, 30_000, 0.10, 0, 7)

	waitRows := func(min int, out *bytes.Buffer) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			if _, n := s.stored(t); n >= min {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d rows after a minute:\n%s", min, out)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The lease cap brings the killed worker's messages back after ~10 s.
	env := []string{"PUBSUB_MAX_ACK_EXTENSION_PERIOD=10s", "BATCH_MAX_ROWS=100"}

	cmd, out := s.startWorker(t, env...)
	waitRows(3_000, out)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	wait(t, cmd, out, 10*time.Second) // inside Cloud Run's SIGTERM window
	t.Logf("SIGTERM: exited cleanly in %v", time.Since(start).Round(time.Millisecond))
	if !bytes.Contains(out.Bytes(), []byte(`"worker stopped"`)) {
		t.Errorf("no shutdown summary after SIGTERM:\n%s", out)
	}
	s.assertAckedWereWritten(t, srv)
	_, afterTerm := s.stored(t)

	cmd, out = s.startWorker(t, env...)
	waitRows(afterTerm+5_000, out)
	cmd.Process.Kill()
	cmd.Wait()
	s.assertAckedWereWritten(t, srv)
	_, afterKill := s.stored(t)
	t.Logf("rows after SIGTERM %d, after SIGKILL %d, unique events %d", afterTerm, afterKill, len(b.uniqueIDs))
	if afterKill >= len(b.uniqueIDs) {
		t.Fatalf("the SIGKILL did not land mid-stream (%d of %d written)", afterKill, len(b.uniqueIDs))
	}

	// The killed worker's leased messages come back once their leases
	// lapse; the last worker runs until everything is written.
	cmd, out = s.startWorker(t, env...)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if ids, _ := s.stored(t); len(ids) >= len(b.uniqueIDs) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	wait(t, cmd, out, 10*time.Second)
	s.assertExactlyUnique(t, b)
	s.assertAckedWereWritten(t, srv)
}

// assertAckedWereWritten checks, from pstest's own records, that every
// acked message's event is in the sink.
func (s *stack) assertAckedWereWritten(t *testing.T, srv *pstest.Server) {
	t.Helper()
	ids, _ := s.stored(t)
	topic := "projects/" + project + "/topics/" + s.top.Topic
	bad := 0
	for _, m := range srv.Messages() {
		if m.Topic != topic || m.Acks == 0 {
			continue
		}
		ev, err := bigcommerce.Decode(m.Data)
		if err != nil {
			continue // malformed: acked after dead-lettering
		}
		if !ids[pipeline.EventID(&ev)] {
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%d messages were acked but their events are not in the sink", bad)
	}
}
