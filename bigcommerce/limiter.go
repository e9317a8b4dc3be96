package bigcommerce

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit is what a response said about the store's request quota
// (BigCommerce's X-Rate-Limit-* headers). BigCommerce counts requests per
// store in fixed windows (30 s on current plans) and shares the quota among
// every app installed on the store.
type RateLimit struct {
	// Known is true when the response carried both Requests-Left and
	// Time-Reset-Ms; the other fields are zero when their header was
	// absent.
	Known bool
	// Quota is X-Rate-Limit-Requests-Quota: requests per window.
	Quota int
	// Left is X-Rate-Limit-Requests-Left: requests left in this window.
	Left int
	// Window is X-Rate-Limit-Time-Window-Ms.
	Window time.Duration
	// ResetIn is X-Rate-Limit-Time-Reset-Ms: time until the window
	// refreshes, as of when the server answered.
	ResetIn time.Duration
	// RetryAfter is X-Retry-After (seconds), sent on 429s.
	RetryAfter time.Duration
}

// parseRateLimit reads the rate-limit headers. Malformed values count as
// absent: a header we cannot read must not stall a store.
func parseRateLimit(h http.Header) RateLimit {
	num := func(name string) (int, bool) {
		v := h.Get(name)
		if v == "" {
			return 0, false
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, false
		}
		return n, true
	}
	var rl RateLimit
	left, okLeft := num("X-Rate-Limit-Requests-Left")
	reset, okReset := num("X-Rate-Limit-Time-Reset-Ms")
	rl.Known = okLeft && okReset
	rl.Left = left
	rl.ResetIn = time.Duration(reset) * time.Millisecond
	rl.Quota, _ = num("X-Rate-Limit-Requests-Quota")
	w, _ := num("X-Rate-Limit-Time-Window-Ms")
	rl.Window = time.Duration(w) * time.Millisecond
	ra, _ := num("X-Retry-After")
	rl.RetryAfter = time.Duration(ra) * time.Second
	return rl
}

// LimiterStats is a snapshot of one store's limiter and circuit.
type LimiterStats struct {
	// Known is true once a response has told the store's quota and window.
	// Until then the limiter lets one request at a time through.
	Known bool
	// Quota and Window are the store's last reported quota and window.
	Quota  int
	Window time.Duration
	// Left is the limiter's estimate of the requests left in the current
	// window (server's figure minus requests sent since); ResetIn is the
	// estimated time until the window refreshes.
	Left    int
	ResetIn time.Duration
	// Reserve is the part of Quota the limiter leaves for other apps.
	Reserve int
	// InFlight is the number of requests sent and not yet answered.
	InFlight int
	// Waits counts the requests that had to wait for the limiter, and
	// WaitTime is their total wait.
	Waits    int64
	WaitTime time.Duration
	// CircuitOpen is true while calls to the store fail fast with
	// ErrStoreUnauthorized.
	CircuitOpen bool
}

// limiter paces one store's requests so that the store's window is never
// exceeded. One exists per store (per API: the B2B API has its own quota),
// created lazily by the Client.
//
// The algorithm, in short:
//
//   - Until a response has told the quota, one request is in flight at a
//     time: no plan is assumed.
//   - After that, the budget is the server's Requests-Left, minus the
//     requests sent since (the server may not have counted them yet),
//     minus a reserve (a fraction of the quota) left for the other apps
//     sharing it. A request goes out only while budget remains; otherwise it
//     waits until the window resets, when the budget is assumed refilled
//     until a response says otherwise.
//   - Within the budget, requests are paced: the remaining budget is spread
//     evenly over the time left in the window (GCRA: one request per
//     ResetIn/budget, with a small burst allowance). Pacing matters when
//     several worker instances share a store: each sees the others' use in
//     the next response's Requests-Left, so spreading keeps the picture
//     fresh instead of letting each spend the same "left" at once.
//   - At most maxInFlight requests are in flight per store.
//   - A 429 pauses the whole store until the server's reset time: after
//     one 429, every call gets 429 until the window refreshes.
//
// Waiting is fair-ish and cheap: callers queue on a one-slot gate channel
// (Go queues blocked senders in FIFO order), and only the gate holder
// evaluates the rules and sleeps; the rest sleep on the channel.
type limiter struct {
	clock       Clock
	maxInFlight int
	reserveFrac float64

	gate chan struct{} // capacity 1: its holder is next in line
	wake chan struct{} // capacity 1: a release or new rate-limit info

	mu          sync.Mutex
	known       bool
	quota       int
	window      time.Duration
	reserve     int
	left        int
	resetAt     time.Time
	pausedUntil time.Time
	tat         time.Time // GCRA theoretical arrival time of the next request
	inFlight    int
	waits       int64
	waitTime    time.Duration
}

func newLimiter(clock Clock, maxInFlight int, reserveFrac float64) *limiter {
	return &limiter{
		clock:       clock,
		maxInFlight: maxInFlight,
		reserveFrac: reserveFrac,
		gate:        make(chan struct{}, 1),
		wake:        make(chan struct{}, 1),
	}
}

// acquire blocks until a request may be sent, then counts it in flight;
// the caller must call done exactly once after a nil error. It returns how
// long it waited. When the wait the rules require would outlast ctx's
// deadline it returns at once, with a retryable error wrapping
// ErrRateLimited, rather than sleep until the deadline.
func (l *limiter) acquire(ctx context.Context) (time.Duration, error) {
	start := l.clock.Now()
	select {
	case l.gate <- struct{}{}:
	case <-ctx.Done():
		return l.clock.Now().Sub(start), ctx.Err()
	}
	defer func() { <-l.gate }()

	for {
		l.mu.Lock()
		now := l.clock.Now()
		wait, ok := l.grantLocked(now)
		if ok {
			waited := now.Sub(start)
			if waited > 0 {
				l.waits++
				l.waitTime += waited
			}
			l.mu.Unlock()
			return waited, nil
		}
		l.mu.Unlock()

		if dl, has := ctx.Deadline(); has && wait > 0 && time.Until(dl) < wait {
			return l.clock.Now().Sub(start), transient(fmt.Errorf("waiting %v for the store's rate limit would pass the deadline: %w", wait.Round(time.Millisecond), ErrRateLimited))
		}
		var timer <-chan time.Time
		if wait > 0 {
			timer = l.clock.After(wait)
		} // else: wait for a release (the in-flight bound)
		select {
		case <-ctx.Done():
			return l.clock.Now().Sub(start), ctx.Err()
		case <-timer:
		case <-l.wake:
		}
	}
}

// grantLocked applies the rules at now. It either counts a request in
// flight (ok) or says how long to wait (0: until a request completes).
func (l *limiter) grantLocked(now time.Time) (wait time.Duration, ok bool) {
	if now.Before(l.pausedUntil) {
		return l.pausedUntil.Sub(now), false
	}
	if !l.known {
		if l.inFlight > 0 {
			return 0, false
		}
		l.inFlight++
		return 0, true
	}
	if l.inFlight >= l.maxInFlight {
		return 0, false
	}
	if !now.Before(l.resetAt) {
		// The window has refreshed. Assume the whole quota is back; the
		// next response corrects this for other apps' use.
		l.left = l.quota
		l.resetAt = now.Add(l.window)
		l.tat = now // a new budget, a new schedule
	}
	usable := l.left - l.reserve
	if usable <= 0 {
		return l.resetAt.Sub(now), false
	}
	// GCRA: requests are due one gap apart; up to burst of them may be
	// sent ahead of schedule.
	gap := l.resetAt.Sub(now) / time.Duration(usable)
	burst := max(1, (l.quota-l.reserve)/10)
	if l.tat.Before(now) {
		l.tat = now
	}
	if ahead := l.tat.Sub(now) - time.Duration(burst-1)*gap; ahead > 0 {
		return ahead, false
	}
	l.tat = l.tat.Add(gap)
	l.left--
	l.inFlight++
	return 0, true
}

// done ends a request counted by acquire and takes in what its response
// said about the quota (rl is the zero RateLimit when there was no
// response).
func (l *limiter) done(rl RateLimit) {
	l.mu.Lock()
	l.inFlight--
	l.observeLocked(l.clock.Now(), rl)
	l.mu.Unlock()
	l.signal()
}

// observeLocked updates the budget from a response's headers.
func (l *limiter) observeLocked(now time.Time, rl RateLimit) {
	if rl.Quota > 0 {
		l.quota = rl.Quota
		l.reserve = min(int(math.Ceil(float64(l.quota)*l.reserveFrac)), l.quota-1)
	}
	if rl.Window > 0 {
		l.window = rl.Window
	}
	if !rl.Known || l.quota == 0 || l.window == 0 {
		return
	}
	// Requests still in flight may not have been counted in rl.Left yet;
	// assume they were not.
	left := rl.Left - l.inFlight
	reset := now.Add(rl.ResetIn)
	switch {
	case !l.known || reset.After(l.resetAt.Add(l.window/2)):
		// First news, or news of a later window than the one we track.
		l.known = true
		l.left, l.resetAt = left, reset
		l.tat = now
	case reset.Before(l.resetAt.Add(-l.window / 2)):
		// A slow response from an earlier window: stale.
	default:
		// Same window: Left only falls within a window, so keep the
		// lower of our count and the server's.
		l.left = min(l.left, left)
		l.resetAt = reset
	}
}

// pause stops every request to the store until t (a 429). It leaves the
// quota budget alone: a quota 429 carries the rate-limit headers, which
// done has already taken in (nothing left until the reset), while a 429
// without them is platform overload, which says nothing about the
// store's quota. Zeroing the budget here once made every platform 429
// stall the store until the end of its 30 s window.
func (l *limiter) pause(t time.Time) {
	l.mu.Lock()
	if t.After(l.pausedUntil) {
		l.pausedUntil = t
	}
	l.mu.Unlock()
	l.signal()
}

// signal wakes the gate holder, if it is waiting.
func (l *limiter) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// stats returns a snapshot.
func (l *limiter) stats() LimiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := LimiterStats{
		Known:    l.known,
		Quota:    l.quota,
		Window:   l.window,
		Reserve:  l.reserve,
		InFlight: l.inFlight,
		Waits:    l.waits,
		WaitTime: l.waitTime,
	}
	if l.known {
		s.Left = l.left
		s.ResetIn = max(0, l.resetAt.Sub(l.clock.Now()))
	}
	return s
}
