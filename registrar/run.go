package registrar

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Pass is one reconcile pass of Run.
type Pass struct {
	Plan  *Plan
	Start time.Time
}

// Run applies the desired state every interval until ctx is done, healing
// what drifted in between (deactivated webhooks, a deleted topic, a lost
// IAM grant). The first pass starts at once. onPass, when not nil, is
// called after each pass (for logs and health). Run returns nil when ctx
// ends.
func (r *Registrar) Run(ctx context.Context, interval time.Duration, prune bool, onPass func(Pass)) error {
	if interval <= 0 {
		return errors.New("registrar: run interval must be > 0")
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		start := time.Now()
		// Apply fails only when ctx ends; every other problem is in the plan.
		p, _ := r.Apply(ctx, prune)
		if ctx.Err() != nil {
			return nil
		}
		if onPass != nil {
			onPass(Pass{Plan: p, Start: start})
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Health tracks Run's passes for a readiness check: ready once a pass has
// completed, unready when the last pass failed on the Pub/Sub side (no
// store can be served then) or no pass finished within the staleness
// limit (the loop is stuck). Store failures alone keep it ready: they are
// per-store problems, reported in logs, that a restart would not fix.
type Health struct {
	mu    sync.Mutex
	last  time.Time
	err   error
	stale time.Duration
}

// NewHealth returns a tracker that calls the loop stuck after stale
// without a finished pass (use a few intervals).
func NewHealth(stale time.Duration) *Health { return &Health{stale: stale} }

// Observe records a pass.
func (h *Health) Observe(p Pass) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = time.Now()
	h.err = nil
	if p.Plan != nil && p.Plan.GCPErr != "" {
		h.err = fmt.Errorf("pub/sub side failed: %s", p.Plan.GCPErr)
	}
}

// Check is a readiness check (internal/health.Server.AddCheck).
func (h *Health) Check(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.last.IsZero():
		return errors.New("no reconcile pass has finished yet")
	case time.Since(h.last) > h.stale:
		return fmt.Errorf("last reconcile pass finished %s ago", time.Since(h.last).Round(time.Second))
	}
	return h.err
}
