package worker

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"bcstream/internal/logging"
	"bcstream/internal/telemetry"
	"bcstream/pipeline"
	"bcstream/pipeline/enrich"
	"bcstream/sink"
)

// Config is the worker's whole configuration, read from the environment.
// Sinks read their own variables (SQLITE_PATH, JSONL_PATH, …) when they
// are opened; see the README's configuration table.
type Config struct {
	// Project is the Google Cloud project of the subscription and topics.
	Project string `env:"GOOGLE_CLOUD_PROJECT, required"`

	Pipeline pipeline.Config

	// Sinks lists the sinks every batch is written to; a message is acked
	// only when all of them accepted its record.
	Sinks []string `env:"SINKS, default=sqlite"`

	// StoresFile is the store registry (see internal/stores): the stores
	// whose events are trusted and enriched, and where their API tokens
	// come from. Without it events are recorded with enrichment
	// "skipped", from any store.
	StoresFile string `env:"STORES_FILE"`

	// APIURL is the BigCommerce API root; requests go to
	// {APIURL}/stores/{hash}/v2/… and /v3/….
	APIURL string `env:"BIGCOMMERCE_API_URL, default=https://api.bigcommerce.com"`

	Enrich enrich.Config

	// LogLevel is debug, info, warn or error.
	LogLevel logging.Level `env:"LOG_LEVEL, default=info"`

	// HealthAddr, when set (e.g. ":8080"), serves /healthz and /readyz for
	// Kubernetes probes. Cloud Run worker pools need no port.
	HealthAddr string `env:"HEALTH_ADDR"`

	Telemetry telemetry.Config
}

// Validate checks that SINKS names only sinks compiled into this binary.
func (c *Config) Validate() error {
	if len(c.Sinks) == 0 {
		return errors.New("SINKS: name at least one sink")
	}
	var errs []error
	have := sink.Registered()
	for _, name := range c.Sinks {
		if !slices.Contains(have, name) {
			errs = append(errs, fmt.Errorf("SINKS: unknown or uncompiled sink %q (have: %s)", name, strings.Join(have, ", ")))
		}
	}
	return errors.Join(errs...)
}
