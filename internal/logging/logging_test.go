package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"

	"bcstream/internal/logging"
)

var (
	traceID = trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	spanID  = trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
)

func spanCtx(sampled bool) context.Context {
	var flags trace.TraceFlags
	if sampled {
		flags = trace.FlagsSampled
	}
	return trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: spanID, TraceFlags: flags,
	}))
}

// decode parses each output line as a JSON object. It fails the test if a
// line is not one, since Cloud Logging would then store it as plain text.
func decode(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for line := range strings.Lines(out) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q is not a JSON object: %v", line, err)
		}
		objs = append(objs, m)
	}
	return objs
}

func TestNew(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		opts  []logging.Option
		level slog.Leveler
		log   func(*slog.Logger)
		want  []map[string]any
	}{
		{
			name: "severities and keys",
			log: func(l *slog.Logger) {
				l.Debug("dropped")
				l.Info("i", "n", 1)
				l.Warn("w")
				l.Error("e")
				l.Log(context.Background(), slog.LevelError+4, "e4")
			},
			want: []map[string]any{
				{"severity": "INFO", "message": "i", "n": 1.0},
				{"severity": "WARNING", "message": "w"},
				{"severity": "ERROR", "message": "e"},
				{"severity": "ERROR", "message": "e4"},
			},
		},
		{
			name:  "debug level via Level",
			level: logging.Level(slog.LevelDebug),
			log:   func(l *slog.Logger) { l.Debug("d") },
			want:  []map[string]any{{"severity": "DEBUG", "message": "d"}},
		},
		{
			name: "trace keys with project",
			opts: []logging.Option{logging.WithProject("my-proj")},
			log:  func(l *slog.Logger) { l.InfoContext(spanCtx(true), "m") },
			want: []map[string]any{{
				"severity": "INFO", "message": "m",
				"logging.googleapis.com/trace":         "projects/my-proj/traces/4bf92f3577b34da6a3ce929d0e0e4736",
				"logging.googleapis.com/spanId":        "00f067aa0ba902b7",
				"logging.googleapis.com/trace_sampled": true,
			}},
		},
		{
			name: "trace keys without project, not sampled",
			log:  func(l *slog.Logger) { l.InfoContext(spanCtx(false), "m") },
			want: []map[string]any{{
				"severity": "INFO", "message": "m",
				"logging.googleapis.com/trace":         "4bf92f3577b34da6a3ce929d0e0e4736",
				"logging.googleapis.com/spanId":        "00f067aa0ba902b7",
				"logging.googleapis.com/trace_sampled": false,
			}},
		},
		{
			name: "no span, no trace keys",
			log: func(l *slog.Logger) {
				l.InfoContext(context.Background(), "ctx")
				l.Info("plain")
			},
			want: []map[string]any{
				{"severity": "INFO", "message": "ctx"},
				{"severity": "INFO", "message": "plain"},
			},
		},
		{
			name: "groups nest attributes but not trace keys",
			opts: []logging.Option{logging.WithProject("p")},
			log: func(l *slog.Logger) {
				l.With("top", 1).WithGroup("msg").With("id", "m1").WithGroup("bc").With("scope", "order").
					InfoContext(spanCtx(true), "handled", "ms", 2, slog.Group("sub", "k", "v"))
			},
			want: []map[string]any{{
				"severity": "INFO", "message": "handled", "top": 1.0,
				"msg": map[string]any{"id": "m1", "bc": map[string]any{
					"scope": "order", "ms": 2.0, "sub": map[string]any{"k": "v"},
				}},
				"logging.googleapis.com/trace":         "projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736",
				"logging.googleapis.com/spanId":        "00f067aa0ba902b7",
				"logging.googleapis.com/trace_sampled": true,
			}},
		},
		{
			name: "empty groups are omitted, as in slog",
			log:  func(l *slog.Logger) { l.WithGroup("g").Info("m") },
			want: []map[string]any{{"severity": "INFO", "message": "m"}},
		},
		{
			name: "built-in key names inside groups are left alone",
			log:  func(l *slog.Logger) { l.Info("m", slog.Group("g", "level", "x", "msg", "y")) },
			want: []map[string]any{{"severity": "INFO", "message": "m", "g": map[string]any{"level": "x", "msg": "y"}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			tc.log(logging.New(&buf, tc.level, tc.opts...))
			got := decode(t, buf.String())
			for _, m := range got {
				ts, ok := m["time"].(string)
				if !ok {
					t.Fatalf("entry %v has no string time", m)
				}
				if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
					t.Errorf("time %q is not RFC 3339: %v", ts, err)
				}
				delete(m, "time")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("log entries (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNewConcurrentUse checks, under -race, that a grouped logger with
// trace keys can be shared between goroutines.
func TestNewConcurrentUse(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	l := logging.New(&buf, nil).WithGroup("g").With("a", 1)
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 100 {
				l.InfoContext(spanCtx(true), "m", "b", 2)
			}
		}()
	}
	for range 8 {
		<-done
	}
	if n := len(decode(t, buf.String())); n != 800 {
		t.Errorf("got %d entries, want 800", n)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestParseLevel(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{in: "debug", want: slog.LevelDebug},
		{in: "INFO", want: slog.LevelInfo},
		{in: " Warn ", want: slog.LevelWarn},
		{in: "warning", want: slog.LevelWarn},
		{in: "WARNING", want: slog.LevelWarn},
		{in: "error", want: slog.LevelError},
		{in: "", wantErr: true},
		{in: "verbose", wantErr: true},
		{in: "info+2", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := logging.ParseLevel(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseLevel(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("ParseLevel(%q) = %v, want %v", tc.in, got, tc.want)
			}
			var l logging.Level
			if err := l.UnmarshalText([]byte(tc.in)); (err != nil) != tc.wantErr || l.Level() != tc.want {
				t.Errorf("UnmarshalText(%q) = %v, %v", tc.in, l, err)
			}
		})
	}
}

func TestLevelText(t *testing.T) {
	t.Parallel()
	var zero logging.Level
	if zero.Level() != slog.LevelInfo {
		t.Errorf("zero Level = %v, want info", zero)
	}
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		b, err := logging.Level(l).MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back logging.Level
		if err := back.UnmarshalText(b); err != nil || back.Level() != l {
			t.Errorf("round trip of %v via %q = %v, %v", l, b, back, err)
		}
	}
}
