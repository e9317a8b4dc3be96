package bigcommerce

// This file is the one place that knows the shape of BigCommerce's webhook
// management API: the GraphQL Admin documents, their JSON field names, the
// status values and the error types and texts. The reference
// (shared/reference/bigcommerce.md §4.2, §11 questions 3–5) leaves much of
// it open; every assumption is marked [assumed] here so that it can be
// corrected in one place once checked against a live store. The simulator
// (bctest) serves exactly these shapes.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// GraphQLPath is the GraphQL Admin API endpoint below a store's API root
// (https://api.bigcommerce.com/stores/{hash}/graphql).
const GraphQLPath = "/graphql"

// PubSubDeliveryAccount is the Google service account BigCommerce publishes
// Pub/Sub webhooks as; it needs roles/pubsub.publisher on the topic.
const PubSubDeliveryAccount = "webhook-deliveries@bigcommerce-platform.iam.gserviceaccount.com"

// WebhookStatus is a webhook's GraphQL status.
type WebhookStatus string

// Webhook statuses. Only ACTIVE is documented; INACTIVE (isActive false)
// and DEACTIVATED (switched off by BigCommerce, e.g. after the topic was
// deleted) are [assumed] from the REST admin endpoint's
// "inactive | active | deactivated".
const (
	WebhookActive      WebhookStatus = "ACTIVE"
	WebhookInactive    WebhookStatus = "INACTIVE"
	WebhookDeactivated WebhookStatus = "DEACTIVATED"
)

// Webhook kinds, the GraphQL __typename of a webhook node.
const (
	WebhookKindPubSub      = "PubSubWebhook"
	WebhookKindHTTPS       = "HttpsWebhook"
	WebhookKindEventBridge = "EventBridgeWebhook"
)

// Webhook is one webhook as the GraphQL Admin API lists it. Only the hooks
// of the API account behind the token are visible.
type Webhook struct {
	// ID is the global ID, "bc/store/webhook/{n}".
	ID string `json:"id"`
	// Kind is WebhookKindPubSub, WebhookKindHTTPS, ….
	Kind string `json:"kind"`
	// Scope is the subscribed scope ("store/order/*").
	Scope string `json:"scope"`
	// Destination is the topic path (projects/P/topics/T) for Pub/Sub, the
	// URL for HTTPS, the event source ARN for EventBridge.
	Destination string        `json:"destination"`
	Status      WebhookStatus `json:"status"`
	CreatedAt   time.Time     `json:"created_at,omitzero"`
	UpdatedAt   time.Time     `json:"updated_at,omitzero"`
}

// TopicPath returns the Pub/Sub destination BigCommerce expects,
// projects/{project}/topics/{topic}.
func TopicPath(project, topic string) string {
	return "projects/" + project + "/topics/" + topic
}

// --- GraphQL documents -------------------------------------------------------

// webhookFields are the fields read from every webhook node. Destination is
// only on the concrete types.
const webhookFields = `__typename id scope status createdAt updatedAt
  ... on PubSubWebhook { destination }
  ... on HttpsWebhook { destination }`

// mutationErrors selects the members of the mutation payloads' error union
// the docs show; PublisherPermissionError is [assumed] (only its message,
// "Publisher permissions not granted for '{TOPIC}'", is documented).
const mutationErrors = `errors { __typename
  ... on AlreadyExistsError { message }
  ... on ValidationError { message }
  ... on PubSubTopicNotFoundError { topic message }
  ... on PublisherPermissionError { message } }`

const (
	listWebhooksQuery = `query ListWebhooks($after: String) {
  store { webhooks(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { ` + webhookFields + ` } } } } }`

	createPubSubWebhookMutation = `mutation CreatePubSubWebhook($input: CreatePubSubWebhookInput!) {
  webhook { createPubSubWebhook(input: $input) {
    webhook { ` + webhookFields + ` }
    ` + mutationErrors + ` } } }`

	// [assumed] UpdatePubSubWebhookInput is {id, data: {isActive}}.
	updatePubSubWebhookMutation = `mutation UpdatePubSubWebhook($input: UpdatePubSubWebhookInput!) {
  webhook { updatePubSubWebhook(input: $input) {
    webhook { ` + webhookFields + ` }
    ` + mutationErrors + ` } } }`

	// [assumed] the reference shows deleteWebhook(id: ID!) returning { id }.
	deleteWebhookMutation = `mutation DeleteWebhook($id: ID!) {
  webhook { deleteWebhook(id: $id) { id } } }`
)

// Operation names, as the documents above name them; the simulator
// dispatches on them.
const (
	OpListWebhooks        = "ListWebhooks"
	OpCreatePubSubWebhook = "CreatePubSubWebhook"
	OpUpdatePubSubWebhook = "UpdatePubSubWebhook"
	OpDeleteWebhook       = "DeleteWebhook"
)

// GraphQLRequest is the JSON body of a GraphQL call.
type GraphQLRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName,omitempty"`
	Variables     map[string]any `json:"variables,omitempty"`
}

// GraphQLError is one entry of a GraphQL response's top-level "errors".
type GraphQLError struct {
	Message string `json:"message"`
}

// WebhookNode is a webhook as the GraphQL API renders it.
type WebhookNode struct {
	Typename    string        `json:"__typename"`
	ID          string        `json:"id"`
	Scope       string        `json:"scope"`
	Destination string        `json:"destination,omitempty"`
	Status      WebhookStatus `json:"status"`
	CreatedAt   string        `json:"createdAt"`
	UpdatedAt   string        `json:"updatedAt"`
}

// MutationError is one member of a webhook mutation's error union.
type MutationError struct {
	Typename string `json:"__typename"`
	Message  string `json:"message"`
	Topic    string `json:"topic,omitempty"`
}

// Names of the error union members.
const (
	ErrTypeAlreadyExists       = "AlreadyExistsError"
	ErrTypeValidation          = "ValidationError"
	ErrTypeTopicNotFound       = "PubSubTopicNotFoundError"
	ErrTypePublisherPermission = "PublisherPermissionError" // [assumed]
)

// Error texts BigCommerce documents for Pub/Sub webhooks (§2); %s is the
// topic path. Errors are also recognised by these texts, in case they come
// as top-level GraphQL errors rather than union members.
const (
	TopicNotFoundText       = "Google topic '%s' doesn't exist"
	PublisherPermissionText = "Publisher permissions not granted for '%s'"
)

// WebhookPayload is the payload of createPubSubWebhook and
// updatePubSubWebhook.
type WebhookPayload struct {
	Webhook *WebhookNode    `json:"webhook"`
	Errors  []MutationError `json:"errors"`
}

// ListWebhooksData is the "data" of ListWebhooks.
type ListWebhooksData struct {
	Store struct {
		Webhooks struct {
			PageInfo struct {
				HasNextPage bool   `json:"hasNextPage"`
				EndCursor   string `json:"endCursor"`
			} `json:"pageInfo"`
			Edges []struct {
				Node WebhookNode `json:"node"`
			} `json:"edges"`
		} `json:"webhooks"`
	} `json:"store"`
}

// WebhookMutationData is the "data" of the webhook mutations.
type WebhookMutationData struct {
	Webhook struct {
		CreatePubSubWebhook *WebhookPayload `json:"createPubSubWebhook,omitempty"`
		UpdatePubSubWebhook *WebhookPayload `json:"updatePubSubWebhook,omitempty"`
		DeleteWebhook       *struct {
			ID string `json:"id"`
		} `json:"deleteWebhook,omitempty"`
	} `json:"webhook"`
}

// CreatePubSubWebhookInput is createPubSubWebhook's input.
type CreatePubSubWebhookInput struct {
	Scope       string `json:"scope"`
	Destination string `json:"destination"`
	IsActive    bool   `json:"isActive"`
}

// UpdatePubSubWebhookInput is updatePubSubWebhook's input [assumed].
type UpdatePubSubWebhookInput struct {
	ID   string `json:"id"`
	Data struct {
		IsActive *bool `json:"isActive,omitempty"`
	} `json:"data"`
}

// --- errors ------------------------------------------------------------------

// WebhookErrorKind classifies a failed webhook mutation.
type WebhookErrorKind string

// Kinds of WebhookError.
const (
	WebhookTopicNotFound    WebhookErrorKind = "topic_not_found"
	WebhookPermissionDenied WebhookErrorKind = "publisher_permission"
	WebhookAlreadyExists    WebhookErrorKind = "already_exists"
	WebhookInvalid          WebhookErrorKind = "validation"
	WebhookOther            WebhookErrorKind = "other"
)

// WebhookError is a webhook mutation BigCommerce refused. Its message says
// what to do about it.
type WebhookError struct {
	Kind        WebhookErrorKind
	Op          string // "create", "activate", "delete"
	Store       string
	Scope       string
	Destination string
	// Message is BigCommerce's own text.
	Message string
	// Err is the transport or API error when the call got no mutation
	// answer (errors.Is(err, ErrUnauthorized) works through it); nil for a
	// refusal in the mutation's payload.
	Err error
}

// Unwrap returns Err.
func (e *WebhookError) Unwrap() error { return e.Err }

func (e *WebhookError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bigcommerce: %s webhook %s → %s (store %s): %s", e.Op, e.Scope, e.Destination, e.Store, e.Message)
	if h := e.Hint(); h != "" {
		b.WriteString(" — ")
		b.WriteString(h)
	}
	return b.String()
}

// Hint says how to fix the error, or "" when there is nothing to say.
func (e *WebhookError) Hint() string {
	switch e.Kind {
	case WebhookTopicNotFound:
		return "create the topic (registrar apply does) and check GOOGLE_CLOUD_PROJECT and PUBSUB_TOPIC"
	case WebhookPermissionDenied:
		return "grant roles/pubsub.publisher on the topic to " + PubSubDeliveryAccount + " (registrar apply does, given IAM admin rights on the topic)"
	case WebhookAlreadyExists:
		return "a webhook for this scope and destination exists already, possibly created by another API account of the store; it is not visible to this token"
	case WebhookInvalid:
		return "check WEBHOOK_SCOPES and the destination"
	}
	return ""
}

// classify turns a mutation's union errors into a *WebhookError.
func classify(op, store, scope, dest string, errs []MutationError) error {
	if len(errs) == 0 {
		return nil
	}
	e := errs[0]
	kind := WebhookOther
	switch e.Typename {
	case ErrTypeAlreadyExists:
		kind = WebhookAlreadyExists
	case ErrTypeValidation:
		kind = WebhookInvalid
	case ErrTypeTopicNotFound:
		kind = WebhookTopicNotFound
	case ErrTypePublisherPermission:
		kind = WebhookPermissionDenied
	}
	if kind == WebhookOther || kind == WebhookInvalid {
		kind = kindFromText(e.Message, kind)
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Message
	}
	return &WebhookError{Kind: kind, Op: op, Store: store, Scope: scope, Destination: dest, Message: strings.Join(msgs, "; ")}
}

// kindFromText recognises the documented texts in an error message.
func kindFromText(msg string, def WebhookErrorKind) WebhookErrorKind {
	switch {
	case strings.Contains(msg, "doesn't exist") && strings.Contains(msg, "Google topic"):
		return WebhookTopicNotFound
	case strings.Contains(msg, "Publisher permissions not granted"):
		return WebhookPermissionDenied
	case strings.Contains(strings.ToLower(msg), "already exists"):
		return WebhookAlreadyExists
	}
	return def
}

// --- client calls ------------------------------------------------------------

// ListWebhooks returns every webhook of the store visible to its token,
// following the cursor through all pages.
func (c *Client) ListWebhooks(ctx context.Context, store string) ([]Webhook, error) {
	var out []Webhook
	var after any // null on the first page
	for page := 0; ; page++ {
		if page > 1000 {
			return nil, fmt.Errorf("bigcommerce: list webhooks (store %s): more than 1000 pages; the cursor does not advance", store)
		}
		var data ListWebhooksData
		err := c.graphQL(ctx, store, GraphQLRequest{Query: listWebhooksQuery, OperationName: OpListWebhooks,
			Variables: map[string]any{"after": after}}, true, &data)
		if err != nil {
			return nil, fmt.Errorf("bigcommerce: list webhooks (store %s): %w", store, err)
		}
		for _, e := range data.Store.Webhooks.Edges {
			out = append(out, e.Node.webhook())
		}
		pi := data.Store.Webhooks.PageInfo
		if !pi.HasNextPage || pi.EndCursor == "" {
			return out, nil
		}
		after = pi.EndCursor
	}
}

// CreatePubSubWebhook subscribes the store's scope to topicPath
// (projects/P/topics/T), active. A refusal is a *WebhookError.
//
// The call is not retried after an unknown outcome (a 5xx): a retry of a
// create that did happen answers AlreadyExists, which the caller's next
// listing resolves.
func (c *Client) CreatePubSubWebhook(ctx context.Context, store, scope, topicPath string) (Webhook, error) {
	var data WebhookMutationData
	in := CreatePubSubWebhookInput{Scope: scope, Destination: topicPath, IsActive: true}
	err := c.graphQL(ctx, store, GraphQLRequest{Query: createPubSubWebhookMutation, OperationName: OpCreatePubSubWebhook,
		Variables: map[string]any{"input": in}}, false, &data)
	if err != nil {
		return Webhook{}, &WebhookError{Kind: kindFromText(err.Error(), WebhookOther), Op: "create", Store: store, Scope: scope, Destination: topicPath, Message: err.Error(), Err: err}
	}
	p := data.Webhook.CreatePubSubWebhook
	return mutationResult("create", store, scope, topicPath, p)
}

// SetWebhookActive switches a Pub/Sub webhook on or off; switching on is how
// a deactivated webhook is healed once its topic is back. A refusal is a
// *WebhookError.
func (c *Client) SetWebhookActive(ctx context.Context, store string, hook Webhook, active bool) (Webhook, error) {
	in := UpdatePubSubWebhookInput{ID: hook.ID}
	in.Data.IsActive = &active
	var data WebhookMutationData
	err := c.graphQL(ctx, store, GraphQLRequest{Query: updatePubSubWebhookMutation, OperationName: OpUpdatePubSubWebhook,
		Variables: map[string]any{"input": in}}, true, &data)
	op := "activate"
	if !active {
		op = "deactivate"
	}
	if err != nil {
		return Webhook{}, &WebhookError{Kind: kindFromText(err.Error(), WebhookOther), Op: op, Store: store, Scope: hook.Scope, Destination: hook.Destination, Message: err.Error(), Err: err}
	}
	return mutationResult(op, store, hook.Scope, hook.Destination, data.Webhook.UpdatePubSubWebhook)
}

// DeleteWebhook deletes a webhook by ID. Deleting one that is gone already
// succeeds.
func (c *Client) DeleteWebhook(ctx context.Context, store string, hook Webhook) error {
	var data WebhookMutationData
	err := c.graphQL(ctx, store, GraphQLRequest{Query: deleteWebhookMutation, OperationName: OpDeleteWebhook,
		Variables: map[string]any{"id": hook.ID}}, true, &data)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return &WebhookError{Kind: kindFromText(err.Error(), WebhookOther), Op: "delete", Store: store, Scope: hook.Scope, Destination: hook.Destination, Message: err.Error(), Err: err}
	}
	return nil
}

func mutationResult(op, store, scope, dest string, p *WebhookPayload) (Webhook, error) {
	if p == nil {
		return Webhook{}, &WebhookError{Kind: WebhookOther, Op: op, Store: store, Scope: scope, Destination: dest, Message: "response has no payload"}
	}
	if err := classify(op, store, scope, dest, p.Errors); err != nil {
		return Webhook{}, err
	}
	if p.Webhook == nil {
		return Webhook{}, &WebhookError{Kind: WebhookOther, Op: op, Store: store, Scope: scope, Destination: dest, Message: "response has neither webhook nor errors"}
	}
	return p.Webhook.webhook(), nil
}

func (n WebhookNode) webhook() Webhook {
	w := Webhook{ID: n.ID, Kind: n.Typename, Scope: n.Scope, Destination: n.Destination, Status: n.Status}
	w.CreatedAt, _ = time.Parse(time.RFC3339, n.CreatedAt)
	w.UpdatedAt, _ = time.Parse(time.RFC3339, n.UpdatedAt)
	return w
}

// errGraphQL marks top-level GraphQL errors; they are answers, so not
// retryable.
var errGraphQL = errors.New("graphql error")

// graphQL posts req and decodes the response's data into out. Top-level
// GraphQL errors (a 200 with "errors") fail the call with their messages.
func (c *Client) graphQL(ctx context.Context, store string, req GraphQLRequest, idempotent bool, out any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode %s: %w", req.OperationName, err)
	}
	res, err := c.Do(ctx, store, Request{Method: http.MethodPost, Path: GraphQLPath, Body: body,
		Idempotent: idempotent, PathTemplate: GraphQLPath + " " + req.OperationName})
	if err != nil {
		return err
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []GraphQLError  `json:"errors"`
	}
	if err := json.Unmarshal(res.Body, &env); err != nil {
		return fmt.Errorf("%s: decode response: %w", req.OperationName, err)
	}
	if len(env.Errors) > 0 {
		msgs := make([]string, len(env.Errors))
		for i, e := range env.Errors {
			msgs[i] = e.Message
		}
		return fmt.Errorf("%s: %w: %s", req.OperationName, errGraphQL, cut(strings.Join(msgs, "; "), maxMessage))
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return fmt.Errorf("%s: response has no data", req.OperationName)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("%s: decode data: %w", req.OperationName, err)
	}
	return nil
}

// --- scopes ------------------------------------------------------------------

// ScopeCovers reports whether a webhook subscribed to sub receives events
// of scope. A scope covers itself. A wildcard "P/*" covers every scope
// below P, except those a more specific catalog wildcard covers
// ("store/cart/*" covers store/cart/updated but not
// store/cart/lineItem/created, which store/cart/lineItem/* does) [assumed:
// open question 9 of the reference]. "{channel_id}" in catalog wildcards
// matches any channel ID.
func ScopeCovers(sub, scope string) bool {
	if sub == scope {
		return true
	}
	if !wildcardCovers(sub, scope) {
		return false
	}
	depth := strings.Count(sub, "/")
	for _, w := range wildcards {
		if strings.Count(w, "/") > depth && wildcardCovers(w, scope) && wildcardCovers(sub, strings.TrimSuffix(w, "/*")+"/x") {
			return false // a more specific wildcard owns scope
		}
	}
	return true
}

// wildcardCovers is prefix matching of a "…/*" pattern, segment by
// segment, with "{…}" segments matching any one segment.
func wildcardCovers(pattern, scope string) bool {
	prefix, ok := strings.CutSuffix(pattern, "/*")
	if !ok {
		return false
	}
	ps := strings.Split(prefix, "/")
	ss := strings.Split(scope, "/")
	if len(ss) <= len(ps) {
		return false
	}
	for i, p := range ps {
		if p != ss[i] && !(strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}")) {
			return false
		}
	}
	return true
}
