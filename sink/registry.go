package sink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// Factory opens a sink. It reads the sink's own settings from l (each sink
// documents its variables) and may connect to or create the destination,
// bounded by ctx, but it starts no background work that outlives the call
// other than what Close stops.
type Factory func(ctx context.Context, l envconfig.Lookuper) (Sink, error)

// cleanupTimeout bounds closing the already opened sinks when Open fails.
// Open runs at startup and its failure ends the process, so this only has
// to be long enough for a flush of an empty sink.
const cleanupTimeout = 10 * time.Second

// registry maps sink names to factories. The package-level functions use
// defaultRegistry; tests build their own so that they do not share state.
type registry struct {
	mu        sync.RWMutex
	factories map[string]Factory
}

var defaultRegistry = newRegistry()

func newRegistry() *registry {
	return &registry{factories: make(map[string]Factory)}
}

// Register makes a sink available to Open under name. It is meant to be
// called from the init function of the sink's package, so that a blank
// import is all it takes to compile a sink in.
//
// Register panics if name is empty or already registered, or if f is nil:
// these are programming errors that should stop the binary at startup, not
// surface later as a confusing "unknown sink".
func Register(name string, f Factory) { defaultRegistry.register(name, f) }

// Registered returns the names of the registered sinks, sorted.
func Registered() []string { return defaultRegistry.registered() }

// Open opens the sinks named in names (typically the SINKS variable, split
// on commas; surrounding spaces are ignored), each with its own settings
// from l. With one name it returns that sink itself; with several, a
// Fanout that writes every batch to all of them.
//
// Every name is checked before any sink is opened, so an unknown name (one
// not registered, perhaps because its package is not compiled in) or a
// repeated one fails without side effects. If opening a sink fails, Open
// closes the sinks it already opened and returns the error.
func Open(ctx context.Context, names []string, l envconfig.Lookuper) (Sink, error) {
	return defaultRegistry.open(ctx, names, l)
}

func (r *registry) register(name string, f Factory) {
	if name == "" {
		panic("sink: Register with empty name")
	}
	if f == nil {
		panic(fmt.Sprintf("sink: Register %q with nil factory", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.factories[name]; dup {
		panic(fmt.Sprintf("sink: Register called twice for %q", name))
	}
	r.factories[name] = f
}

func (r *registry) registered() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.namesLocked()
}

func (r *registry) namesLocked() []string {
	names := make([]string, 0, len(r.factories))
	for name := range r.factories {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func (r *registry) open(ctx context.Context, names []string, l envconfig.Lookuper) (Sink, error) {
	factories, err := r.lookup(names)
	if err != nil {
		return nil, err
	}

	sinks := make([]Sink, 0, len(factories))
	for _, nf := range factories {
		s, err := nf.f(ctx, l)
		if err != nil {
			err = fmt.Errorf("open sink %q: %w", nf.name, err)
			return nil, errors.Join(err, closeAll(context.WithoutCancel(ctx), sinks))
		}
		sinks = append(sinks, s)
	}
	if len(sinks) == 1 {
		return sinks[0], nil
	}
	return NewFanout(sinks...), nil
}

type namedFactory struct {
	name string
	f    Factory
}

// lookup resolves every name to its factory, in order, or fails on the
// first problem with the list.
func (r *registry) lookup(names []string) ([]namedFactory, error) {
	if len(names) == 0 {
		return nil, errors.New("open sinks: no sink named")
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]namedFactory, 0, len(names))
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("open sinks: empty sink name in %q", names)
		}
		f, ok := r.factories[name]
		if !ok {
			return nil, fmt.Errorf("open sinks: unknown or uncompiled sink %q (have: %s)", name, r.listLocked())
		}
		if slices.ContainsFunc(out, func(nf namedFactory) bool { return nf.name == name }) {
			// Two copies of one sink would write every record twice to
			// the same destination.
			return nil, fmt.Errorf("open sinks: sink %q named twice", name)
		}
		out = append(out, namedFactory{name, f})
	}
	return out, nil
}

func (r *registry) listLocked() string {
	if len(r.factories) == 0 {
		return "none"
	}
	return strings.Join(r.namesLocked(), ", ")
}

// closeAll closes sinks concurrently, within cleanupTimeout, and joins
// their errors.
func closeAll(ctx context.Context, sinks []Sink) error {
	if len(sinks) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
	defer cancel()
	return closeConcurrently(ctx, sinks)
}
