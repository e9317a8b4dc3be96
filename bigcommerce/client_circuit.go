package bigcommerce

import (
	"net/http"
	"sync"
	"time"
)

// circuit stops calls to a store whose credentials the API rejected (401 or
// 403). Retrying with the same token cannot succeed, and hammering a store
// with a revoked token is abusive and burns its shared quota; but tokens do
// get fixed (re-installed app, rotated secret), so after a cooldown one call
// is let through as a probe. While open, and while the probe is out, every
// other call fails at once with ErrStoreUnauthorized, without network I/O.
//
//	closed --401/403--> open --cooldown--> probing --2xx/4xx--> closed
//	                      ^                   |
//	                      +-----401/403-------+
//
// A probe that gets no telling answer (network error, cancelled, 5xx, 429)
// leaves the circuit open with its cooldown passed, so the next call probes
// again.
type circuit struct {
	cooldown time.Duration

	mu      sync.Mutex
	open    bool
	retryAt time.Time // while open: no probe before this
	probing bool      // a probe is in flight
}

// admit reports whether a call may go out now, and whether it is the
// probe of an open circuit; a probe must be followed by record.
func (c *circuit) admit(now time.Time) (probe, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.open {
		return false, true
	}
	if c.probing || now.Before(c.retryAt) {
		return false, false
	}
	c.probing = true
	return true, true
}

// isOpen reports whether the circuit is open. Calls admitted while it was
// closed check it again after waiting in the limiter, so that a queue of
// calls behind the one that got the 401 does not follow it to the server.
func (c *circuit) isOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// record takes in the outcome of an admitted call: its HTTP status, or 0
// when it got no answer. It reports whether the circuit opened or closed.
func (c *circuit) record(now time.Time, probe bool, status int) (opened, closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if probe {
		c.probing = false
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		c.retryAt = now.Add(c.cooldown)
		if !c.open {
			c.open = true
			return true, false
		}
	case probe && c.open && status != 0 && status < 500 && status != http.StatusTooManyRequests:
		// Any other 2xx or 4xx means the token got past authentication.
		// A 5xx or 429 proves nothing: the next call probes again.
		c.open = false
		return false, true
	}
	return false, false
}
