package bctest

import (
	"net/http"
	"strconv"
	"time"
)

// limiter is one store's quota for one API, as BigCommerce documents it:
// every request consumes one unit of a quota that refreshes every window
// ("Each API request consumes one quota unit. The system rejects later
// requests once it reaches the quota. This continues until the quota is
// refreshed."). It is a fixed window that opens with the first request
// after the previous one ended, so X-Rate-Limit-Time-Reset-Ms counts down
// from the window size; once the quota is spent every request gets 429
// until the window ends. Requests answered 429 count against the window
// too (they are reported in MaxPerWindow), though they cannot make it
// worse.
//
// It also records the statistics of LimitStats. Its owner's ctl mutex
// guards it.
type limiter struct {
	quota  int // < 0: unlimited
	window time.Duration

	start time.Time // current window's start; zero before the first request
	used  int       // requests counted in the current window

	requests, limited, windows int64
	maxWindow                  int
	recent                     []time.Time // request times in the last window, oldest first
	maxSliding                 int
}

// verdict is the limiter's answer to one request.
type verdict struct {
	ok    bool
	left  int           // requests left in the window
	reset time.Duration // until the window ends
}

// take counts a request at now.
func (l *limiter) take(now time.Time) verdict {
	if l.start.IsZero() || !now.Before(l.start.Add(l.window)) {
		l.start, l.used = now, 0
		l.windows++
	}
	l.used++
	l.requests++
	l.maxWindow = max(l.maxWindow, l.used)

	cut := now.Add(-l.window)
	i := 0
	for i < len(l.recent) && !l.recent[i].After(cut) {
		i++
	}
	l.recent = append(l.recent[i:], now)
	l.maxSliding = max(l.maxSliding, len(l.recent))

	v := verdict{ok: l.quota < 0 || l.used <= l.quota, left: max(l.quota-l.used, 0), reset: l.start.Add(l.window).Sub(now)}
	if !v.ok {
		l.limited++
	}
	return v
}

// peek returns the state at now without counting a request (for
// responses that never reach the limiter, such as 401s).
func (l *limiter) peek(now time.Time) verdict {
	if l.start.IsZero() || !now.Before(l.start.Add(l.window)) {
		return verdict{ok: true, left: max(l.quota, 0), reset: l.window}
	}
	return verdict{ok: l.used < l.quota, left: max(l.quota-l.used, 0), reset: l.start.Add(l.window).Sub(now)}
}

// setHeaders writes the four X-Rate-Limit-* headers for v (none for an
// unlimited quota), and X-Retry-After on a rejection.
func (l *limiter) setHeaders(h http.Header, v verdict) {
	if l.quota < 0 {
		return
	}
	h.Set("X-Rate-Limit-Time-Window-Ms", strconv.FormatInt(l.window.Milliseconds(), 10))
	h.Set("X-Rate-Limit-Time-Reset-Ms", strconv.FormatInt(ceilDiv(v.reset, time.Millisecond), 10))
	h.Set("X-Rate-Limit-Requests-Quota", strconv.Itoa(l.quota))
	h.Set("X-Rate-Limit-Requests-Left", strconv.Itoa(v.left))
	if !v.ok {
		h.Set("X-Retry-After", strconv.FormatInt(ceilDiv(v.reset, time.Second), 10))
	}
}

// ceilDiv returns d/unit rounded up, at least 1: a client told "0 ms"
// would retry at once into the same window.
func ceilDiv(d, unit time.Duration) int64 {
	return max(int64((d+unit-1)/unit), 1)
}

func (l *limiter) stats() LimitStats {
	return LimitStats{Quota: l.quota, Window: l.window, Requests: l.requests, RateLimited: l.limited,
		Windows: l.windows, MaxPerWindow: l.maxWindow, MaxSliding: l.maxSliding}
}

func (l *limiter) resetStats() {
	l.requests, l.limited, l.windows, l.maxWindow, l.maxSliding = 0, 0, 0, 0, 0
	l.recent = nil
	if !l.start.IsZero() {
		l.windows, l.maxWindow = 1, l.used
	}
}

// LimitStats describes the traffic one rate limit saw.
type LimitStats struct {
	// Quota and Window are the limit: Quota requests per Window (Quota < 0:
	// unlimited).
	Quota  int
	Window time.Duration
	// Requests counts the requests that reached the limiter: authenticated
	// ones not cut short by a connection-drop or platform-load fault.
	Requests int64
	// RateLimited counts the requests the quota rejected (429 with the
	// rate-limit headers).
	RateLimited int64
	// Windows counts the quota windows opened.
	Windows int64
	// MaxPerWindow is the most requests counted in one quota window,
	// rejected ones included: a client that never exceeded the quota has
	// MaxPerWindow <= Quota.
	MaxPerWindow int
	// MaxSliding is the most requests in any span of one Window's length,
	// wherever the quota windows started. It can reach 2×Quota for a
	// client that spends a window's quota at its end and the next one's at
	// its start; it is the stricter measure if BigCommerce's windows turn
	// out to be sliding.
	MaxSliding int
}

// Stats is what a store's API saw, from the simulator's start or the last
// ResetStats.
type Stats struct {
	// Requests counts every request for the store, whatever the outcome
	// (dropped connections included).
	Requests int64
	// ByStatus counts responses by HTTP status.
	ByStatus map[int]int64
	// ByPath counts requests by route template, as Routes lists them
	// ("/v3/catalog/products/{id}", "/api/v3/io/companies/{id}");
	// "unmatched" for paths the simulator does not serve.
	ByPath map[string]int64
	// Dropped counts connections closed without a response (Faults.Drop).
	Dropped int64
	// PlatformLimited counts 429s without rate-limit headers
	// (Faults.PlatformLoad).
	PlatformLimited int64
	// REST is the store's REST API quota (/stores/{hash}/v2|v3/…); B2B is
	// the B2B Edition API's.
	REST, B2B LimitStats
}

// RateLimitedRatio is the fraction of all requests that the quotas
// rejected; 0 when there were none.
func (s Stats) RateLimitedRatio() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.REST.RateLimited+s.B2B.RateLimited) / float64(s.Requests)
}

// counters are a store's request counts; simStore.ctl guards them.
type counters struct {
	requests, dropped, platform int64
	byStatus                    map[int]int64
	byPath                      map[string]int64
}

func (c *counters) reset() {
	*c = counters{byStatus: map[int]int64{}, byPath: map[string]int64{}}
}

// Stats returns a snapshot of the statistics of store hash (the zero
// Stats for an unknown store).
func (sim *Simulator) Stats(hash string) Stats {
	st := sim.store(hash)
	if st == nil {
		return Stats{}
	}
	st.ctl.Lock()
	defer st.ctl.Unlock()
	s := Stats{Requests: st.stats.requests, Dropped: st.stats.dropped, PlatformLimited: st.stats.platform,
		ByStatus: make(map[int]int64, len(st.stats.byStatus)), ByPath: make(map[string]int64, len(st.stats.byPath)),
		REST: st.rest.stats(), B2B: st.b2b.stats()}
	for k, v := range st.stats.byStatus {
		s.ByStatus[k] = v
	}
	for k, v := range st.stats.byPath {
		s.ByPath[k] = v
	}
	return s
}

// ResetStats zeroes the statistics of store hash. The quota windows are
// kept: a window open at the reset counts from its requests so far.
func (sim *Simulator) ResetStats(hash string) {
	if st := sim.store(hash); st != nil {
		st.ctl.Lock()
		st.stats.reset()
		st.rest.resetStats()
		st.b2b.resetStats()
		st.ctl.Unlock()
	}
}
