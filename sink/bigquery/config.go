package bigquery

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/sethvargo/go-envconfig"

	"bcstream/internal/config"
)

// Config is the sink's configuration, read from BIGQUERY_* variables (the
// project may also come from GOOGLE_CLOUD_PROJECT, which the worker
// requires anyway).
type Config struct {
	// Project is the project of the dataset and of the jobs that create
	// it. Empty means GOOGLE_CLOUD_PROJECT.
	Project string `env:"PROJECT"`
	// Dataset is created if missing, in Location. Required.
	Dataset string `env:"DATASET"`
	// Table is the events table, created if missing.
	Table string `env:"TABLE, default=events"`
	// Location is where a missing dataset is created (US, EU,
	// europe-west1, …). Empty lets BigQuery choose (US). It does not move
	// an existing dataset.
	Location string `env:"LOCATION"`
	// PartitionExpiration, when positive, makes BigQuery delete a day's
	// partition this long after the day ends: the retention of the event
	// history. Zero keeps everything. It is applied when the table is
	// created and updated on an existing table when it differs.
	PartitionExpiration time.Duration `env:"PARTITION_EXPIRATION, default=0"`

	// Endpoint overrides the REST endpoint (tables, datasets, views),
	// e.g. http://127.0.0.1:9050 for the emulator. When it or
	// StorageEndpoint is set, the sink uses no credentials and plaintext
	// gRPC: it is meant for emulators and fakes only.
	Endpoint string `env:"ENDPOINT"`
	// StorageEndpoint overrides the Storage Write API's gRPC endpoint
	// (host:port), e.g. 127.0.0.1:9060 for the emulator.
	StorageEndpoint string `env:"STORAGE_ENDPOINT"`

	// ManageSchema makes the sink create the dataset, the table and the
	// views at startup, add columns the table lacks and check the rest.
	// Set it to false where the tables are managed elsewhere (Terraform)
	// and the worker's service account may only write rows
	// (roles/bigquery.dataEditor on the table); the sink then only
	// writes, and a table that does not match fails the appends.
	ManageSchema bool `env:"MANAGE_SCHEMA, default=true"`

	// AppendTimeout bounds one append, from sending it to BigQuery's
	// answer, including the client's own retries (EnableWriteRetries: up
	// to 4 attempts about a second apart) and reconnects. It stays below
	// the pipeline's SINK_WRITE_TIMEOUT (30s) so that a stuck append fails
	// this batch rather than the whole write, and a 10s append is already
	// far outside the service's normal latency (tens of milliseconds). An
	// append that times out may still have been applied: the messages are
	// redelivered and the rows can appear twice, which events_dedup hides.
	AppendTimeout time.Duration `env:"APPEND_TIMEOUT, default=10s"`
	// RecreateAfter is how many appends in a row may fail with a transient
	// error before the sink drops its writer (the gRPC stream and its
	// connection) and opens a new one for the next append. The client
	// library reconnects on its own after a broken stream; this covers a
	// writer stuck in a state it does not recover from, such as the
	// repeated 10s deadline errors seen in google-cloud-go#12087.
	RecreateAfter int `env:"RECREATE_AFTER, default=3"`
}

// idPattern is what the sink accepts as a dataset or table ID: letters,
// digits and underscores, at most 1024 (BigQuery's limit for both). Table
// IDs may hold more (dashes, spaces), but the views' SQL would then need
// quoting rules for them; plain names are enough here.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

func validID(s string) bool { return len(s) <= 1024 && idPattern.MatchString(s) }

// LoadConfig reads Config from l, under the BIGQUERY_ prefix, with
// GOOGLE_CLOUD_PROJECT standing in for an unset BIGQUERY_PROJECT, and
// validates it. Every problem is reported at once, each naming its
// variable.
func LoadConfig(ctx context.Context, l envconfig.Lookuper) (Config, error) {
	var cfg Config
	if err := config.Load(ctx, &cfg, envconfig.PrefixLookuper("BIGQUERY_", projectFallback{l})); err != nil {
		return Config{}, fmt.Errorf("bigquery: config:\n%w", err)
	}
	return cfg, nil
}

// projectFallback answers BIGQUERY_PROJECT with GOOGLE_CLOUD_PROJECT when
// it is unset: the warehouse is usually in the worker's own project.
type projectFallback struct{ envconfig.Lookuper }

func (l projectFallback) Lookup(key string) (string, bool) {
	v, ok := l.Lookuper.Lookup(key)
	if !ok && key == "BIGQUERY_PROJECT" {
		return l.Lookuper.Lookup("GOOGLE_CLOUD_PROJECT")
	}
	return v, ok
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	var errs []error
	if c.Project == "" {
		errs = append(errs, errors.New("no project: set BIGQUERY_PROJECT or GOOGLE_CLOUD_PROJECT"))
	}
	switch {
	case c.Dataset == "":
		errs = append(errs, errors.New("BIGQUERY_DATASET is required (the dataset to write to; created if missing)"))
	case !validID(c.Dataset):
		errs = append(errs, fmt.Errorf("BIGQUERY_DATASET %q must be letters, digits and underscores", c.Dataset))
	}
	if !validID(c.Table) {
		errs = append(errs, fmt.Errorf("BIGQUERY_TABLE %q must be letters, digits and underscores", c.Table))
	}
	if c.PartitionExpiration < 0 {
		errs = append(errs, fmt.Errorf("BIGQUERY_PARTITION_EXPIRATION must not be negative, got %v", c.PartitionExpiration))
	} else if c.PartitionExpiration > 0 && c.PartitionExpiration < 24*time.Hour {
		// Shorter than a day would delete the day being written.
		errs = append(errs, fmt.Errorf("BIGQUERY_PARTITION_EXPIRATION must be 0 (keep) or at least 24h, got %v", c.PartitionExpiration))
	}
	if c.ManageSchema && (c.Endpoint == "") != (c.StorageEndpoint == "") {
		// Managing the schema of one BigQuery while writing to another
		// is always a mistake.
		errs = append(errs, errors.New("set both BIGQUERY_ENDPOINT and BIGQUERY_STORAGE_ENDPOINT (an emulator), or neither (BigQuery), unless BIGQUERY_MANAGE_SCHEMA=false"))
	}
	if c.AppendTimeout <= 0 {
		errs = append(errs, fmt.Errorf("BIGQUERY_APPEND_TIMEOUT must be > 0, got %v", c.AppendTimeout))
	}
	if c.RecreateAfter < 1 {
		errs = append(errs, fmt.Errorf("BIGQUERY_RECREATE_AFTER must be at least 1, got %d", c.RecreateAfter))
	}
	return errors.Join(errs...)
}
