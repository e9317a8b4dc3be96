package bctest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bcstream/bigcommerce"
)

// maxRequestBody bounds a management request's body.
const maxRequestBody = 1 << 20

// serveWebhooks serves the webhook management API when r is for it (after
// faults, authentication and the quota were applied) and reports whether
// it did, with the route key its request is counted under:
//
//	POST   /graphql            GraphQL Admin: ListWebhooks, CreatePubSubWebhook,
//	                           UpdatePubSubWebhook, DeleteWebhook
//	GET    /v3/hooks           list (is_active, scope, destination, page, limit)
//	POST   /v3/hooks           create (HTTPS destinations on port 443 only)
//	GET    /v3/hooks/admin     hooks with status, emails, blocked domains
//	PUT    /v3/hooks/{id}      update (is_active, scope, destination, headers)
//	DELETE /v3/hooks/{id}      delete
//
// GET /v3/hooks/{id} stays the catalog route (getHook). Only the hooks of
// the store's own API account (Simulator.ClientID) are visible and
// changeable here, as at BigCommerce.
func (sim *Simulator) serveWebhooks(w http.ResponseWriter, r *http.Request, st *simStore, rel string) (string, bool) {
	switch {
	case rel == bigcommerce.GraphQLPath && r.Method == http.MethodPost:
		sim.serveGraphQL(w, r, st)
		return "POST " + bigcommerce.GraphQLPath, true
	case rel == "/v3/hooks" && r.Method == http.MethodGet:
		st.listHooksREST(w, r)
		return "GET /v3/hooks", true
	case rel == "/v3/hooks" && r.Method == http.MethodPost:
		sim.createHookREST(w, r, st)
		return "POST /v3/hooks", true
	case rel == "/v3/hooks/admin" && r.Method == http.MethodGet:
		st.hooksAdminREST(w)
		return "GET /v3/hooks/admin", true
	case strings.HasPrefix(rel, "/v3/hooks/") && (r.Method == http.MethodPut || r.Method == http.MethodDelete):
		id, err := strconv.Atoi(strings.TrimPrefix(rel, "/v3/hooks/"))
		if err != nil || id <= 0 {
			writeError(w, apiV3, http.StatusNotFound, "The requested resource was not found.")
		} else if r.Method == http.MethodPut {
			sim.updateHookREST(w, r, st, id)
		} else {
			st.deleteHookREST(w, id)
		}
		return r.Method + " /v3/hooks/{id}", true
	}
	return "", false
}

// --- GraphQL -----------------------------------------------------------------

// serveGraphQL answers the webhook documents of bigcommerce/webhooks.go.
// It is no GraphQL engine: it dispatches on the operation (operationName,
// else the mutation field named in the query) and reads inputs from
// variables, which is how bigcommerce.Client sends them. Anything else is a
// GraphQL error.
func (sim *Simulator) serveGraphQL(w http.ResponseWriter, r *http.Request, st *simStore) {
	var req bigcommerce.GraphQLRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil || req.Query == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []bigcommerce.GraphQLError{{Message: "Request body must be JSON with a query"}}})
		return
	}
	op := req.OperationName
	if op == "" {
		op = guessOperation(req.Query)
	}
	vars, _ := json.Marshal(req.Variables)
	switch op {
	case bigcommerce.OpListWebhooks:
		st.gqlListWebhooks(w, req.Variables)
	case bigcommerce.OpCreatePubSubWebhook:
		var v struct {
			Input bigcommerce.CreatePubSubWebhookInput `json:"input"`
		}
		if err := json.Unmarshal(vars, &v); err != nil {
			gqlError(w, "Variable $input is invalid: "+err.Error())
			return
		}
		sim.gqlCreate(w, r, st, v.Input)
	case bigcommerce.OpUpdatePubSubWebhook:
		var v struct {
			Input bigcommerce.UpdatePubSubWebhookInput `json:"input"`
		}
		if err := json.Unmarshal(vars, &v); err != nil {
			gqlError(w, "Variable $input is invalid: "+err.Error())
			return
		}
		sim.gqlUpdate(w, r, st, v.Input)
	case bigcommerce.OpDeleteWebhook:
		var v struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(vars, &v)
		st.gqlDelete(w, v.ID)
	default:
		gqlError(w, fmt.Sprintf("The simulator does not serve operation %q", op))
	}
}

// guessOperation names the webhook operation a document without an
// operationName performs.
func guessOperation(q string) string {
	for _, f := range []struct{ field, op string }{
		{"createPubSubWebhook", bigcommerce.OpCreatePubSubWebhook},
		{"updatePubSubWebhook", bigcommerce.OpUpdatePubSubWebhook},
		{"deleteWebhook", bigcommerce.OpDeleteWebhook},
		{"webhooks", bigcommerce.OpListWebhooks},
	} {
		if strings.Contains(q, f.field) {
			return f.op
		}
	}
	return ""
}

func gqlError(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"data": nil, "errors": []bigcommerce.GraphQLError{{Message: msg}}})
}

func gqlData(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// node renders a hook as a GraphQL webhook node; st.mu held.
func (st *simStore) node(h *hook) *bigcommerce.WebhookNode {
	wh := st.webhook(h)
	return &bigcommerce.WebhookNode{Typename: wh.Kind, ID: wh.ID, Scope: wh.Scope, Destination: wh.Destination,
		Status: wh.Status, CreatedAt: wh.CreatedAt.Format(time.RFC3339), UpdatedAt: wh.UpdatedAt.Format(time.RFC3339)}
}

// gqlPageSize is the page size of store.webhooks.
const gqlPageSize = 50

func (st *simStore) gqlListWebhooks(w http.ResponseWriter, vars map[string]any) {
	after := 0
	if s, ok := vars["after"].(string); ok && s != "" {
		b, err := base64.StdEncoding.DecodeString(s)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "hook:"))
		if err != nil || err2 != nil {
			gqlError(w, "Invalid cursor")
			return
		}
		after = n
	}
	st.mu.RLock()
	var data bigcommerce.ListWebhooksData
	wh := &data.Store.Webhooks
	for _, h := range st.ownHooks() {
		if h.ID <= after {
			continue
		}
		if len(wh.Edges) == gqlPageSize {
			wh.PageInfo.HasNextPage = true
			break
		}
		wh.Edges = append(wh.Edges, struct {
			Node bigcommerce.WebhookNode `json:"node"`
		}{*st.node(h)})
		wh.PageInfo.EndCursor = base64.StdEncoding.EncodeToString([]byte("hook:" + strconv.Itoa(h.ID)))
	}
	st.mu.RUnlock()
	if wh.Edges == nil {
		wh.Edges = []struct {
			Node bigcommerce.WebhookNode `json:"node"`
		}{}
	}
	gqlData(w, data)
}

// payloadErr renders a refusal as the mutation payload's error union.
func payloadErr(e *hookError) *bigcommerce.WebhookPayload {
	if e.typ == "" {
		return nil
	}
	return &bigcommerce.WebhookPayload{Errors: []bigcommerce.MutationError{{Typename: e.typ, Message: e.msg, Topic: e.topic}}}
}

func (sim *Simulator) gqlCreate(w http.ResponseWriter, r *http.Request, st *simStore, in bigcommerce.CreatePubSubWebhookInput) {
	var topicErr error
	if validTopicPath(in.Destination) {
		topicErr = sim.checkTopic(r.Context(), in.Destination)
	}
	st.mu.Lock()
	h, herr := st.createHook(in.Scope, in.Destination, in.IsActive, true, nil, topicErr)
	var out bigcommerce.WebhookMutationData
	if herr == nil {
		out.Webhook.CreatePubSubWebhook = &bigcommerce.WebhookPayload{Webhook: st.node(h), Errors: []bigcommerce.MutationError{}}
	} else {
		out.Webhook.CreatePubSubWebhook = payloadErr(herr)
	}
	st.mu.Unlock()
	if herr != nil && herr.typ == "" {
		gqlError(w, herr.msg)
		return
	}
	gqlData(w, out)
}

func (sim *Simulator) gqlUpdate(w http.ResponseWriter, r *http.Request, st *simStore, in bigcommerce.UpdatePubSubWebhookInput) {
	id, ok := parseHookGID(in.ID)
	st.mu.RLock()
	var dest string
	var pubsubHook bool
	if ok {
		if h := st.ownHook(id); h != nil {
			dest, pubsubHook = h.Destination, st.wh.pubsub[id]
		}
	}
	st.mu.RUnlock()
	if dest == "" || !pubsubHook {
		gqlError(w, fmt.Sprintf("Pub/Sub webhook %q not found", in.ID))
		return
	}
	if in.Data.IsActive == nil {
		gqlError(w, "UpdatePubSubWebhookInput.data must set at least one field")
		return
	}
	var topicErr error
	if *in.Data.IsActive {
		topicErr = sim.checkTopic(r.Context(), dest)
	}
	st.mu.Lock()
	var out bigcommerce.WebhookMutationData
	var herr *hookError
	if h := st.ownHook(id); h == nil {
		herr = &hookError{msg: fmt.Sprintf("Pub/Sub webhook %q not found", in.ID)}
	} else if herr = st.setActive(h, *in.Data.IsActive, topicErr); herr == nil {
		out.Webhook.UpdatePubSubWebhook = &bigcommerce.WebhookPayload{Webhook: st.node(h), Errors: []bigcommerce.MutationError{}}
	} else {
		out.Webhook.UpdatePubSubWebhook = payloadErr(herr)
	}
	st.mu.Unlock()
	if herr != nil && herr.typ == "" {
		gqlError(w, herr.msg)
		return
	}
	gqlData(w, out)
}

func (st *simStore) gqlDelete(w http.ResponseWriter, gid string) {
	id, ok := parseHookGID(gid)
	st.mu.Lock()
	var h *hook
	if ok {
		h = st.ownHook(id)
	}
	if h != nil {
		st.deleteHook(h)
	}
	st.mu.Unlock()
	if h == nil {
		gqlError(w, fmt.Sprintf("Webhook %q not found", gid))
		return
	}
	var out bigcommerce.WebhookMutationData
	out.Webhook.DeleteWebhook = &struct {
		ID string `json:"id"`
	}{hookGID(id)}
	gqlData(w, out)
}

// --- REST /v3/hooks ----------------------------------------------------------

func (st *simStore) listHooksREST(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st.mu.RLock()
	var out []hook
	for _, h := range st.ownHooks() {
		if v := q.Get("is_active"); v != "" && strconv.FormatBool(h.IsActive) != v {
			continue
		}
		if v := q.Get("scope"); v != "" && h.Scope != v {
			continue
		}
		if v := q.Get("destination"); v != "" && h.Destination != v {
			continue
		}
		out = append(out, *h)
	}
	st.mu.RUnlock()
	listV3(&call{w: w, r: r, api: apiV3}, out)
}

func (st *simStore) hooksAdminREST(w http.ResponseWriter) {
	type adminHook struct {
		hook
		Status string `json:"status"`
	}
	st.mu.RLock()
	list := []adminHook{}
	for _, h := range st.ownHooks() {
		list = append(list, adminHook{*h, strings.ToLower(string(st.hookStatus(h)))})
	}
	st.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"emails": []string{}, "hooks_list": list, "blocked_domains": []any{}}, "meta": map[string]any{}})
}

// restHookBody is webhook_Base / webhook_Put.
type restHookBody struct {
	Scope       *string           `json:"scope"`
	Destination *string           `json:"destination"`
	IsActive    *bool             `json:"is_active"`
	Headers     map[string]string `json:"headers"`
}

func readRESTBody(w http.ResponseWriter, r *http.Request) (restHookBody, bool) {
	var b restHookBody
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err == nil {
		err = json.Unmarshal(body, &b)
	}
	if err != nil {
		writeError(w, apiV3, http.StatusBadRequest, "The request body is not valid JSON.")
		return b, false
	}
	return b, true
}

// unprocessable answers 422 with V3's per-field errors.
func unprocessable(w http.ResponseWriter, field, msg string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"status": 422, "title": "JSON data is missing or invalid",
		"type": errorType, "errors": map[string]string{field: msg}})
}

// httpsDestination reports whether dest is an HTTPS URL on port 443, the
// only destination REST documents.
func httpsDestination(dest string) bool {
	u, err := url.Parse(dest)
	return err == nil && u.Scheme == "https" && u.Host != "" && (u.Port() == "" || u.Port() == "443")
}

// restHookError answers a refusal from the webhook rules.
func restHookError(w http.ResponseWriter, e *hookError) {
	switch e.typ {
	case bigcommerce.ErrTypeAlreadyExists:
		// [assumed] reference §11 q5: 409 or 422 is open.
		writeJSON(w, http.StatusConflict, map[string]any{"status": 409, "title": e.msg, "type": errorType, "errors": map[string]string{}})
	case bigcommerce.ErrTypeValidation:
		unprocessable(w, "scope", e.msg)
	case bigcommerce.ErrTypeTopicNotFound, bigcommerce.ErrTypePublisherPermission:
		unprocessable(w, "destination", e.msg)
	default:
		writeError(w, apiV3, http.StatusInternalServerError, e.msg)
	}
}

func (sim *Simulator) createHookREST(w http.ResponseWriter, r *http.Request, st *simStore) {
	b, ok := readRESTBody(w, r)
	if !ok {
		return
	}
	switch {
	case b.Scope == nil || *b.Scope == "":
		unprocessable(w, "scope", "scope is required")
		return
	case b.Destination == nil || !httpsDestination(*b.Destination):
		unprocessable(w, "destination", "destination must be an HTTPS URL on port 443")
		return
	}
	active := b.IsActive == nil || *b.IsActive
	st.mu.Lock()
	h, herr := st.createHook(*b.Scope, *b.Destination, active, false, b.Headers, nil)
	var out hook
	if h != nil {
		out = *h
	}
	st.mu.Unlock()
	if herr != nil {
		restHookError(w, herr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": map[string]any{}})
}

func (sim *Simulator) updateHookREST(w http.ResponseWriter, r *http.Request, st *simStore, id int) {
	b, ok := readRESTBody(w, r)
	if !ok {
		return
	}
	if b.Scope == nil && b.Destination == nil && b.IsActive == nil && b.Headers == nil {
		unprocessable(w, "body", "at least one field is required")
		return
	}
	if b.Destination != nil && !httpsDestination(*b.Destination) {
		unprocessable(w, "destination", "destination must be an HTTPS URL on port 443")
		return
	}
	st.mu.RLock()
	var dest string
	if h := st.ownHook(id); h != nil && st.wh.pubsub[id] {
		dest = h.Destination
	}
	st.mu.RUnlock()
	var topicErr error
	if dest != "" && b.IsActive != nil && *b.IsActive {
		topicErr = sim.checkTopic(r.Context(), dest)
	}
	st.mu.Lock()
	h := st.ownHook(id)
	var herr *hookError
	var out hook
	if h != nil {
		if b.IsActive != nil {
			herr = st.setActive(h, *b.IsActive, topicErr)
		}
		if herr == nil {
			if b.Scope != nil {
				h.Scope = *b.Scope
			}
			if b.Destination != nil {
				h.Destination = *b.Destination
			}
			if b.Headers != nil {
				h.Headers = b.Headers
			}
			h.UpdatedAt = unixTime(st.sim.now())
		}
		out = *h
	}
	st.mu.Unlock()
	switch {
	case h == nil:
		writeError(w, apiV3, http.StatusNotFound, fmt.Sprintf("Webhook with id [%d] not found", id))
	case herr != nil:
		restHookError(w, herr)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": map[string]any{}})
	}
}

func (st *simStore) deleteHookREST(w http.ResponseWriter, id int) {
	st.mu.Lock()
	h := st.ownHook(id)
	var out hook
	if h != nil {
		out = *h
		st.deleteHook(h)
	}
	st.mu.Unlock()
	if h == nil {
		writeError(w, apiV3, http.StatusNotFound, fmt.Sprintf("Webhook with id [%d] not found", id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": map[string]any{}})
}
