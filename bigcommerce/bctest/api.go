package bctest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// b2bPrefix is where the B2B Edition API is served: the path of
// https://api-b2b.bigcommerce.com/api/v3/io.
const b2bPrefix = "/api/v3/io"

// apiKind is the API family of a route: it decides the error body shape
// and which quota a request consumes.
type apiKind int

const (
	apiV3  apiKind = iota // {"status":…,"title":…,"type":…,"errors":{}}
	apiV2                 // [{"status":…,"message":…}]
	apiB2B                // {"code":…,"data":{},"meta":{"message":…}}
)

// route is one GET endpoint. Templates name path segments "{name}".
type route struct {
	tmpl string // REST: relative to /stores/{hash}; B2B: from /api/v3/io
	segs []string
	api  apiKind
	h    func(*call)
}

// get registers a REST route relative to /stores/{hash}.
func (sim *Simulator) get(tmpl string, h func(*call)) {
	api := apiV3
	if strings.HasPrefix(tmpl, "/v2/") {
		api = apiV2
	}
	sim.addRoute(&route{tmpl: tmpl, api: api, h: h})
}

// getB2B registers a B2B Edition route relative to /api/v3/io.
func (sim *Simulator) getB2B(tmpl string, h func(*call)) {
	sim.addRoute(&route{tmpl: b2bPrefix + tmpl, api: apiB2B, h: h})
}

func (sim *Simulator) addRoute(rt *route) {
	rt.segs = strings.Split(strings.Trim(rt.tmpl, "/"), "/")
	sim.table = append(sim.table, rt)
	sim.routes = append(sim.routes, rt.tmpl)
	slices.Sort(sim.routes)
}

// match finds the route for path (relative, as templates are): among the
// templates that match, the one with a literal segment where the others
// have a wildcard, leftmost first ("/v3/catalog/products/channel-assignments"
// beats "/v3/catalog/products/{id}").
func (sim *Simulator) match(path string) (*route, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *route
	for _, rt := range sim.table {
		if len(rt.segs) != len(segs) || !segsMatch(rt.segs, segs) {
			continue
		}
		if best == nil || moreSpecific(rt.segs, best.segs) {
			best = rt
		}
	}
	if best == nil {
		return nil, nil
	}
	params := map[string]string{}
	for i, s := range best.segs {
		if isWild(s) {
			params[s[1:len(s)-1]] = segs[i]
		}
	}
	return best, params
}

func isWild(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

func segsMatch(tmpl, path []string) bool {
	for i, s := range tmpl {
		if path[i] == "" || !isWild(s) && s != path[i] {
			return false
		}
	}
	return true
}

func moreSpecific(a, b []string) bool {
	for i := range a {
		if wa, wb := isWild(a[i]), isWild(b[i]); wa != wb {
			return !wa
		}
	}
	return false
}

// call is one request being served: handlers read d (read-locked for
// them) and answer through the helpers below.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	d      *storeData
	api    apiKind
	params map[string]string
}

// ServeHTTP serves the REST API of every store under /stores/{hash}/ and
// the B2B Edition API under /api/v3/io/ (store named by X-Store-Hash),
// GET (and HEAD) only; see Routes. See Faults for the order in which a
// request meets faults, authentication and the quota.
//
// Every response for a known store carries the four X-Rate-Limit-*
// headers of the quota it belongs to (REST or B2B) — 401s and 403s show
// the window without consuming it — except platform-load 429s, which
// have none by design, and stores with an unlimited quota. 429s from the
// quota add X-Retry-After (seconds). Errors have the body shape of their
// API: V2 [{"status","message"}], V3 {"status","title","type","errors"},
// B2B {"code","data","meta":{"message"}}. Unknown stores get 404 and are
// not counted.
func (sim *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st, rel, api := sim.locate(r)
	if st == nil {
		writeError(w, api, http.StatusNotFound, "Store not found")
		return
	}
	rt, params := sim.match(rel)
	key := "unmatched"
	if rt != nil {
		key, api = rt.tmpl, rt.api
	}
	sw := &statusWriter{ResponseWriter: w}
	defer func() { st.record(key, sw.status) }()
	if !st.admit(sw, r, rel, api) {
		return
	}
	if k, ok := sim.serveWebhooks(sw, r, st, rel); ok {
		key = k // webhook management (webhooks_api.go): not GET-only
		return
	}
	if rt == nil {
		writeError(sw, api, http.StatusNotFound, "The requested resource was not found.")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		sw.Header().Set("Allow", "GET")
		writeError(sw, api, http.StatusMethodNotAllowed, "The method is not supported by this simulator.")
		return
	}
	// Render under the read lock, write after it: a slow client must not
	// hold up changes.
	var buf bufWriter
	st.mu.RLock()
	rt.h(&call{w: &buf, r: r, d: st.d, api: api, params: params})
	st.mu.RUnlock()
	buf.flush(sw)
}

// bufWriter holds a handler's response until flush.
type bufWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufWriter) Header() http.Header {
	if b.header == nil {
		b.header = http.Header{}
	}
	return b.header
}

func (b *bufWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufWriter) flush(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(cmp.Or(b.status, http.StatusOK))
	w.Write(b.body.Bytes())
}

// locate returns the store a request is for, the path the route templates
// match (relative to /stores/{hash} for REST) and the API family.
func (sim *Simulator) locate(r *http.Request) (*simStore, string, apiKind) {
	p := r.URL.Path
	if p == b2bPrefix || strings.HasPrefix(p, b2bPrefix+"/") {
		return sim.store(r.Header.Get("X-Store-Hash")), p, apiB2B
	}
	rest, ok := strings.CutPrefix(p, "/stores/")
	if !ok {
		return nil, p, apiV3
	}
	hash, rel, _ := strings.Cut(rest, "/")
	rel = "/" + rel
	api := apiV3
	if strings.HasPrefix(rel, "/v2/") {
		api = apiV2
	}
	return sim.store(hash), rel, api
}

// admit applies faults, authentication and the quota to a request and
// reports whether it may be served; when not, it has been answered (or
// its connection dropped).
func (st *simStore) admit(w *statusWriter, r *http.Request, rel string, api apiKind) bool {
	lim := &st.rest
	if api == apiB2B {
		lim = &st.b2b
	}
	st.ctl.Lock()
	dr := st.draw()
	st.ctl.Unlock()

	if dr.drop {
		w.status = statusDropped
		dropConnection(w.ResponseWriter)
		return false
	}
	if dr.delay > 0 {
		t := time.NewTimer(dr.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			w.status = statusGone
			return false
		}
	}
	now := st.sim.now()
	st.mu.RLock()
	token := st.cfg.Token
	st.mu.RUnlock()

	if got := r.Header.Get("X-Auth-Token"); got == "" || got != token || dr.f.Revoked {
		st.ctl.Lock()
		v := lim.peek(now)
		lim.setHeaders(w.Header(), v)
		st.ctl.Unlock()
		writeError(w, api, http.StatusUnauthorized, "No valid credentials were found in this request.")
		return false
	}
	if forbidden(dr.f.Forbidden, rel) {
		st.ctl.Lock()
		lim.setHeaders(w.Header(), lim.peek(now))
		st.ctl.Unlock()
		writeError(w, api, http.StatusForbidden, "You don't have a required scope to access the endpoint")
		return false
	}
	if dr.platform {
		st.ctl.Lock()
		st.stats.platform++
		st.ctl.Unlock()
		writeError(w, api, http.StatusTooManyRequests, "Too many requests")
		return false
	}
	st.ctl.Lock()
	v := lim.take(now)
	lim.setHeaders(w.Header(), v)
	st.ctl.Unlock()
	if !v.ok {
		writeError(w, api, http.StatusTooManyRequests, "You have exceeded your request quota. Retry after the window resets.")
		return false
	}
	if dr.serverErr {
		writeError(w, api, dr.status, http.StatusText(dr.status))
		return false
	}
	if dr.notFnd {
		writeError(w, api, http.StatusNotFound, "The requested resource was not found.")
		return false
	}
	return true
}

// Pseudo statuses recorded for requests that got no response.
const (
	statusDropped = -1 // connection dropped by a fault
	statusGone    = -2 // client went away during injected latency
)

// record counts a finished request.
func (st *simStore) record(key string, status int) {
	st.ctl.Lock()
	defer st.ctl.Unlock()
	st.stats.requests++
	st.stats.byPath[key]++
	switch status {
	case statusDropped:
		st.stats.dropped++
		return
	case statusGone:
		return
	case 0:
		status = http.StatusOK
	}
	st.stats.byStatus[status]++
}

// dropConnection closes the client's connection without a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // HTTP/2: net/http resets the stream
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// --- responses ----------------------------------------------------------

// errorType is the "type" BigCommerce V3 errors link to.
const errorType = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"

// writeError answers with BigCommerce's error body for api.
func writeError(w http.ResponseWriter, api apiKind, status int, msg string) {
	var body any
	switch api {
	case apiV2:
		body = []v2Error{{status, msg}}
	case apiB2B:
		body = b2bError{Code: status, Data: struct{}{}, Meta: b2bMeta{msg}}
	default:
		body = v3Error{Status: status, Title: msg, Type: errorType, Errors: struct{}{}}
	}
	writeJSON(w, status, body)
}

type v2Error struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

type v3Error struct {
	Status int      `json:"status"`
	Title  string   `json:"title"`
	Type   string   `json:"type"`
	Errors struct{} `json:"errors"`
}

type b2bError struct {
	Code int      `json:"code"`
	Data struct{} `json:"data"`
	Meta b2bMeta  `json:"meta"`
}

type b2bMeta struct {
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
