package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// Latencies, as the report defines them:
//
//   - added: from the record's ReceivedAt (the worker received the
//     delivery that got written) to the return of the sink Write that made
//     the row durable. It is what the worker adds to a message it holds:
//     dedupe, the wait for the store's API, the fetch, batching, the
//     write. Time spent in Pub/Sub — the backlog, and the backoff after a
//     nack — is not in it.
//   - end to end: from Pub/Sub's publish time to the same Write's return.
//     For the paced orders it is the whole delay a store sees, nacks and
//     redeliveries included; the fairness verdict uses both.

// latencies holds one group's durations.
type latencies []time.Duration

// pct returns the p-th percentile (0 < p ≤ 1) by nearest rank; 0 when
// empty.
func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// group is a set of written rows with both latencies.
type group struct {
	added, e2e latencies
}

func (g *group) add(w row) {
	g.added = append(g.added, w.written.Sub(w.received))
	g.e2e = append(g.e2e, w.written.Sub(w.published))
}

func (g *group) n() int { return len(g.added) }

// phaseFigures are the quiet stores' figures in one phase.
type phaseFigures struct {
	published, written int
	all                group
	byStore            map[string]*group
	published1         map[string]int // store → orders published
}

// window is a span of time, both ends included.
type window struct{ from, to time.Time }

func within(t time.Time, ws []window) bool {
	for _, w := range ws {
		if !t.Before(w.from) && !t.After(w.to) {
			return true
		}
	}
	return false
}

// phase gathers the orders of phase p handed to the publisher inside ws
// (in, or outside them: !in; nil ws: every order of the phase).
func (r *enrichRun) phase(p int, ws []window, in bool) phaseFigures {
	f := phaseFigures{byStore: map[string]*group{}, published1: map[string]int{}}
	for _, h := range r.quiet {
		f.byStore[h] = &group{}
	}
	for id, o := range r.orders {
		if o.phase != p || ws != nil && within(o.at, ws) != in {
			continue
		}
		f.published++
		f.published1[o.store]++
		w, ok := r.rows[id]
		if !ok {
			continue
		}
		f.written++
		f.all.add(w)
		f.byStore[o.store].add(w)
	}
	return f
}

// worst returns the store with the highest p99 of sel, and that p99.
func (f phaseFigures) worst(sel func(*group) latencies) (string, time.Duration) {
	var store string
	var p99 time.Duration
	for h, g := range f.byStore {
		if v := sel(g).pct(0.99); v > p99 || store == "" {
			store, p99 = h, v
		}
	}
	return store, p99
}

// quietest is the quiet store with the fewest orders over both phases
// (the lowest hash among equals) that has orders written in both: the
// store a burst elsewhere would hurt most if the stage were unfair, since
// it has nothing queued to speak for it. "" if no store qualifies.
func (r *enrichRun) quietest(a, b phaseFigures) string {
	hashes := slices.Clone(r.quiet)
	sort.Strings(hashes)
	best, bestN := "", math.MaxInt
	for _, h := range hashes {
		if a.byStore[h].n() == 0 || b.byStore[h].n() == 0 {
			continue
		}
		if n := a.published1[h] + b.published1[h]; n < bestN {
			best, bestN = h, n
		}
	}
	return best
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func printEnrichReport(out io.Writer, r *enrichRun) {
	o := r.o
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	// The bursts: each from its first message published to its last row
	// written.
	var burst group
	var windows []window
	var burstSecs float64
	maxAttempt, redelivered, total := 0, 0, 0
	complete := true
	type perBurst struct {
		n    int
		secs float64
		b    *burstRun
	}
	var each []perBurst
	for _, b := range r.bursts {
		end := b.start
		n := 0
		for _, id := range b.ids {
			w, ok := r.rows[id]
			if !ok {
				continue
			}
			n++
			burst.add(w)
			if w.written.After(end) {
				end = w.written
			}
			maxAttempt = max(maxAttempt, w.attempt)
			if w.attempt > 1 {
				redelivered++
			}
		}
		total += len(b.ids)
		complete = complete && b.complete
		windows = append(windows, window{b.start, end})
		burstSecs += end.Sub(b.start).Seconds()
		each = append(each, perBurst{n, end.Sub(b.start).Seconds(), b})
	}
	allInWindow := 0
	for _, w := range r.rows {
		if within(w.written, windows) {
			allInWindow++
		}
	}
	hot := r.hotStats
	callsPerEvent := float64(hot.Requests) / float64(max(burst.n(), 1))
	fetches := r.stage.Fetches - r.stageB0.Fetches
	batches := r.stage.BatchFetches - r.stageB0.BatchFetches

	// "With the burst" is the orders published while a burst was being
	// enriched: from its first message published to its last row written.
	alone := r.phase(phaseAlone, nil, true)
	during := r.phase(phaseBurst, windows, true)
	after := r.phase(phaseBurst, windows, false)
	q := r.quietest(alone, during)
	qa, qb := &group{}, &group{}
	if q != "" {
		qa, qb = alone.byStore[q], during.byStore[q]
	}
	addedRatio := float64(qb.added.pct(0.99)) / float64(max(qa.added.pct(0.99), 1))
	e2eRatio := float64(qb.e2e.pct(0.99)) / float64(max(qa.e2e.pct(0.99), 1))

	var requests, limited int64
	maxWindow, maxSliding := 0, 0
	for _, st := range r.storeStats {
		requests += st.Requests
		limited += st.REST.RateLimited
		maxWindow = max(maxWindow, st.REST.MaxPerWindow)
		maxSliding = max(maxSliding, st.REST.MaxSliding)
	}
	limitedRatio := float64(limited) / float64(max(requests, 1))

	p("")
	p("bcload enrich: %d stores at %d requests / %v; %d burst(s) of %d store/product/updated events over %d products on store %s; %.1f orders/s over %d quiet stores (%v alone, then with the bursts); %d CPUs",
		o.stores, o.quota, o.window, o.bursts, o.burst, o.products, r.hot, o.orderRate, len(r.quiet), o.quiet, runtime.NumCPU())
	p("Worker: in-process (internal/worker.New, cmd/worker's assembly and defaults, STORES_FILE + BIGCOMMERCE_API_URL → bctest simulator), sink %s (records write times only). Subscription: redelivery backoff %v–%v, dead-letter after %d deliveries.",
		measureSinkName, o.minBackoff, o.maxBackoff, o.maxAttempts)
	if o.burstRate > 0 {
		p("Burst: published round by round at %.0f events/s (each round's changes made, and its events created, as it is published).", o.burstRate)
	} else {
		p("Burst: generated at startup (created_at minutes before publishing) and published at once, as a backlog.")
	}
	p("Latency: added = record ReceivedAt (delivery that was written) → sink Write returned; end to end = Pub/Sub publish time → sink Write returned.")
	if !complete {
		p("")
		p("**A burst did not finish (-burst-timeout %v, -stall %v): %d of %d events written. Figures below cover what was written.**", o.burstTimeout, o.stall, burst.n(), total)
	}

	p("")
	p("| target | measured | goal | met |")
	p("|---|---|---|---|")
	p("| bursts fully enriched | %d of %d events written | all | %s |", burst.n(), total, yes(complete))
	p("| API calls per burst event | %.3f (%d requests / %d events written) | ≤ 0.15 | %s |", callsPerEvent, hot.Requests, burst.n(), yes(callsPerEvent <= 0.15))
	allRatio := float64(during.all.added.pct(0.99)) / float64(max(alone.all.added.pct(0.99), 1))
	p("| all quiet stores' p99 with burst / alone, added (for reference) | %s / %s = %.2f× | — | — |", ms(during.all.added.pct(0.99)), ms(alone.all.added.pct(0.99)), allRatio)
	p("| quietest store (%s, %d / %d orders) p99 with burst / alone, added | %s / %s = %.2f× | ≤ 2× | %s |", q, qb.n(), qa.n(), ms(qb.added.pct(0.99)), ms(qa.added.pct(0.99)), addedRatio, yes(q != "" && addedRatio <= 2))
	p("| quietest store (%s) p99 with burst / alone, end to end | %s / %s = %.2f× | ≤ 2× | %s |", q, ms(qb.e2e.pct(0.99)), ms(qa.e2e.pct(0.99)), e2eRatio, yes(q != "" && e2eRatio <= 2))
	p("| 429s from the worker's own traffic, all stores | %.2f %% (%d of %d requests) | < 1 %% | %s |", 100*limitedRatio, limited, requests, yes(limitedRatio < 0.01))
	p("| max requests in one quota window, any store | %d | ≤ %d | %s |", maxWindow, o.quota, yes(maxWindow <= o.quota))

	p("")
	p("| product burst (hot store) | |")
	p("|---|---|")
	p("| events written | %d of %d (each exactly once: %s) |", burst.n(), total, yes(r.repeated == 0))
	for i, e := range each {
		p("| burst %d: events written, seconds (first publish → last row written), events/s, API requests | %d, %.1f s (publishing took %.1f s), %.0f/s, %d |",
			i+1, e.n, e.secs, e.b.published.Sub(e.b.start).Seconds(), float64(e.n)/e.secs, e.b.requests)
	}
	p("| events/s enriched, bursts | %.0f |", float64(burst.n())/burstSecs)
	p("| events/s enriched, all stores during the bursts | %.0f (%d rows) |", float64(allInWindow)/burstSecs, allInWindow)
	p("| API requests (hot store) | %d: %v; 429s %d; max %d per window (sliding %d) |", hot.Requests, hot.ByStatus, hot.REST.RateLimited, hot.REST.MaxPerWindow, hot.REST.MaxSliding)
	p("| stage fetches during the burst phase (all stores) | %d, of which %d batches |", fetches, batches)
	p("| events served without a fetch of their own (whole run) | %d (cache %d) |", r.stage.Coalesced, r.stage.CacheHits)
	p("| added latency p50 / p99 | %s / %s |", ms(burst.added.pct(0.5)), ms(burst.added.pct(0.99)))
	p("| end-to-end p50 / p99 (includes the backlog) | %s / %s |", ms(burst.e2e.pct(0.5)), ms(burst.e2e.pct(0.99)))
	p("| burst rows written on a redelivery | %d (max delivery attempt %d) |", redelivered, maxAttempt)
	p("| nacks (worker, whole run) / shed (store max pending) / timed out (max wait) | %d / %d / %d |", r.pipe.Nacked, r.stage.Shed, r.stage.TimedOut)
	p("| dead-lettered | %d of the hot store; by reason %v |", r.deadHot, r.deadLetters)

	p("")
	p("| quiet stores' orders | alone | with a burst | between and after bursts |")
	p("|---|---|---|---|")
	p("| orders published / written | %d / %d | %d / %d | %d / %d |", alone.published, alone.written, during.published, during.written, after.published, after.written)
	p("| API requests per order | %.2f | %.2f (with and after) | |", float64(r.quietAloneCalls)/float64(max(alone.written, 1)), float64(r.quietBurstCalls)/float64(max(during.written+after.written, 1)))
	p("| added p50 / p99, all quiet stores | %s / %s | %s / %s | %s / %s |", ms(alone.all.added.pct(0.5)), ms(alone.all.added.pct(0.99)), ms(during.all.added.pct(0.5)), ms(during.all.added.pct(0.99)), ms(after.all.added.pct(0.5)), ms(after.all.added.pct(0.99)))
	p("| end-to-end p50 / p99, all quiet stores | %s / %s | %s / %s | %s / %s |", ms(alone.all.e2e.pct(0.5)), ms(alone.all.e2e.pct(0.99)), ms(during.all.e2e.pct(0.5)), ms(during.all.e2e.pct(0.99)), ms(after.all.e2e.pct(0.5)), ms(after.all.e2e.pct(0.99)))
	wa, wav := alone.worst(func(g *group) latencies { return g.added })
	wb, wbv := during.worst(func(g *group) latencies { return g.added })
	p("| worst store's added p99 | %s (%s) | %s (%s) | |", ms(wav), wa, ms(wbv), wb)
	wa, wav = alone.worst(func(g *group) latencies { return g.e2e })
	wb, wbv = during.worst(func(g *group) latencies { return g.e2e })
	p("| worst store's end-to-end p99 | %s (%s) | %s (%s) | |", ms(wav), wa, ms(wbv), wb)
	p("| quietest store %s: orders | %d | %d | |", q, qa.n(), qb.n())
	p("| quietest store: added p50 / p99 | %s / %s | %s / %s | |", ms(qa.added.pct(0.5)), ms(qa.added.pct(0.99)), ms(qb.added.pct(0.5)), ms(qb.added.pct(0.99)))
	p("| quietest store: end-to-end p50 / p99 | %s / %s | %s / %s | |", ms(qa.e2e.pct(0.5)), ms(qa.e2e.pct(0.99)), ms(qb.e2e.pct(0.5)), ms(qb.e2e.pct(0.99)))
	if n := min(qa.n(), qb.n()); n < 100 {
		p("")
		p("(The quietest store has %d orders in its smaller phase: its p99 is, to within a sample, its maximum.)", n)
	}

	p("")
	p("Worker totals: received %d, written %d, duplicates %d, dead-lettered by the worker %d %v, nacks %d; received and never settled: %d.",
		r.pipe.Received, r.pipe.Written, r.pipe.Duplicates, r.pipe.DeadLettered, r.pipe.DeadLetteredByReason, r.pipe.Nacked,
		r.pipe.Received-r.pipe.Settled()-r.pipe.Nacked)
	p("Enrichment outcomes: %s.", outcomes(r.stage.ByOutcome))
	p("Quiet stores' quota: %s.", quietQuota(r))
}

func outcomes(by map[string]int64) string {
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, by[k])
	}
	return strings.Join(parts, ", ")
}

// quietQuota summarises the quiet stores' requests, 429s and busiest
// window.
func quietQuota(r *enrichRun) string {
	var req, lim int64
	maxW := 0
	for _, h := range r.quiet {
		st := r.storeStats[h]
		req += st.Requests
		lim += st.REST.RateLimited
		maxW = max(maxW, st.REST.MaxPerWindow)
	}
	return fmt.Sprintf("%d requests, %d 429s, at most %d in one window (of %d)", req, lim, maxW, r.o.quota)
}
