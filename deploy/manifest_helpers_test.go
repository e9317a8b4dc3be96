package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// placeholders are test values for the ${VAR}s the manifests carry; the
// runbook exports each of them once at the top (TestPlaceholdersAreExported).
var placeholders = map[string]string{
	"PROJECT_ID":     "acme-shop",
	"PROJECT_NUMBER": "123456789012",
	"REGION":         "europe-west1",
	"IMAGE":          "europe-west1-docker.pkg.dev/acme-shop/bcstream/bcstream:v1.2.3",
	"IMAGE_REPO":     "europe-west1-docker.pkg.dev/acme-shop/bcstream/bcstream",
	"VERSION":        "v1.2.3",
	"BQ_DATASET":     "bcstream",
	"BQ_LOCATION":    "EU",
	"STORE_HASH":     "abc123",
	"STORE_NAME":     "Acme",
}

var placeholderRE = regexp.MustCompile(`\$\{([A-Z0-9_]+)\}`)

// readManifest reads a deploy file, fills in the placeholders as envsubst
// would, and fails tb on a placeholder without a test value (a new one
// must also be exported in the runbook).
func readManifest(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return placeholderRE.ReplaceAllFunc(data, func(m []byte) []byte {
		name := string(placeholderRE.FindSubmatch(m)[1])
		v, ok := placeholders[name]
		if !ok {
			tb.Errorf("%s: placeholder ${%s} has no test value (and may be missing from the runbook)", path, name)
		}
		return []byte(v)
	})
}

// documents splits a multi-document YAML file.
func documents(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// typeMeta is the kind and apiVersion of a manifest document.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

func kindOf(tb testing.TB, path string, doc []byte) typeMeta {
	tb.Helper()
	var tm typeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return tm
}

// strict decodes YAML into v, failing on a field v's type does not have.
func strict(tb testing.TB, path string, doc []byte, v any) {
	tb.Helper()
	if err := yaml.UnmarshalStrict(doc, v); err != nil {
		tb.Errorf("%s: does not parse strictly as %T: %v", path, v, err)
	}
}

// repoRoot is the module root (the deploy package's parent).
func repoRoot(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	root := filepath.Dir(wd)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		tb.Fatalf("module root not found from %s", wd)
	}
	return root
}

// exportedInRunbook lists the variables README.md exports (`export NAME=`).
func exportedInRunbook(tb testing.TB) []string {
	tb.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^export ([A-Z0-9_]+)=`).FindAllSubmatch(data, -1) {
		names = append(names, string(m[1]))
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// equalFiles reports whether two files have the same bytes.
func equalFiles(tb testing.TB, a, b string) bool {
	tb.Helper()
	da, err := os.ReadFile(a)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.Equal(da, db)
}
