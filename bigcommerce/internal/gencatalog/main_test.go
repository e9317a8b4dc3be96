package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestGeneratedCatalogIsCurrent fails when catalog_gen.go does not match
// what the generator makes of the vendored reference: someone edited one
// without running go generate.
func TestGeneratedCatalogIsCurrent(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../../../testdata/bigcommerce/scopes.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(src, "../testdata/bigcommerce/scopes.json")
	if err != nil {
		t.Fatalf("Generate() error = %v", err)
	}
	got, err := os.ReadFile("../../catalog_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("catalog_gen.go is stale; run go generate ./bigcommerce")
	}
}

func TestGenerateRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src, want string
	}{
		{"unknown field", `[{"scope":"store/x/created","entity":"x","data_fields":["id"],"example_data":{},"enrich":null,"channel_specific":false,"wildcard":false,"payload_documented":true,"source":"","notes":"","new":1}]`, "unknown field"},
		{"no ID rule", `[{"scope":"store/x/created","entity":"x","data_fields":["thing"],"enrich":null}]`, "no ID field"},
		{"duplicate", `[{"scope":"store/x/created","entity":"x","data_fields":["id"]},{"scope":"store/x/created","entity":"x","data_fields":["id"]}]`, "duplicate scope"},
		{"no entity", `[{"scope":"store/x/created","data_fields":["id"]}]`, "no entity"},
		{"prose dispatch", `[{"scope":"store/x/created","entity":"metafield","data_fields":["metafield_id","resource_type"],"enrich":{"method":"GET","dispatch_on":"resource_type","paths":{"widget":"ask someone"}}}]`, "dispatchFrom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Generate([]byte(tc.src), "test.json")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Generate() error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
