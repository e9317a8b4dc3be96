package bigcommerce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// send makes one HTTP request with token and reads the answer. A 2xx is a
// Response; any other status is an *APIError (and a Response without
// body). Network and read failures are transient unless ctx ended.
func (c *Client) send(ctx context.Context, hash string, a api, req Request, tmpl, token string) (Response, error) {
	op := fmt.Sprintf("bigcommerce: %s %s (store %s)", req.Method, req.Path, hash)
	actx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	actx = context.WithValue(actx, templateKey{}, tmpl)

	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(actx, req.Method, c.url(hash, a, req), body)
	if err != nil {
		return Response{}, fmt.Errorf("%s: build request: %w", op, err)
	}
	hreq.Header.Set("X-Auth-Token", token)
	hreq.Header.Set("Accept", "application/json")
	if req.Body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if a == apiB2B {
		hreq.Header.Set("X-Store-Hash", hash)
	}
	if c.cfg.userAgent != "" {
		hreq.Header.Set("User-Agent", c.cfg.userAgent)
	}

	hres, err := c.hc.Do(hreq)
	if err != nil {
		return Response{}, c.netErr(ctx, op, err)
	}
	defer hres.Body.Close()
	res := Response{Status: hres.StatusCode, RateLimit: parseRateLimit(hres.Header)}
	b, err := io.ReadAll(io.LimitReader(hres.Body, maxResponseSize+1))
	if err != nil {
		return res, c.netErr(ctx, op, fmt.Errorf("read response: %w", err))
	}
	if len(b) > maxResponseSize {
		return res, fmt.Errorf("%s: response larger than %d bytes", op, maxResponseSize)
	}
	if res.Status >= 200 && res.Status < 300 {
		if len(b) > 0 {
			res.Body = b
		}
		return res, nil
	}
	apiErr := &APIError{
		Status:  res.Status,
		Method:  req.Method,
		Path:    req.Path,
		Store:   hash,
		Message: apiMessage(b, token),
	}
	if res.Status == http.StatusTooManyRequests {
		// BigCommerce: honour the longer of the reset time and Retry-After.
		if res.RateLimit.Known {
			apiErr.RetryAfter = res.RateLimit.ResetIn
		}
		apiErr.RetryAfter = max(apiErr.RetryAfter, res.RateLimit.RetryAfter)
	}
	return res, apiErr
}

// netErr wraps a failure without an HTTP answer: ctx's own end is
// permanent, anything else (including the per-attempt timeout) transient.
// The *url.Error layer is dropped: op already names the request.
func (c *Client) netErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return transient(fmt.Errorf("%s: %w", op, err))
}

// url builds the request URL for req on the store.
func (c *Client) url(hash string, a api, req Request) string {
	var u string
	if a == apiB2B {
		u = c.b2bBase + req.Path
	} else {
		u = c.base + "/stores/" + hash + req.Path
	}
	if q := encodeQuery(req.Query); q != "" {
		u += "?" + q
	}
	return u
}
