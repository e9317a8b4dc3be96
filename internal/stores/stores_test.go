package stores_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bcstream/bigcommerce"
	"bcstream/internal/stores"
)

// The registry is the client's credentials.
var _ bigcommerce.Credentials = (*stores.Registry)(nil)

const (
	tokenABC = "tok-abc-0123456789abcdef"
	tokenQ9  = "tok-q9-fedcba9876543210"
)

// writeFiles writes name → content under a new temp dir and returns it.
func writeFiles(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var testEnv = envOf(map[string]string{"BC_TOKEN_ABC123": tokenABC, "EMPTY": " "})

func TestLoad(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		file  string
		want  []string // hash, name, token source kind, token
		token map[string]string
	}{
		{
			name: "yaml",
			file: `# the registry
stores:
  - hash: q9z8y7
    token_file: secrets/q9z8y7/token   # relative to this file
  - hash: abc123
    name: Demo store
    token_env: BC_TOKEN_ABC123
`,
			want:  []string{"abc123|Demo store|env BC_TOKEN_ABC123", "q9z8y7||file "},
			token: map[string]string{"abc123": tokenABC, "q9z8y7": tokenQ9},
		},
		{
			name:  "json",
			file:  `{"stores": [{"hash": "abc123", "token_env": "BC_TOKEN_ABC123"}, {"hash": "q9z8y7", "name": "Q", "token_file": "secrets/q9z8y7/token"}]}`,
			want:  []string{"abc123||env BC_TOKEN_ABC123", "q9z8y7|Q|file "},
			token: map[string]string{"abc123": tokenABC, "q9z8y7": tokenQ9},
		},
		{
			name: "numeric-looking hash",
			file: "stores:\n  - hash: 123456\n    token_env: BC_TOKEN_ABC123\n",
			want: []string{"123456||env BC_TOKEN_ABC123"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeFiles(t, map[string]string{
				"stores.yaml":          tc.file,
				"secrets/q9z8y7/token": tokenQ9 + "\n",
			})
			reg, err := stores.Load(filepath.Join(dir, "stores.yaml"), testEnv)
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			var got []string
			for _, s := range reg.Stores() {
				src := s.Token.String()
				if strings.HasPrefix(src, "file ") {
					if want := filepath.Join(dir, "secrets/q9z8y7/token"); src != "file "+want {
						t.Errorf("token source = %q, want file %s", src, want)
					}
					src = "file "
				}
				got = append(got, s.Hash+"|"+s.Name+"|"+src)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Stores() mismatch (-want +got):\n%s", diff)
			}
			for hash, want := range tc.token {
				tok, err := reg.Token(context.Background(), hash)
				if err != nil || tok != want {
					t.Errorf("Token(%q) = %q, %v; want %q", hash, tok, err, want)
				}
				if s, ok := reg.Lookup(hash); !ok || s.Hash != hash {
					t.Errorf("Lookup(%q) = %+v, %v", hash, s, ok)
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		file string
		want []string // every one must be in the error
	}{
		{
			name: "every problem at once",
			file: `stores:
  - hash: abc123
    token_env: BC_TOKEN_ABC123
    tokn_env: TYPO
  - hash: nosource
    name: no token
  - hash: twosources
    token_env: BC_TOKEN_ABC123
    token_file: /nonexistent/token
  - hash: abc123
    token_env: BC_TOKEN_ABC123
  - hash: Bad-Hash
    token_env: BC_TOKEN_ABC123
  - hash: unset
    token_env: BC_TOKEN_UNSET
  - hash: nofile
    token_file: missing/token
  - hash: emptyenv
    token_env: EMPTY
  - name: hashless
    token_env: BC_TOKEN_ABC123
  - hash: nullval
    token_env:
`,
			want: []string{
				`stores.yaml:4: unknown key "tokn_env" (want hash, name, token_env, token_file)`,
				`stores.yaml:5: store "nosource": no token source (want one of token_env, token_file)`,
				`stores.yaml:9: store "twosources": more than one token source (token_env, token_file): keep one`,
				`stores.yaml:10: duplicate store hash "abc123" (first at line 2)`,
				`stores.yaml:12: hash "Bad-Hash": want lowercase letters and digits`,
				`stores.yaml:15: store "unset": token_env: environment variable BC_TOKEN_UNSET is not set`,
				`stores.yaml:17: store "nofile": token_file: read token:`,
				`stores.yaml:19: store "emptyenv": token_env: environment variable EMPTY is empty`,
				`stores.yaml:20: store: missing hash`,
				`stores.yaml:23: token_env: want a string`,
			},
		},
		{name: "empty file", file: "", want: []string{"stores.yaml: no stores listed"}},
		{name: "empty list", file: "stores: []\n", want: []string{"stores.yaml:1: no stores listed"}},
		{name: "unknown top-level key", file: "stores:\n  - hash: a\n    token_env: BC_TOKEN_ABC123\nshops: []\n", want: []string{`stores.yaml:4: unknown key "shops" (want stores)`}},
		{name: "no stores key", file: "shops: []\n", want: []string{`stores.yaml:1: unknown key "shops"`, "stores.yaml:1: missing stores"}},
		{name: "not a list", file: "stores: abc\n", want: []string{"stores.yaml:1: stores: want a list of stores"}},
		{name: "entry not a mapping", file: "stores:\n  - abc123\n", want: []string{"stores.yaml:2: store: want a mapping"}},
		{name: "duplicate key", file: "stores:\n  - hash: a\n    hash: b\n    token_env: BC_TOKEN_ABC123\n", want: []string{`stores.yaml:3: duplicate key "hash"`}},
		{name: "two documents", file: "stores: []\n---\nstores: []\n", want: []string{"want one YAML document"}},
		{name: "syntax", file: "stores: [\n", want: []string{"stores.yaml: yaml:"}},
		{name: "bad env name", file: "stores:\n  - hash: a\n    token_env: 'X Y'\n", want: []string{`stores.yaml:3: store "a": token_env "X Y": not an environment variable name`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeFiles(t, map[string]string{"stores.yaml": tc.file})
			_, err := stores.Load(filepath.Join(dir, "stores.yaml"), testEnv)
			if err == nil {
				t.Fatal("Load() error = nil, want errors")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() error does not contain %q; got:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), tokenABC) {
				t.Errorf("error leaks the token:\n%v", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := stores.Load(filepath.Join(t.TempDir(), "nope.yaml"), testEnv)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load() error = %v, want os.ErrNotExist", err)
	}
}

func TestTokenUnknownStore(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"s.yaml": "stores:\n  - hash: abc123\n    token_env: BC_TOKEN_ABC123\n"})
	reg, err := stores.Load(filepath.Join(dir, "s.yaml"), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Token(context.Background(), "zzz"); !errors.Is(err, stores.ErrUnknownStore) {
		t.Errorf("Token(zzz) error = %v, want ErrUnknownStore", err)
	}
	if _, ok := reg.Lookup("zzz"); ok {
		t.Error("Lookup(zzz) = true")
	}
}

// TestTokenNeverPrinted formats stores and token sources every way a log
// line or error might, and checks the token never shows.
func TestTokenNeverPrinted(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"s.yaml": "stores:\n  - hash: abc123\n    token_env: BC_TOKEN_ABC123\n  - hash: q9z8y7\n    token_file: tok\n",
		"tok":    tokenQ9,
	})
	reg, err := stores.Load(filepath.Join(dir, "s.yaml"), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	// Warm the file cache, so the token sits in the source's fields.
	if _, err := reg.Token(context.Background(), "q9z8y7"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, s := range reg.Stores() {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			fmt.Fprintf(&out, verb+"\n", s)
			fmt.Fprintf(&out, verb+"\n", s.Token)
			fmt.Fprintf(&out, verb+"\n", &s)
		}
		sec, err := s.Token.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%v %s %#v\n", sec, sec, sec)
		slog.New(slog.NewJSONHandler(&out, nil)).Info("store", "store", s, "source", s.Token, "all", reg.Stores())
		slog.New(slog.NewTextHandler(&out, nil)).Info("store", "store", s, "source", s.Token)
	}
	fmt.Fprintf(&out, "%v %+v %#v\n", reg, reg, *reg)
	for _, tok := range []string{tokenABC, tokenQ9} {
		if strings.Contains(out.String(), tok) {
			t.Fatalf("token %q printed:\n%s", tok, out.String())
		}
	}
	if !strings.Contains(out.String(), `"store":{"hash":"abc123","token_source":"env BC_TOKEN_ABC123"}`) {
		t.Errorf("slog output lacks the store's LogValue:\n%s", out.String())
	}
}
