package registrar

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"bcstream/bigcommerce"
)

// Webhook actions.
const (
	// ActionCreate: a desired scope has no webhook to our topic.
	ActionCreate = "create"
	// ActionActivate: our webhook is inactive or was deactivated by
	// BigCommerce (topic deleted, publish rights revoked).
	ActionActivate = "activate"
	// ActionDelete: our webhook's scope is no longer desired (with prune).
	ActionDelete = "delete"
	// ActionKeep: our webhook is active and desired.
	ActionKeep = "keep"
	// ActionStale: like ActionDelete, but prune is off: reported, kept.
	ActionStale = "stale"
	// ActionForeign: the webhook points elsewhere; never touched.
	ActionForeign = "other-destination"
)

// HookChange is one webhook row of a store's plan.
type HookChange struct {
	Action      string                    `json:"action"`
	Scope       string                    `json:"scope"`
	ID          string                    `json:"id,omitempty"`
	Status      bigcommerce.WebhookStatus `json:"status,omitempty"`
	Destination string                    `json:"destination"`
	// Reason explains a stale or delete row.
	Reason string `json:"reason,omitempty"`
	// Done and Err are apply's outcome.
	Done bool   `json:"done,omitempty"`
	Err  string `json:"error,omitempty"`

	hook bigcommerce.Webhook
}

// Pending reports whether the row is a change apply makes.
func (c *HookChange) Pending() bool {
	return c.Action == ActionCreate || c.Action == ActionActivate || c.Action == ActionDelete
}

// StorePlan is one store's webhooks and what to do with them.
type StorePlan struct {
	Store string        `json:"store"`
	Name  string        `json:"name,omitempty"`
	Hooks []*HookChange `json:"webhooks"`
	// Err is why the store could not be read or changed.
	Err string `json:"error,omitempty"`
}

// Pending counts the store's changes.
func (sp *StorePlan) Pending() int {
	n := 0
	for _, c := range sp.Hooks {
		if c.Pending() {
			n++
		}
	}
	return n
}

// Failed reports whether the store or one of its changes failed.
func (sp *StorePlan) Failed() bool {
	if sp.Err != "" {
		return true
	}
	for _, c := range sp.Hooks {
		if c.Err != "" {
			return true
		}
	}
	return false
}

// Plan is the difference between the desired and the actual state, and
// after Apply, each change's outcome.
type Plan struct {
	Project     string       `json:"project"`
	Destination string       `json:"destination"`
	Scopes      []string     `json:"scopes"`
	Prune       bool         `json:"prune"`
	Applied     bool         `json:"applied"`
	GCP         []*GCPChange `json:"pubsub_changes"`
	// GCPErr is why the Pub/Sub side could not be read.
	GCPErr string       `json:"pubsub_error,omitempty"`
	Notes  []string     `json:"notes,omitempty"`
	Stores []*StorePlan `json:"stores"`
}

// Pending counts the changes the plan makes (Pub/Sub and webhooks).
func (p *Plan) Pending() int {
	n := len(p.GCP)
	for _, sp := range p.Stores {
		n += sp.Pending()
	}
	return n
}

// Failed reports whether anything could not be read or changed.
func (p *Plan) Failed() bool {
	if p.GCPErr != "" {
		return true
	}
	for _, c := range p.GCP {
		if c.Err != "" {
			return true
		}
	}
	for _, sp := range p.Stores {
		if sp.Failed() {
			return true
		}
	}
	return false
}

// WriteJSON writes the plan as indented JSON.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// symbols mark rows, terraform-style.
var symbols = map[string]string{
	ActionCreate: "+", ActionActivate: "~", ActionDelete: "-", ActionKeep: "=", ActionStale: "?", ActionForeign: " ",
	GCPCreateTopic: "+", GCPCreateSubscription: "+", GCPUpdateSubscription: "~", GCPRecreateSubscription: "~", GCPGrant: "+",
}

// WriteText writes the plan for a person. With all, unchanged webhooks
// and other destinations are listed too (the status view); otherwise only
// changes, stale webhooks and failures.
func (p *Plan) WriteText(w io.Writer, all bool) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "Pub/Sub (project %s)\n", p.Project)
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	if len(p.GCP) == 0 && p.GCPErr == "" {
		fmt.Fprintf(tw, "  = topics, subscriptions and grants are as configured\n")
	}
	for _, c := range p.GCP {
		fmt.Fprintf(tw, "  %s %s\t%s\t%s%s\n", symbols[c.Kind], c.Kind, c.Resource, c.Detail, outcome(p.Applied, c.Err, c.Err == ""))
	}
	tw.Flush()
	if p.GCPErr != "" {
		for _, line := range strings.Split(p.GCPErr, "\n") {
			fmt.Fprintf(b, "  ! ERROR: %s\n", line)
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(b, "  note: %s\n", n)
	}

	fmt.Fprintf(b, "\nWebhooks → %s\n", p.Destination)
	for _, sp := range p.Stores {
		title := sp.Store
		if sp.Name != "" {
			title += " (" + sp.Name + ")"
		}
		if sp.Err != "" && len(sp.Hooks) == 0 {
			fmt.Fprintf(b, "  store %s\n    ! ERROR: %s\n", title, sp.Err)
			continue
		}
		var rows []*HookChange
		ok := 0
		for _, c := range sp.Hooks {
			switch {
			case all || c.Pending() || c.Action == ActionStale || c.Err != "":
				rows = append(rows, c)
			}
			if c.Action == ActionKeep {
				ok++
			}
		}
		if len(rows) == 0 {
			fmt.Fprintf(b, "  store %s: up to date (%d webhooks active)\n", title, ok)
			continue
		}
		fmt.Fprintf(b, "  store %s\n", title)
		tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
		for _, c := range rows {
			fmt.Fprintf(tw, "    %s %s\t%s\t%s\t%s%s\n", symbols[c.Action], c.Action, c.Scope, orDash(c.ID), rowNote(c), outcome(p.Applied && c.Pending(), c.Err, c.Done))
		}
		tw.Flush()
		if sp.Err != "" {
			fmt.Fprintf(b, "    ! ERROR: %s\n", sp.Err)
		}
	}

	creates, activates, deletes, stale, failed := 0, 0, 0, 0, 0
	for _, sp := range p.Stores {
		if sp.Failed() {
			failed++
		}
		for _, c := range sp.Hooks {
			switch c.Action {
			case ActionCreate:
				creates++
			case ActionActivate:
				activates++
			case ActionDelete:
				deletes++
			case ActionStale:
				stale++
			}
		}
	}
	fmt.Fprintf(b, "\nSummary: %d stores; Pub/Sub: %d change(s); webhooks: %d to create, %d to re-activate, %d to delete",
		len(p.Stores), len(p.GCP), creates, activates, deletes)
	if stale > 0 {
		fmt.Fprintf(b, "; %d stale (kept: run apply --prune to delete them)", stale)
	}
	b.WriteString(".\n")
	switch {
	case p.Failed():
		fmt.Fprintf(b, "%d store(s) failed%s; see the ERROR lines above.\n", failed, map[bool]string{true: " and the Pub/Sub side failed", false: ""}[p.GCPErr != ""])
	case p.Pending() == 0:
		b.WriteString("Nothing to change: everything is as configured.\n")
	case !p.Applied:
		fmt.Fprintf(b, "Run `registrar apply%s` to make these %d change(s).\n", map[bool]string{true: " --prune", false: ""}[p.Prune], p.Pending())
	default:
		fmt.Fprintf(b, "Applied %d change(s).\n", p.Pending())
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

func rowNote(c *HookChange) string {
	var parts []string
	if c.Status != "" {
		parts = append(parts, string(c.Status))
	}
	switch c.Action {
	case ActionActivate:
		if c.Status == bigcommerce.WebhookDeactivated {
			parts = append(parts, "deactivated by BigCommerce (topic deleted or publish rights revoked)")
		} else {
			parts = append(parts, "switched off")
		}
	case ActionStale, ActionDelete:
		parts = append(parts, c.Reason)
	case ActionForeign:
		parts = append(parts, "→ "+c.Destination+" (not ours; never touched)")
	}
	return strings.Join(parts, "  ")
}

func outcome(applied bool, err string, done bool) string {
	switch {
	case err != "":
		return "  ! FAILED: " + err
	case applied && done:
		return "  [done]"
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
