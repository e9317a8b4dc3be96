package bigcommerce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors returned by Client. Check them with errors.Is; the concrete error
// is usually an *APIError (for an HTTP status) wrapped with the operation.
var (
	// ErrNotFound: the API answered 404. The entity is gone (a delete, a
	// converted cart) or was never visible to this API account (another
	// app's private metafield). Permanent: never retried.
	ErrNotFound = errors.New("not found")

	// ErrUnauthorized: the API answered 401 or 403: the store's token is
	// revoked, expired, or lacks a scope. The client stops calling the
	// store for a cooldown (see ErrStoreUnauthorized). Permanent.
	ErrUnauthorized = errors.New("unauthorized")

	// ErrStoreUnauthorized: the call was not sent, because the store's
	// credentials were rejected recently and its cooldown has not passed
	// (or another call is re-probing them). It wraps ErrUnauthorized, so
	// errors.Is(err, ErrUnauthorized) holds for it too.
	ErrStoreUnauthorized = fmt.Errorf("store paused after its credentials were rejected: %w", ErrUnauthorized)

	// ErrRateLimited: the API answered 429, or the wait the store's rate
	// limit requires would outlast the caller's deadline. Retryable.
	ErrRateLimited = errors.New("rate limited")

	// ErrMissingField: an enrich call's placeholder names a `data` field
	// (or response field) that is absent, null, empty, or not a string or
	// number. Retrying the same event cannot help; the pipeline decides
	// whether that is poison.
	ErrMissingField = errors.New("enrich field missing")

	// ErrInvalidField: a placeholder's value is not a plausible ID (it has
	// characters outside [A-Za-z0-9._~-], is "." or "..", or is longer
	// than maxFieldLen). The value would change the request's meaning if
	// sent, so it is refused. Not retryable.
	ErrInvalidField = errors.New("enrich field invalid")

	// ErrNoEnrichCall: the scope has no enrich call, or its DispatchOn
	// field has a value the catalog has no call for.
	ErrNoEnrichCall = errors.New("no enrich call")
)

// maxMessage bounds APIError.Message, in bytes: enough for BigCommerce's
// problem JSON title, small enough that a 1 MB HTML error page never lands
// in a log line.
const maxMessage = 200

// APIError is a non-2xx answer from the API. Its Message is a truncated
// copy of the body, with the store's token scrubbed out should the server
// echo it.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Method and Path are the request's method and path (the actual path,
	// with IDs, relative to the store's API root; no query string).
	Method, Path string
	// Store is the store hash.
	Store string
	// Message is the start of the response body (at most 200 bytes, valid
	// UTF-8), for humans.
	Message string
	// RetryAfter is how long the server asked to wait before retrying:
	// the longer of X-Rate-Limit-Time-Reset-Ms and X-Retry-After on a
	// 429; 0 when it gave no hint.
	RetryAfter time.Duration
}

// Error returns e.g. `bigcommerce: GET /v2/orders/7 (store abc123): 404 Not
// Found: {"status":404,...}`.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bigcommerce: %s %s (store %s): %d %s", e.Method, e.Path, e.Store, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is matches ErrNotFound (404), ErrUnauthorized (401, 403) and
// ErrRateLimited (429).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	}
	return false
}

// Retryable reports whether the same request may succeed later: 429 and
// the transient 5xx (500, 502, 503, 504). BigCommerce documents 501 and
// 505 as persistent and 507 as a plan resource cap, so those are not.
func (e *APIError) Retryable() bool {
	switch e.Status {
	case http.StatusTooManyRequests,
		http.StatusInternalServerError,
		http.StatusBadGateway,
		http.StatusServiceUnavailable,
		http.StatusGatewayTimeout:
		return true
	}
	return false
}

// transientError marks an error that is not an HTTP status but may go away
// on retry: a connection reset, a per-attempt timeout, a rate-limit wait
// that would outlast the caller's deadline.
type transientError struct{ err error }

func (e *transientError) Error() string   { return e.err.Error() }
func (e *transientError) Unwrap() error   { return e.err }
func (e *transientError) Retryable() bool { return true }

// transient marks err retryable.
func transient(err error) error { return &transientError{err: err} }

// IsRetryable reports whether err is worth retrying later: a 429, a
// transient 5xx, a network error or per-attempt timeout, or a rate-limit
// wait that would have outlasted the caller's deadline. Everything else is
// permanent, including the caller's own context being cancelled or expiring.
//
// The classification is made where the error is born (APIError.Retryable,
// the client's network path), so callers need not inspect statuses. The
// client has already retried such errors itself, within its attempt budget;
// a caller seeing one should back off at its own level (nack the message).
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var r interface{ Retryable() bool }
	if !errors.As(err, &r) {
		return false
	}
	return r.Retryable()
}

// isCtxErr reports whether err is ctx's own error (cancelled or expired),
// as opposed to a per-attempt timeout of the client's.
func isCtxErr(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, ctx.Err())
}

// apiMessage turns a response body into APIError.Message: at most
// maxMessage bytes of valid UTF-8, newlines flattened, and every occurrence
// of token replaced, in case a proxy or the API echoes the request headers.
func apiMessage(body []byte, token string) string {
	// Scrub before cutting, so a token straddling the cut is caught too;
	// nothing past maxMessage+len(token) can reach the message.
	if n := maxMessage + len(token); len(body) > n {
		body = body[:n]
	}
	s := string(body)
	if token != "" && strings.Contains(s, token) {
		s = strings.ReplaceAll(s, token, "[REDACTED]")
	}
	if len(s) > maxMessage {
		s = cut(s, maxMessage)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
