// Command replay moves dead-lettered messages back to the worker's topic
// once the cause is fixed (a sink outage, a worker bug, a scope the worker
// rejected).
//
//	replay -dry-run                         # count what is there, by reason
//	replay -reason sink_rejected,max_delivery_attempts
//
// Each selected message is published to the main topic with its original
// data and attributes (the dlq_* attributes the worker added, and the
// CloudPubSubDeadLetterSource* ones Pub/Sub's dead-letter policy added, are
// stripped); only after Pub/Sub has accepted the copy is the dead letter
// acked. Messages that are not selected, and every message in a dry run,
// are held while the replay runs and then released unchanged. A message
// is never lost: at worst a lost ack replays one twice, which the worker's
// dedupe absorbs.
//
// The replay ends after -idle without a new message, after -limit
// replays, at the first failed publish, or on SIGINT/SIGTERM; it prints a
// progress line every -progress on stderr and a summary by reason on
// stdout. It exits 1 when a publish failed or the run could not start.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"google.golang.org/api/option"

	"bcstream/internal/buildinfo"
	"bcstream/registrar"
)

func main() {
	ctx, done := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	done()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
}

// run parses args, replays and prints the summary. clientOpts reach the
// Pub/Sub client (tests point it at an emulator).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, clientOpts ...option.ClientOption) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	project := fs.String("project", getenv("GOOGLE_CLOUD_PROJECT"), "Google Cloud project of the subscription and topic (default $GOOGLE_CLOUD_PROJECT)")
	top := registrar.DefaultTopology()
	subscription := fs.String("subscription", cmp.Or(getenv("PUBSUB_DEAD_LETTER_SUBSCRIPTION"), top.DeadLetterSubscription),
		"dead-letter subscription to replay from (ID or full name; default $PUBSUB_DEAD_LETTER_SUBSCRIPTION or the registrar's)")
	topic := fs.String("topic", cmp.Or(getenv("PUBSUB_TOPIC"), top.Topic),
		"topic to publish back to: the worker's main topic (ID or full name; default $PUBSUB_TOPIC or the registrar's)")
	reasons := fs.String("reason", "", "comma-separated dlq_reason values to replay (e.g. sink_rejected,invalid_json), "+
		ReasonMaxDeliveryAttempts+" for messages Pub/Sub dead-lettered after too many failed deliveries, "+
		ReasonUnknown+" for messages without either mark; empty replays every reason")
	dryRun := fs.Bool("dry-run", false, "count the dead letters by reason and publish nothing; every message stays where it is")
	limit := fs.Int("limit", 0, "replay at most this many messages (0: no limit)")
	idle := fs.Duration("idle", 10*time.Second, "stop after no new message arrived for this long")
	maxHeld := fs.Int("max-held", 10000, "messages leased at once; messages past this many unselected ones are not reached in one run")
	publishWait := fs.Duration("publish-timeout", 30*time.Second, "bound on one publish, until Pub/Sub confirms it")
	progressEvery := fs.Duration("progress", 2*time.Second, "interval between progress lines on stderr (0: none)")
	version := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: replay [flags]\n\nMoves dead-lettered bcstream messages back to the main topic.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version {
		fmt.Fprintln(stdout, buildinfo.Version())
		return nil
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags only; see -help)", fs.Args())
	}

	var errs []error
	if *project == "" {
		errs = append(errs, errors.New("-project: not set and GOOGLE_CLOUD_PROJECT is empty"))
	}
	if *limit < 0 {
		errs = append(errs, fmt.Errorf("-limit: must be >= 0, got %d", *limit))
	}
	if *idle <= 0 {
		errs = append(errs, fmt.Errorf("-idle: must be > 0, got %s", *idle))
	}
	if *maxHeld <= 0 {
		errs = append(errs, fmt.Errorf("-max-held: must be > 0, got %d", *maxHeld))
	}
	if *publishWait <= 0 {
		errs = append(errs, fmt.Errorf("-publish-timeout: must be > 0, got %s", *publishWait))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}

	o := options{
		subscription: fullName(*project, "subscriptions", *subscription),
		topic:        fullName(*project, "topics", *topic),
		reasons:      parseReasons(*reasons),
		dryRun:       *dryRun,
		limit:        *limit,
		idle:         *idle,
		maxHeld:      *maxHeld,
		publishWait:  *publishWait,
		progress:     *progressEvery,
	}

	client, err := pubsub.NewClient(ctx, *project, clientOpts...)
	if err != nil {
		return fmt.Errorf("pubsub client: %w", err)
	}
	defer client.Close()

	started := time.Now()
	fmt.Fprintf(stderr, "replay: %s → %s%s\n", o.subscription, o.topic, describe(o))
	s, err := replay(ctx, client, o, func(s summary) { printProgress(stderr, s, time.Since(started)) })
	if s.ByReason != nil { // nil: the run did not start
		printSummary(stdout, s, o)
	}
	return err
}

// fullName expands a bare ID to projects/P/<kind>/ID; full names pass
// through.
func fullName(project, kind, nameOrID string) string {
	if strings.HasPrefix(nameOrID, "projects/") {
		return nameOrID
	}
	return "projects/" + project + "/" + kind + "/" + nameOrID
}

func parseReasons(s string) map[string]bool {
	m := map[string]bool{}
	for r := range strings.SplitSeq(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			m[r] = true
		}
	}
	return m
}

func describe(o options) string {
	var b strings.Builder
	if o.dryRun {
		b.WriteString(" (dry run: nothing is published or acked)")
	}
	if len(o.reasons) > 0 {
		fmt.Fprintf(&b, ", reasons %s", strings.Join(sortedKeys(o.reasons), ","))
	}
	if o.limit > 0 {
		fmt.Fprintf(&b, ", at most %d", o.limit)
	}
	return b.String()
}

func printProgress(w io.Writer, s summary, elapsed time.Duration) {
	t := s.total()
	verb := "replayed"
	if s.DryRun {
		verb = "would replay"
	}
	fmt.Fprintf(w, "replay: %6.0fs  seen %d  %s %d  left %d  failed %d\n",
		elapsed.Seconds(), t.Seen, verb, t.Replayed, s.Left, t.Failed)
}

func printSummary(w io.Writer, s summary, o options) {
	t := s.total()
	verb := "replayed"
	if s.DryRun {
		verb = "would replay"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "reason\tseen\t%s\tfailed\t\n", verb)
	for _, r := range s.reasons() {
		c := s.ByReason[r]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", r, c.Seen, c.Replayed, c.Failed)
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t\n", t.Seen, t.Replayed, t.Failed)
	_ = tw.Flush()
	fmt.Fprintf(w, "left in %s: %d\n", o.subscription, s.Left)
	if s.HeldLimit {
		fmt.Fprintf(w, "note: %d messages were held at once (-max-held), so later messages were not reached; run again, or raise -max-held\n", o.maxHeld)
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
