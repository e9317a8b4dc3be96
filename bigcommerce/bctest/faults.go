package bctest

import (
	"slices"
	"strings"
	"time"
)

// Faults are the misbehaviours a store's API can be told to show. The zero
// value is a healthy store. Fractions are probabilities per request, drawn
// from a generator seeded from the simulator seed and the store hash.
//
// A request meets the faults in this order: Drop, then Latency, then
// authentication (Revoked, Forbidden), PlatformLoad, the quota, and
// finally ServerErrors and NotFound. So a revoked token is answered 401
// without consuming quota, while an injected 5xx or 404 has consumed one
// unit, as a real failing request would.
type Faults struct {
	// Latency is added before every response; Jitter adds a further
	// uniformly random [0, Jitter). A client giving up first (context
	// cancelled) ends the request without a response.
	Latency, Jitter time.Duration
	// Drop is the fraction of requests whose connection is closed without
	// a response (hijacked and closed; over HTTP/2 the stream is reset).
	Drop float64
	// Revoked answers every request 401, as after the API account was
	// deleted or the app uninstalled.
	Revoked bool
	// Forbidden lists path prefixes answered 403, as for a token lacking
	// the OAuth scope: REST paths relative to /stores/{hash} ("/v3/customers",
	// "/v2/orders") and B2B paths from "/api/v3/io"; "/" forbids all.
	Forbidden []string
	// PlatformLoad is the fraction of requests answered 429 without any
	// rate-limit header: BigCommerce shedding load, not the store's quota.
	PlatformLoad float64
	// ServerErrors is the fraction of requests answered with a 5xx.
	// ServerErrorStatus picks the status; 0 rotates through 500, 502, 503
	// and 504.
	ServerErrors      float64
	ServerErrorStatus int
	// NotFound is the fraction of requests answered 404, as for entities
	// deleted between the event and the fetch.
	NotFound float64
}

// SetFaults replaces the faults of store hash; it takes effect for
// requests that arrive afterwards.
func (sim *Simulator) SetFaults(hash string, f Faults) error {
	st, err := sim.mustStore(hash)
	if err != nil {
		return err
	}
	f.Forbidden = slices.Clone(f.Forbidden)
	st.ctl.Lock()
	st.faults = f
	st.ctl.Unlock()
	return nil
}

// Faults returns the faults of store hash.
func (sim *Simulator) Faults(hash string) (Faults, bool) {
	st := sim.store(hash)
	if st == nil {
		return Faults{}, false
	}
	st.ctl.Lock()
	defer st.ctl.Unlock()
	f := st.faults
	f.Forbidden = slices.Clone(f.Forbidden)
	return f, true
}

// draws are one request's fault decisions, made together under the lock.
type draws struct {
	f                                 Faults
	drop, platform, serverErr, notFnd bool
	delay                             time.Duration
	status                            int // for serverErr
}

// draw decides which faults hit the next request. ctl must be held.
func (st *simStore) draw() draws {
	f := st.faults
	dr := draws{f: f, delay: f.Latency}
	if f.Jitter > 0 {
		dr.delay += time.Duration(st.frng.Int64N(int64(f.Jitter)))
	}
	dr.drop = f.Drop > 0 && st.frng.Float64() < f.Drop
	dr.platform = f.PlatformLoad > 0 && st.frng.Float64() < f.PlatformLoad
	dr.serverErr = f.ServerErrors > 0 && st.frng.Float64() < f.ServerErrors
	dr.notFnd = f.NotFound > 0 && st.frng.Float64() < f.NotFound
	if dr.serverErr {
		dr.status = f.ServerErrorStatus
		if dr.status == 0 {
			dr.status = []int{500, 502, 503, 504}[st.frng.IntN(4)]
		}
	}
	return dr
}

// forbidden reports whether path falls under one of the prefixes.
func forbidden(prefixes []string, path string) bool {
	for _, p := range prefixes {
		if p == "/" || path == p || strings.HasPrefix(path, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}
