package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	monitoringv1 "google.golang.org/api/monitoring/v1"
	monitoringv3 "google.golang.org/api/monitoring/v3"
	"sigs.k8s.io/yaml"
)

// decodeStrictJSON decodes a JSON file into v, failing on unknown fields.
func decodeStrictJSON(tb testing.TB, path string, v any) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		tb.Errorf("%s: does not parse strictly as %T: %v", path, v, err)
	}
	return data
}

var workloadMetricRE = regexp.MustCompile(`workload\.googleapis\.com/([a-z_.]+)`)

// exportedMetrics lists the OpenTelemetry instrument names declared in
// the code (the first argument of meter.Int64Counter and friends).
func exportedMetrics(tb testing.TB) []string {
	tb.Helper()
	root := repoRoot(tb)
	var names []string
	re := regexp.MustCompile(`"(bcstream\.[a-z_.]+)"`)
	for _, f := range []string{"pipeline/metrics.go", "pipeline/enrich/metrics.go", "bigcommerce/client_metrics.go"} {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(data, -1) {
			names = append(names, string(m[1]))
		}
	}
	return names
}

// TestDashboardAndAlerts parses the dashboard and every alert policy
// strictly into Cloud Monitoring's API types, and checks that each
// workload metric they chart is one the code exports.
func TestDashboardAndAlerts(t *testing.T) {
	t.Parallel()
	have := exportedMetrics(t)
	if len(have) < 5 {
		t.Fatalf("found only %v in the code; has the metrics code moved?", have)
	}
	used := map[string]bool{}
	check := func(path string, data []byte) {
		for _, m := range workloadMetricRE.FindAllSubmatch(data, -1) {
			name := string(m[1])
			used[name] = true
			if !slices.Contains(have, name) {
				t.Errorf("%s: metric %s is not exported by the code (have %v)", path, name, have)
			}
		}
	}

	var d monitoringv1.Dashboard
	check("observability/dashboard.json", decodeStrictJSON(t, "observability/dashboard.json", &d))
	if d.MosaicLayout == nil || len(d.MosaicLayout.Tiles) == 0 {
		t.Error("dashboard has no tiles")
	}

	alerts, _ := filepath.Glob("observability/alerts/*.json")
	if len(alerts) < 6 {
		t.Errorf("found %d alert policies, want the six of the runbook", len(alerts))
	}
	for _, path := range alerts {
		var p monitoringv3.AlertPolicy
		check(path, decodeStrictJSON(t, path, &p))
		if len(p.Conditions) == 0 || p.Documentation == nil || p.Documentation.Content == "" {
			t.Errorf("%s: needs a condition and documentation for the person paged", path)
		}
	}
	for _, want := range []string{"bcstream.messages.dead_lettered", "bcstream.bigcommerce.rate_limited", "bcstream.bigcommerce.circuits_open", "bcstream.messages.nacked", "bcstream.sink.write.failures", "bcstream.event.lag"} {
		if !used[want] {
			t.Errorf("no chart or alert uses %s", want)
		}
	}
}

// TestCollectorConfig checks that every pipeline of the collector config
// names receivers, processors and exporters that are defined, and that
// metrics go to Google Cloud with the workload.googleapis.com prefix the
// dashboard queries.
func TestCollectorConfig(t *testing.T) {
	t.Parallel()
	var cfg struct {
		Receivers  map[string]any `json:"receivers"`
		Processors map[string]any `json:"processors"`
		Exporters  map[string]struct {
			Metric struct {
				Prefix string `json:"prefix"`
			} `json:"metric"`
		} `json:"exporters"`
		Extensions map[string]any `json:"extensions"`
		Service    struct {
			Extensions []string `json:"extensions"`
			Pipelines  map[string]struct {
				Receivers  []string `json:"receivers"`
				Processors []string `json:"processors"`
				Exporters  []string `json:"exporters"`
			} `json:"pipelines"`
		} `json:"service"`
	}
	data, err := os.ReadFile("observability/otel-collector.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	for name, p := range cfg.Service.Pipelines {
		for _, r := range p.Receivers {
			if _, ok := cfg.Receivers[r]; !ok {
				t.Errorf("pipeline %s: receiver %s is not defined", name, r)
			}
		}
		for _, r := range p.Processors {
			if _, ok := cfg.Processors[r]; !ok {
				t.Errorf("pipeline %s: processor %s is not defined", name, r)
			}
		}
		for _, r := range p.Exporters {
			if _, ok := cfg.Exporters[r]; !ok {
				t.Errorf("pipeline %s: exporter %s is not defined", name, r)
			}
		}
	}
	for _, e := range cfg.Service.Extensions {
		if _, ok := cfg.Extensions[e]; !ok {
			t.Errorf("extension %s is not defined", e)
		}
	}
	if _, ok := cfg.Service.Pipelines["metrics"]; !ok {
		t.Error("no metrics pipeline")
	}
	if got := cfg.Exporters["googlecloud"].Metric.Prefix; got != "workload.googleapis.com" {
		t.Errorf("googlecloud metric prefix %q, want workload.googleapis.com (the dashboard's)", got)
	}
}
