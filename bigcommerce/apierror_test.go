package bigcommerce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	api := func(status int) error {
		return fmt.Errorf("enrich order 7: %w", &APIError{Status: status, Method: "GET", Path: "/v2/orders/7", Store: "abc123"})
	}
	cases := []struct {
		name      string
		err       error
		retryable bool
		is        []error
		isNot     []error
	}{
		{name: "nil", err: nil},
		{name: "404", err: api(404), is: []error{ErrNotFound}, isNot: []error{ErrUnauthorized, ErrRateLimited}},
		{name: "401", err: api(401), is: []error{ErrUnauthorized}, isNot: []error{ErrStoreUnauthorized}},
		{name: "403", err: api(403), is: []error{ErrUnauthorized}},
		{name: "fail fast", err: fmt.Errorf("x: %w", ErrStoreUnauthorized), is: []error{ErrUnauthorized, ErrStoreUnauthorized}},
		{name: "429", err: api(429), retryable: true, is: []error{ErrRateLimited}},
		{name: "500", err: api(500), retryable: true},
		{name: "502", err: api(502), retryable: true},
		{name: "503", err: api(503), retryable: true},
		{name: "504", err: api(504), retryable: true},
		{name: "501", err: api(501)},
		{name: "505", err: api(505)},
		{name: "507", err: api(507)},
		{name: "422", err: api(422)},
		{name: "network", err: transient(fmt.Errorf("GET: %w", io.ErrUnexpectedEOF)), retryable: true},
		{name: "limiter deadline", err: transient(ErrRateLimited), retryable: true, is: []error{ErrRateLimited}},
		{name: "ctx", err: fmt.Errorf("GET: %w", context.Canceled)},
		{name: "missing field", err: fmt.Errorf("x: %w", ErrMissingField), is: []error{ErrMissingField}},
		{name: "plain", err: errors.New("boom")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := IsRetryable(tc.err); got != tc.retryable {
				t.Errorf("IsRetryable(%v) = %v, want %v", tc.err, got, tc.retryable)
			}
			for _, target := range tc.is {
				if !errors.Is(tc.err, target) {
					t.Errorf("errors.Is(%v, %v) = false", tc.err, target)
				}
			}
			for _, target := range tc.isNot {
				if errors.Is(tc.err, target) {
					t.Errorf("errors.Is(%v, %v) = true", tc.err, target)
				}
			}
		})
	}
}

func TestAPIMessage(t *testing.T) {
	t.Parallel()
	const tok = "tok123456789"
	cases := []struct {
		name string
		body string
		want string
	}{
		{name: "short", body: `{"title":"Not Found"}`, want: `{"title":"Not Found"}`},
		{name: "newlines", body: "a\nb\r\n\tc\x00", want: "a b   c"},
		{name: "token scrubbed", body: "echo " + tok + " done", want: "echo [REDACTED] done"},
		{name: "token across the cut", body: strings.Repeat("x", 195) + tok, want: strings.Repeat("x", 195) + "[REDA…"},
		{name: "long", body: strings.Repeat("é", 500), want: strings.Repeat("é", 100) + "…"},
		{name: "invalid utf-8", body: "a\xffb", want: "ab"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := apiMessage([]byte(tc.body), tok)
			if got != tc.want {
				t.Errorf("apiMessage() = %q, want %q", got, tc.want)
			}
			if !utf8.ValidString(got) || strings.Contains(got, tok) {
				t.Errorf("apiMessage() = %q: invalid or leaks", got)
			}
		})
	}
}
