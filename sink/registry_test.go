package sink

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-envconfig"
)

func factoryFor(s Sink) Factory {
	return func(context.Context, envconfig.Lookuper) (Sink, error) { return s, nil }
}

func TestRegisterPanics(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		reg   string
		f     Factory
		want  string
		setup func(r *registry)
	}{
		{name: "empty name", reg: "", f: factoryFor(&fakeSink{}), want: "empty name"},
		{name: "nil factory", reg: "x", f: nil, want: "nil factory"},
		{
			name: "duplicate", reg: "x", f: factoryFor(&fakeSink{}), want: "twice",
			setup: func(r *registry) { r.register("x", factoryFor(&fakeSink{})) },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRegistry()
			if tc.setup != nil {
				tc.setup(r)
			}
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tc.want) {
					t.Errorf("register(%q) panicked with %q, want a panic containing %q", tc.reg, msg, tc.want)
				}
			}()
			r.register(tc.reg, tc.f)
		})
	}
}

func TestRegisteredIsSorted(t *testing.T) {
	t.Parallel()
	r := newRegistry()
	for _, name := range []string{"sqlite", "bigquery", "jsonl"} {
		r.register(name, factoryFor(&fakeSink{}))
	}
	if diff := cmp.Diff([]string{"bigquery", "jsonl", "sqlite"}, r.registered()); diff != "" {
		t.Errorf("registered() mismatch (-want +got):\n%s", diff)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		names   []string
		wantErr string
		// wantOpened lists the sinks whose factories must have run.
		wantOpened []string
		wantFanout bool
	}{
		{name: "one", names: []string{"jsonl"}, wantOpened: []string{"jsonl"}},
		{name: "two", names: []string{"sqlite", "jsonl"}, wantOpened: []string{"sqlite", "jsonl"}, wantFanout: true},
		{name: "spaces trimmed", names: []string{" sqlite", "jsonl "}, wantOpened: []string{"sqlite", "jsonl"}, wantFanout: true},
		{name: "unknown", names: []string{"jsonl", "foo"}, wantErr: `unknown or uncompiled sink "foo" (have: jsonl, sqlite)`},
		{name: "duplicate", names: []string{"jsonl", "sqlite", "jsonl"}, wantErr: `sink "jsonl" named twice`},
		{name: "empty name", names: []string{"jsonl", ""}, wantErr: "empty sink name"},
		{name: "none", names: nil, wantErr: "no sink named"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRegistry()
			var opened []string
			sinks := map[string]*fakeSink{"jsonl": {}, "sqlite": {}}
			for name, s := range sinks {
				r.register(name, func(_ context.Context, l envconfig.Lookuper) (Sink, error) {
					if v, _ := l.Lookup("MARK"); v != "set" {
						t.Errorf("factory %s got a lookuper without MARK", name)
					}
					opened = append(opened, name)
					return s, nil
				})
			}

			got, err := r.open(t.Context(), tc.names, envconfig.MapLookuper(map[string]string{"MARK": "set"}))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("open(%q) error = %v, want one containing %q", tc.names, err, tc.wantErr)
				}
				if len(opened) != 0 {
					t.Errorf("open(%q) failed but opened %v: names must be checked first", tc.names, opened)
				}
				return
			}
			if err != nil {
				t.Fatalf("open(%q) = %v", tc.names, err)
			}
			if diff := cmp.Diff(tc.wantOpened, opened); diff != "" {
				t.Errorf("opened mismatch (-want +got):\n%s", diff)
			}
			_, isFanout := got.(*Fanout)
			if isFanout != tc.wantFanout {
				t.Errorf("open(%q) returned %T, want fan-out %v", tc.names, got, tc.wantFanout)
			}
			if !tc.wantFanout && got != Sink(sinks[tc.wantOpened[0]]) {
				t.Errorf("open(%q) = %v, want the sink itself", tc.names, got)
			}
		})
	}
}

// TestOpenClosesOpenedOnFailure checks that when a later sink fails to
// open, the ones opened before it are closed and the error names it.
func TestOpenClosesOpenedOnFailure(t *testing.T) {
	t.Parallel()
	r := newRegistry()
	first, third := &fakeSink{}, &fakeSink{}
	boom := errors.New("boom")
	r.register("first", factoryFor(first))
	r.register("second", func(context.Context, envconfig.Lookuper) (Sink, error) { return nil, boom })
	r.register("third", factoryFor(third))

	_, err := r.open(t.Context(), []string{"first", "second", "third"}, envconfig.MapLookuper(nil))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `"second"`) {
		t.Errorf("open() = %v, want an error wrapping boom and naming \"second\"", err)
	}
	if n := first.closeCount(); n != 1 {
		t.Errorf("first sink closed %d times, want 1", n)
	}
	if n := third.closeCount(); n != 0 {
		t.Errorf("third sink closed %d times, want 0 (never opened)", n)
	}
}
