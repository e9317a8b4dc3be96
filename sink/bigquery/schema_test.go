package bigquery_test

import (
	"errors"
	"strings"
	"testing"

	bq "cloud.google.com/go/bigquery"

	"bcstream/sink"
	"bcstream/sink/bigquery"
)

// TestSchemaMatchesColumns checks that the table schema is sink.Columns:
// same names in the same order, the BigQuery type for each logical type,
// REQUIRED exactly for the non-nullable columns, and the descriptions.
func TestSchemaMatchesColumns(t *testing.T) {
	t.Parallel()
	cols := sink.Columns()
	s := bigquery.Schema()
	if len(s) != len(cols) {
		t.Fatalf("schema has %d fields, sink.Columns %d", len(s), len(cols))
	}
	types := map[sink.Type]bq.FieldType{
		sink.TypeString: bq.StringFieldType, sink.TypeInt64: bq.IntegerFieldType,
		sink.TypeTimestamp: bq.TimestampFieldType, sink.TypeJSON: bq.JSONFieldType,
	}
	for i, c := range cols {
		f := s[i]
		if f.Name != c.Name || f.Type != types[c.Type] || f.Required == c.Nullable || f.Description != c.Description || f.Repeated {
			t.Errorf("field %d = %s %s required=%v, want %s %s required=%v", i, f.Name, f.Type, f.Required, c.Name, types[c.Type], !c.Nullable)
		}
	}
}

func TestReconcile(t *testing.T) {
	t.Parallel()
	want := bigquery.Schema()
	field := func(name string) *bq.FieldSchema {
		for _, f := range want {
			if f.Name == name {
				c := *f
				return &c
			}
		}
		t.Fatalf("no column %s", name)
		return nil
	}
	without := func(names ...string) bq.Schema {
		var out bq.Schema
	next:
		for _, f := range want {
			for _, n := range names {
				if f.Name == n {
					continue next
				}
			}
			c := *f
			out = append(out, &c)
		}
		return out
	}
	replace := func(name string, edit func(*bq.FieldSchema)) bq.Schema {
		out := without()
		for _, f := range out {
			if f.Name == name {
				edit(f)
			}
		}
		return out
	}
	cases := []struct {
		name      string
		have      bq.Schema
		wantAdded []string // columns the update adds; nil: no update
		wantErr   []string // substrings of an ErrIncompatibleSchema error
	}{
		{name: "same", have: without()},
		{name: "extra nullable column is kept", have: append(without(), &bq.FieldSchema{Name: "note", Type: bq.StringFieldType})},
		{name: "table nullable where sink requires", have: replace("store_hash", func(f *bq.FieldSchema) { f.Required = false })},
		{name: "missing nullable column added", have: without("enriched_at"), wantAdded: []string{"enriched_at"}},
		{name: "missing required column added as nullable", have: without("worker_version", "entity"), wantAdded: []string{"entity", "worker_version"}},
		{name: "type changed", have: replace("channel_id", func(f *bq.FieldSchema) { f.Type = bq.StringFieldType }), wantErr: []string{"channel_id is STRING, want INTEGER"}},
		{name: "required where sink writes NULL", have: replace("entity", func(f *bq.FieldSchema) { f.Required = true }), wantErr: []string{"entity is REQUIRED", "DROP NOT NULL"}},
		{name: "repeated", have: replace("scope", func(f *bq.FieldSchema) { f.Repeated = true }), wantErr: []string{"scope is REPEATED"}},
		{name: "unknown required column", have: append(without(), &bq.FieldSchema{Name: "tenant", Type: bq.StringFieldType, Required: true}), wantErr: []string{"tenant is REQUIRED but unknown"}},
		{
			name:    "every conflict reported",
			have:    replace("payload", func(f *bq.FieldSchema) { f.Type = bq.StringFieldType; f.Repeated = true }),
			wantErr: []string{"payload is STRING, want JSON", "payload is REPEATED"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := bigquery.Reconcile(tc.have, want)
			if len(tc.wantErr) > 0 {
				if !errors.Is(err, bigquery.ErrIncompatibleSchema) {
					t.Fatalf("Reconcile() error = %v, want ErrIncompatibleSchema", err)
				}
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Reconcile() = %v", err)
			}
			if tc.wantAdded == nil {
				if got != nil {
					t.Fatalf("Reconcile() wants an update %v, want none", got)
				}
				return
			}
			if len(got) != len(tc.have)+len(tc.wantAdded) {
				t.Fatalf("updated schema has %d columns, want %d", len(got), len(tc.have)+len(tc.wantAdded))
			}
			for i, f := range tc.have {
				if got[i] != f {
					t.Errorf("existing column %d changed or moved", i)
				}
			}
			for i, name := range tc.wantAdded {
				f := got[len(tc.have)+i]
				if f.Name != name || f.Required {
					t.Errorf("added column %d = %s required=%v, want %s NULLABLE", i, f.Name, f.Required, name)
				}
				if f.Type != field(name).Type {
					t.Errorf("added column %s type %s, want %s", name, f.Type, field(name).Type)
				}
			}
		})
	}
}
