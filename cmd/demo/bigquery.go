package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"bcstream/internal/bqemulator"
)

// bigQueryDataset is where the demo's BigQuery sink writes.
const bigQueryDataset = "bcstream"

// startBigQuery provides a BigQuery endpoint for -bigquery: the emulator
// named by BIGQUERY_ENDPOINT (e.g. one started with `go run
// ./internal/bqemulator/cmd/bqemulator -run`, which outlives the demo), or
// a fresh goccy/bigquery-emulator that stops with the demo (the first run
// builds it: about 11 minutes). It returns the worker's BIGQUERY_*
// settings.
func startBigQuery(ctx context.Context) (env map[string]string, stop func(), err error) {
	env = map[string]string{"SINKS": "bigquery", "BIGQUERY_DATASET": bigQueryDataset}
	if ep := os.Getenv("BIGQUERY_ENDPOINT"); ep != "" {
		fmt.Fprintf(os.Stderr, "BigQuery: the emulator at %s (BIGQUERY_ENDPOINT)\n", ep)
		return env, func() {}, nil
	}
	bin, err := bqemulator.Ensure(ctx, os.Stderr)
	if err != nil {
		return nil, nil, fmt.Errorf("BigQuery emulator: %w", err)
	}
	p, err := bqemulator.Start(ctx, bqemulator.Options{Binary: bin, Project: demoProject, Progress: os.Stderr})
	if err != nil {
		return nil, nil, fmt.Errorf("start the BigQuery emulator: %w", err)
	}
	for _, kv := range p.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	fmt.Fprintf(os.Stderr, "BigQuery: goccy/bigquery-emulator at %s (stops with the demo; for one that stays up run `go run ./internal/bqemulator/cmd/bqemulator -run` and set BIGQUERY_ENDPOINT and BIGQUERY_STORAGE_ENDPOINT)\n", p.RESTEndpoint())
	return env, func() { p.Stop() }, nil
}

// bigQuerySummary is the demo's example query, in BigQuery SQL, over the
// deduplicating view.
const bigQuerySummary = "SELECT entity_type, enrichment, COUNT(*) AS events, COUNT(DISTINCT store_hash) AS stores\n" +
	"FROM `%s.%s.events_dedup` GROUP BY entity_type, enrichment ORDER BY events DESC LIMIT 10"

// printBigQuery runs the example query against the BigQuery endpoint the
// worker wrote to.
func printBigQuery(ctx context.Context, out io.Writer, env func(string) string) error {
	project := env("BIGQUERY_PROJECT")
	if project == "" {
		project = env("GOOGLE_CLOUD_PROJECT")
	}
	client, err := bigquery.NewClient(ctx, project, option.WithEndpoint(env("BIGQUERY_ENDPOINT")), option.WithoutAuthentication())
	if err != nil {
		return err
	}
	defer client.Close()
	sql := fmt.Sprintf(bigQuerySummary, project, env("BIGQUERY_DATASET"))
	fmt.Fprintf(out, "\nThe event history is in BigQuery (%s.%s.events). Example query:\n\n%s\n\n", project, env("BIGQUERY_DATASET"), sql)
	it, err := client.Query(sql).Read(ctx)
	if err != nil {
		return fmt.Errorf("example query: %w", err)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  entity_type\tenrichment\tevents\tstores\t")
	for {
		var row []bigquery.Value
		err := it.Next(&row)
		if err == iterator.Done {
			break
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "  %v\t%v\t%v\t%v\t\n", row[0], row[1], row[2], row[3])
	}
	return tw.Flush()
}
