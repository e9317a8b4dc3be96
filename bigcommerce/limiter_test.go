package bigcommerce

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// simStore is BigCommerce's per-store counter: fixed windows, a quota
// shared by every client, Requests-Left and Time-Reset-Ms on each answer.
// It runs on the synctest bubble's fake time.
type simStore struct {
	quota  int
	window time.Duration

	mu        sync.Mutex
	start     time.Time
	used      int
	perWindow []int
}

// hit counts one request now and returns the answer's headers and
// whether the request was within the quota.
func (s *simStore) hit() (RateLimit, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.start.IsZero() || !now.Before(s.start.Add(s.window)) {
		if !s.start.IsZero() {
			s.perWindow = append(s.perWindow, s.used)
		}
		s.start, s.used = now, 0
	}
	rl := RateLimit{Known: true, Quota: s.quota, Window: s.window, ResetIn: s.start.Add(s.window).Sub(now)}
	if s.used >= s.quota {
		return rl, false
	}
	s.used++
	rl.Left = s.quota - s.used
	return rl, true
}

// client runs n requests through l against s from workers goroutines,
// each request taking about latency. It returns the 429s seen.
func runSim(t *testing.T, l *limiter, s *simStore, workers, n int, latency time.Duration) int {
	t.Helper()
	var mu sync.Mutex
	rejected, next := 0, 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				if next == n {
					mu.Unlock()
					return
				}
				next++
				mu.Unlock()
				if _, err := l.acquire(context.Background()); err != nil {
					t.Errorf("acquire() error = %v", err)
					return
				}
				// The server counts the request half way through.
				half := latency/2 + time.Duration(rand.Int64N(int64(latency/2)))
				time.Sleep(half)
				rl, ok := s.hit()
				time.Sleep(latency - half)
				l.done(rl)
				if !ok {
					mu.Lock()
					rejected++
					mu.Unlock()
					l.pause(time.Now().Add(rl.ResetIn))
				}
			}
		})
	}
	wg.Wait()
	return rejected
}

// TestLimiterNeverExceedsWindow simulates BigCommerce's standard plan (150
// per 30 s) over many windows, alone and with other apps using part of the
// quota, and checks that the limiter never draws a 429 and still uses
// most of the quota.
func TestLimiterNeverExceedsWindow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		instances int // limiters sharing the store (worker instances)
		otherApp  int // requests per window of another app, spread evenly
		requests  int // per instance
	}{
		{name: "alone", instances: 1, requests: 1200},
		{name: "with another app", instances: 1, otherApp: 10, requests: 1000},
		{name: "two instances", instances: 2, requests: 600},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := &simStore{quota: 150, window: 30 * time.Second}
				ctx, stop := context.WithCancel(context.Background())
				defer stop()
				if tc.otherApp > 0 {
					go func() {
						tick := time.NewTicker(s.window / time.Duration(tc.otherApp))
						defer tick.Stop()
						for {
							select {
							case <-ctx.Done():
								return
							case <-tick.C:
								s.hit()
							}
						}
					}()
				}
				start := time.Now()
				var wg sync.WaitGroup
				rejected := make([]int, tc.instances)
				for i := range tc.instances {
					l := newLimiter(realClock{}, DefaultMaxInFlight, DefaultReserve)
					wg.Go(func() { rejected[i] = runSim(t, l, s, 24, tc.requests, 150*time.Millisecond) })
				}
				wg.Wait()
				elapsed := time.Since(start)
				stop()

				for i, r := range rejected {
					if r != 0 {
						t.Errorf("instance %d drew %d 429s", i, r)
					}
				}
				s.mu.Lock()
				defer s.mu.Unlock()
				for i, n := range s.perWindow {
					if n > s.quota {
						t.Errorf("window %d: %d requests, quota %d", i, n, s.quota)
					}
				}
				// Throughput: the quota less the reserve and the other
				// app's share is the most that can be used.
				total := tc.instances * tc.requests
				perWindow := float64(s.quota - 15 - tc.otherApp)
				ideal := time.Duration(float64(total) / perWindow * float64(s.window))
				t.Logf("%d requests in %v (ideal %v); windows %v", total, elapsed, ideal, s.perWindow)
				if elapsed > ideal*5/4+s.window {
					t.Errorf("took %v, want at most %v", elapsed, ideal*5/4+s.window)
				}
			})
		})
	}
}

// TestLimiterUnknownQuota checks that until a response tells the quota,
// one request is in flight at a time.
func TestLimiterUnknownQuota(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(realClock{}, 8, 0.1)
		if _, err := l.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		acquired := make(chan struct{})
		go func() {
			if _, err := l.acquire(context.Background()); err != nil {
				t.Error(err)
			}
			close(acquired)
		}()
		synctest.Wait()
		select {
		case <-acquired:
			t.Fatal("second request admitted while the first is in flight and the quota unknown")
		default:
		}
		l.done(RateLimit{}) // an answer without rate-limit headers
		synctest.Wait()
		select {
		case <-acquired:
		default:
			t.Fatal("second request not admitted after the first completed")
		}
		l.done(RateLimit{Known: true, Quota: 150, Left: 148, Window: 30 * time.Second, ResetIn: 29 * time.Second})
		// Known now: several may be in flight.
		for range 3 {
			if _, err := l.acquire(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if s := l.stats(); !s.Known || s.InFlight != 3 || s.Reserve != 15 {
			t.Errorf("stats = %+v", s)
		}
	})
}

func TestLimiterWaits(t *testing.T) {
	t.Parallel()
	known := RateLimit{Known: true, Quota: 150, Window: 30 * time.Second}
	cases := []struct {
		name     string
		setup    func(l *limiter)
		deadline time.Duration // 0: none
		wantWait time.Duration
		wantErr  error
	}{
		{
			name:     "budget above reserve",
			setup:    func(l *limiter) { l.done(with(known, 100, 20*time.Second)) },
			wantWait: 0,
		},
		{
			name:     "budget at reserve: wait for reset",
			setup:    func(l *limiter) { l.done(with(known, 15, 12*time.Second)) },
			wantWait: 12 * time.Second,
		},
		{
			name:     "429 pause",
			setup:    func(l *limiter) { l.done(RateLimit{}); l.pause(time.Now().Add(7 * time.Second)) },
			wantWait: 7 * time.Second,
		},
		{
			name:     "wait past deadline fails at once",
			setup:    func(l *limiter) { l.done(with(known, 0, 20*time.Second)) },
			deadline: 5 * time.Second,
			wantErr:  ErrRateLimited,
		},
		{
			name: "stale answer ignored",
			setup: func(l *limiter) {
				l.done(with(known, 0, 20*time.Second))
				// A slow answer from the window before says 100 left.
				l.inFlight++
				l.done(with(known, 100, -15*time.Second))
			},
			wantWait: 20 * time.Second,
		},
		{
			name: "same window keeps the lower count",
			setup: func(l *limiter) {
				l.done(with(known, 10, 20*time.Second))
				l.inFlight++
				l.done(with(known, 100, 20*time.Second))
			},
			wantWait: 20 * time.Second,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := newLimiter(realClock{}, 8, 0.1)
				l.inFlight = 1 // setup's first done ends this one
				tc.setup(l)
				ctx := context.Background()
				if tc.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.deadline)
					defer cancel()
				}
				start := time.Now()
				_, err := l.acquire(ctx)
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("acquire() error = %v, want %v", err, tc.wantErr)
				}
				if tc.wantErr != nil && !IsRetryable(err) {
					t.Errorf("IsRetryable(%v) = false", err)
				}
				if got := time.Since(start); got != tc.wantWait {
					t.Errorf("waited %v, want %v", got, tc.wantWait)
				}
			})
		})
	}
}

func with(rl RateLimit, left int, reset time.Duration) RateLimit {
	rl.Left, rl.ResetIn = left, reset
	return rl
}

// TestLimiterInFlightBound checks the per-store concurrency bound, and
// that cancelling a queued acquire neither blocks nor admits it.
func TestLimiterInFlightBound(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(realClock{}, 2, 0.1)
		l.inFlight = 1
		l.done(RateLimit{Known: true, Quota: 1000, Left: 1000, Window: time.Minute, ResetIn: time.Minute})
		for range 2 {
			if _, err := l.acquire(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { _, err := l.acquire(ctx); errc <- err }()
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("acquire() error = %v, want context.Canceled", err)
		}
		if s := l.stats(); s.InFlight != 2 {
			t.Errorf("in flight = %d, want 2", s.InFlight)
		}
	})
}
