package bigquery_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-envconfig"

	"bcstream/sink/bigquery"
)

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	got, err := bigquery.LoadConfig(t.Context(), envconfig.MapLookuper(map[string]string{
		"GOOGLE_CLOUD_PROJECT": "acme-prod",
		"BIGQUERY_DATASET":     "bcstream",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := bigquery.Config{
		Project: "acme-prod", Dataset: "bcstream", Table: "events", ManageSchema: true,
		AppendTimeout: 10 * time.Second, RecreateAfter: 3,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadConfig() (-want +got):\n%s", diff)
	}
}

func TestLoadConfigProjectPrecedence(t *testing.T) {
	t.Parallel()
	got, err := bigquery.LoadConfig(t.Context(), envconfig.MapLookuper(map[string]string{
		"GOOGLE_CLOUD_PROJECT": "pubsub-project",
		"BIGQUERY_PROJECT":     "warehouse",
		"BIGQUERY_DATASET":     "bcstream",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Project != "warehouse" {
		t.Errorf("Project = %q, want BIGQUERY_PROJECT's warehouse", got.Project)
	}
}

// TestLoadConfigReportsEveryProblem sets every variable wrong at once:
// the error must name each of them.
func TestLoadConfigReportsEveryProblem(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{
			name: "missing",
			env:  map[string]string{},
			want: []string{"DATASET", "GOOGLE_CLOUD_PROJECT"},
		},
		{
			name: "invalid",
			env: map[string]string{
				"BIGQUERY_PROJECT":              "p",
				"BIGQUERY_DATASET":              "bad-name",
				"BIGQUERY_TABLE":                "events.v2",
				"BIGQUERY_PARTITION_EXPIRATION": "1h",
				"BIGQUERY_ENDPOINT":             "http://127.0.0.1:9050",
				"BIGQUERY_APPEND_TIMEOUT":       "0s",
				"BIGQUERY_RECREATE_AFTER":       "0",
			},
			want: []string{"BIGQUERY_DATASET", "BIGQUERY_TABLE", "BIGQUERY_PARTITION_EXPIRATION", "BIGQUERY_STORAGE_ENDPOINT", "BIGQUERY_APPEND_TIMEOUT", "BIGQUERY_RECREATE_AFTER"},
		},
		{
			name: "unparsable",
			env:  map[string]string{"BIGQUERY_PROJECT": "p", "BIGQUERY_DATASET": "d", "BIGQUERY_APPEND_TIMEOUT": "soon", "BIGQUERY_RECREATE_AFTER": "x"},
			want: []string{"BIGQUERY_APPEND_TIMEOUT", "BIGQUERY_RECREATE_AFTER"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := bigquery.LoadConfig(t.Context(), envconfig.MapLookuper(tc.env))
			if err == nil {
				t.Fatal("LoadConfig() = nil error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %s:\n%v", w, err)
				}
			}
		})
	}
}
