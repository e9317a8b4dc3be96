package config_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-envconfig"

	"bcstream/internal/config"
)

type pipelineConfig struct {
	Subscription string        `env:"PUBSUB_SUBSCRIPTION, required"`
	Streams      int           `env:"PUBSUB_STREAMS, default=1"`
	BatchSize    int           `env:"BATCH_SIZE, default=500"`
	Deadline     time.Duration `env:"BATCH_DEADLINE, default=2s"`
	Tags         []string      `env:"TAGS"`
}

type sinkConfig struct {
	Project string `env:"PROJECT, required"`
	Dataset string `env:"DATASET, default=events"`
}

type level string

// EnvDecode makes level a custom-decoded field, like logging.Level.
func (l *level) EnvDecode(_ context.Context, v string) error {
	switch v {
	case "debug", "info":
		*l = level(v)
		return nil
	}
	return fmt.Errorf("unknown level %q", v)
}

type cache struct {
	TTL time.Duration `env:"TTL, default=1m"`
}

type workerConfig struct {
	Pipeline pipelineConfig
	Sink     sinkConfig `env:", prefix=BQ_"`
	Cache    *cache     `env:", prefix=CACHE_"`
	Opt      *cache     `env:", prefix=OPT_, noinit"`
	Level    level      `env:"LOG_LEVEL, default=info"`
	Port     int        `env:"PORT, default=8080"`
	ignored  int        //nolint:unused // untagged private fields are fine
}

// Validate checks a cross-field rule, so tests see its errors appended.
func (c *workerConfig) Validate() error {
	var errs []error
	if c.Pipeline.Streams <= 0 {
		// Would fire on a failed PUBSUB_STREAMS if Load left it 0.
		errs = append(errs, fmt.Errorf("PUBSUB_STREAMS must be > 0, got %d", c.Pipeline.Streams))
	}
	if c.Pipeline.BatchSize > 1000 {
		errs = append(errs, fmt.Errorf("BATCH_SIZE must be <= 1000, got %d", c.Pipeline.BatchSize))
	}
	if c.Port == 9999 {
		errs = append(errs, errors.New("PORT 9999 is reserved"))
	}
	return errors.Join(errs...)
}

// TestLoadMatchesEnvconfig checks that on success Load produces exactly what
// envconfig.ProcessWith does.
func TestLoadMatchesEnvconfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		pre  func(*workerConfig)
	}{
		{
			name: "defaults",
			env:  map[string]string{"PUBSUB_SUBSCRIPTION": "sub", "BQ_PROJECT": "p"},
		},
		{
			name: "everything set",
			env: map[string]string{
				"PUBSUB_SUBSCRIPTION": "sub", "PUBSUB_STREAMS": "4", "BATCH_SIZE": "100",
				"BATCH_DEADLINE": "250ms", "TAGS": "a, b", "BQ_PROJECT": "p", "BQ_DATASET": "d",
				"CACHE_TTL": "5m", "OPT_TTL": "7s", "LOG_LEVEL": "debug", "PORT": "0x10",
			},
		},
		{
			name: "preset values are kept unless the variable is set",
			env:  map[string]string{"PUBSUB_SUBSCRIPTION": "sub", "BQ_PROJECT": "p", "PORT": "1"},
			pre: func(c *workerConfig) {
				c.Pipeline.Streams = 3
				c.Port = 2
				c.Opt = &cache{}
			},
		},
		{
			name: "empty value is a value",
			env:  map[string]string{"PUBSUB_SUBSCRIPTION": "", "BQ_PROJECT": "p", "PORT": ""},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var want, got workerConfig
			if tc.pre != nil {
				tc.pre(&want)
				tc.pre(&got)
			}
			l := envconfig.MapLookuper(tc.env)
			if err := envconfig.ProcessWith(t.Context(), &envconfig.Config{Target: &want, Lookuper: l}); err != nil {
				t.Fatalf("ProcessWith: %v", err)
			}
			if err := config.Load(t.Context(), &got, l); err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(workerConfig{})); diff != "" {
				t.Errorf("Load() differs from envconfig.ProcessWith (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want []string // one line per problem
	}{
		{
			name: "nothing set",
			env:  map[string]string{},
			want: []string{
				"PUBSUB_SUBSCRIPTION: missing required value",
				"BQ_PROJECT: missing required value",
			},
		},
		{
			name: "decode errors in several structs, then Validate",
			env: map[string]string{
				"PUBSUB_STREAMS": "x", "BATCH_SIZE": "5000", "BATCH_DEADLINE": "5",
				"CACHE_TTL": "soon", "LOG_LEVEL": "verbose", "PORT": "9999",
			},
			want: []string{
				"PUBSUB_SUBSCRIPTION: missing required value",
				`PUBSUB_STREAMS: strconv.ParseInt: parsing "x": invalid syntax`,
				`BATCH_DEADLINE: time: missing unit in duration "5"`,
				"BQ_PROJECT: missing required value",
				`CACHE_TTL: time: invalid duration "soon"`,
				`LOG_LEVEL: unknown level "verbose"`,
				"BATCH_SIZE must be <= 1000, got 5000",
				"PORT 9999 is reserved",
			},
		},
		{
			name: "explicit zero fails Validate",
			env:  map[string]string{"PUBSUB_SUBSCRIPTION": "s", "BQ_PROJECT": "p", "PUBSUB_STREAMS": "0"},
			want: []string{"PUBSUB_STREAMS must be > 0, got 0"},
		},
		{
			name: "only Validate",
			env:  map[string]string{"PUBSUB_SUBSCRIPTION": "s", "BQ_PROJECT": "p", "BATCH_SIZE": "1001"},
			want: []string{"BATCH_SIZE must be <= 1000, got 1001"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var cfg workerConfig
			err := config.Load(t.Context(), &cfg, envconfig.MapLookuper(tc.env))
			if err == nil {
				t.Fatal("Load() = nil, want an error")
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("Load() error lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadFailureKeepsDecodedFields(t *testing.T) {
	t.Parallel()
	var cfg workerConfig
	err := config.Load(t.Context(), &cfg, envconfig.MapLookuper(map[string]string{
		"PUBSUB_STREAMS": "x", "BATCH_SIZE": "7", "CACHE_TTL": "3s",
	}))
	if err == nil {
		t.Fatal("Load() = nil, want an error")
	}
	want := workerConfig{
		// Streams failed to decode, so it holds its default.
		Pipeline: pipelineConfig{Streams: 1, BatchSize: 7, Deadline: 2 * time.Second},
		Sink:     sinkConfig{Dataset: "events"},
		Cache:    &cache{TTL: 3 * time.Second},
		// noinit keeps a struct pointer nil only if nothing in it, defaults
		// included, was set (same as go-envconfig).
		Opt:   &cache{TTL: time.Minute},
		Level: "info",
		Port:  8080,
	}
	if diff := cmp.Diff(want, cfg, cmp.AllowUnexported(workerConfig{})); diff != "" {
		t.Errorf("config after failed Load (-want +got):\n%s", diff)
	}
}

func TestLoadErrorsAreInspectable(t *testing.T) {
	t.Parallel()
	var cfg workerConfig
	err := config.Load(t.Context(), &cfg, envconfig.MapLookuper(map[string]string{"BQ_PROJECT": "p"}))
	if !errors.Is(err, envconfig.ErrMissingRequired) {
		t.Errorf("errors.Is(%v, ErrMissingRequired) = false, want true", err)
	}
	var fe *config.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(%v, *FieldError) = false", err)
	}
	if diff := cmp.Diff(&config.FieldError{Var: "PUBSUB_SUBSCRIPTION", Field: "Pipeline.Subscription"}, fe,
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Err" }, cmp.Ignore())); diff != "" {
		t.Errorf("FieldError (-want +got):\n%s", diff)
	}
}

func TestLoadResolvesPrefixLookuper(t *testing.T) {
	t.Parallel()
	var cfg sinkConfig
	l := envconfig.PrefixLookuper("SINK_BIGQUERY_", envconfig.MapLookuper(map[string]string{"SINK_BIGQUERY_DATASET": "d"}))
	err := config.Load(t.Context(), &cfg, l)
	if got, want := fmt.Sprint(err), "SINK_BIGQUERY_PROJECT: missing required value"; got != want {
		t.Errorf("Load() error = %q, want %q", got, want)
	}
}

func TestLoadStructuralProblems(t *testing.T) {
	t.Parallel()
	type inner struct {
		A int `env:"A"`
		B int `env:"B, required, default=1"`
	}
	type bad struct {
		private int    `env:"PRIVATE"` //nolint:unused // the point of the test
		NoName  string `env:",required"`
		Unknown string `env:"UNKNOWN, sometimes"`
		Inner   inner  `env:", prefix=IN_, bogus"`
		Prefix  string `env:"P, prefix=X_"`
		OK      int    `env:"OK"`
	}
	var cfg bad
	err := config.Load(t.Context(), &cfg, envconfig.MapLookuper(map[string]string{"OK": "nope"}))
	want := []string{
		"PRIVATE: cannot parse private fields",
		"NoName: missing key",
		`UNKNOWN: "sometimes": unknown option`,
		`Inner: "bogus": unknown option`,
		"P: prefix is only valid on struct types",
		`OK: strconv.ParseInt: parsing "nope": invalid syntax`,
	}
	if diff := cmp.Diff(want, strings.Split(fmt.Sprint(err), "\n")); diff != "" {
		t.Errorf("Load() error lines (-want +got):\n%s", diff)
	}
}

func TestLoadRejectsNonStructPointers(t *testing.T) {
	t.Parallel()
	var s string
	cases := []struct {
		name   string
		target any
		want   error
	}{
		{name: "struct value", target: workerConfig{}, want: envconfig.ErrNotPtr},
		{name: "nil pointer", target: (*workerConfig)(nil), want: envconfig.ErrNotPtr},
		{name: "pointer to string", target: &s, want: envconfig.ErrNotStruct},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := config.Load(t.Context(), tc.target, envconfig.MapLookuper(nil)); !errors.Is(err, tc.want) {
				t.Errorf("Load() = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestLoadRecursiveStruct(t *testing.T) {
	t.Parallel()
	type node struct {
		V    int `env:"V"`
		Next *node
	}
	var n node
	err := config.Load(t.Context(), &n, envconfig.MapLookuper(map[string]string{"V": "1"}))
	if !errors.Is(err, envconfig.ErrRecursiveStruct) {
		t.Errorf("Load() = %v, want ErrRecursiveStruct", err)
	}
}

func TestVars(t *testing.T) {
	t.Parallel()
	want := []config.Var{
		{Name: "PUBSUB_SUBSCRIPTION", Field: "Pipeline.Subscription", Type: "string", Required: true},
		{Name: "PUBSUB_STREAMS", Field: "Pipeline.Streams", Type: "int", Default: "1"},
		{Name: "BATCH_SIZE", Field: "Pipeline.BatchSize", Type: "int", Default: "500"},
		{Name: "BATCH_DEADLINE", Field: "Pipeline.Deadline", Type: "time.Duration", Default: "2s"},
		{Name: "TAGS", Field: "Pipeline.Tags", Type: "[]string"},
		{Name: "BQ_PROJECT", Field: "Sink.Project", Type: "string", Required: true},
		{Name: "BQ_DATASET", Field: "Sink.Dataset", Type: "string", Default: "events"},
		{Name: "CACHE_TTL", Field: "Cache.TTL", Type: "time.Duration", Default: "1m"},
		{Name: "OPT_TTL", Field: "Opt.TTL", Type: "time.Duration", Default: "1m"},
		{Name: "LOG_LEVEL", Field: "Level", Type: "config_test.level", Default: "info"},
		{Name: "PORT", Field: "Port", Type: "int", Default: "8080"},
	}
	for _, target := range []any{workerConfig{}, &workerConfig{}} {
		if diff := cmp.Diff(want, config.Vars(target)); diff != "" {
			t.Errorf("Vars(%T) (-want +got):\n%s", target, diff)
		}
	}
}

func TestVarsInheritsRequiredAndKeepsDefaultCommas(t *testing.T) {
	t.Parallel()
	type db struct {
		Host string `env:"HOST"`
	}
	type cfg struct {
		DB   db       `env:", prefix=DB_, required"`
		List []string `env:"LIST, default=a,b,c"`
		Ref  string   `env:"REF,default=$HOME"`
	}
	want := []config.Var{
		{Name: "DB_HOST", Field: "DB.Host", Type: "string", Required: true},
		{Name: "LIST", Field: "List", Type: "[]string", Default: "a,b,c"},
		{Name: "REF", Field: "Ref", Type: "string", Default: "$HOME"},
	}
	if diff := cmp.Diff(want, config.Vars(&cfg{})); diff != "" {
		t.Errorf("Vars() (-want +got):\n%s", diff)
	}
	var c cfg
	err := config.Load(t.Context(), &c, envconfig.MapLookuper(nil))
	if got, want := fmt.Sprint(err), "DB_HOST: missing required value"; got != want {
		t.Errorf("Load() = %q, want %q", got, want)
	}
}

type hostPort struct {
	Host string
	Port int
}

// UnmarshalText makes hostPort a struct that go-envconfig decodes as one
// value instead of field by field.
func (h *hostPort) UnmarshalText(b []byte) error {
	host, port, ok := strings.Cut(string(b), ":")
	if !ok {
		return fmt.Errorf("want host:port, got %q", b)
	}
	var err error
	h.Host = host
	_, err = fmt.Sscan(port, &h.Port)
	return err
}

func TestLoadStructDecodersAndStructKeys(t *testing.T) {
	t.Parallel()
	type sub struct {
		X int `env:"X"`
	}
	type cfg struct {
		Addr  hostPort  `env:"ADDR, default=localhost:1"`
		PAddr *hostPort `env:"PADDR"`
		Sub   sub       `env:"SUBKEY, required, prefix=S_"`
	}
	cases := []struct {
		name    string
		env     map[string]string
		want    cfg
		wantErr []string
	}{
		{
			name: "ok",
			env:  map[string]string{"ADDR": "h:2", "PADDR": "p:3", "SUBKEY": "", "S_X": "4"},
			want: cfg{Addr: hostPort{"h", 2}, PAddr: &hostPort{"p", 3}, Sub: sub{X: 4}},
		},
		{
			name: "defaults",
			env:  map[string]string{"SUBKEY": "", "S_X": "0"}, // required is inherited by S_X
			want: cfg{Addr: hostPort{"localhost", 1}, PAddr: &hostPort{}},
		},
		{
			name:    "errors",
			env:     map[string]string{"ADDR": "nope", "S_X": "y"},
			wantErr: []string{`ADDR: want host:port, got "nope"`, "SUBKEY: missing required value"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got cfg
			err := config.Load(t.Context(), &got, envconfig.MapLookuper(tc.env))
			if tc.wantErr != nil {
				if diff := cmp.Diff(tc.wantErr, strings.Split(fmt.Sprint(err), "\n")); diff != "" {
					t.Errorf("Load() error lines (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			var want cfg
			if err := envconfig.ProcessWith(t.Context(), &envconfig.Config{Target: &want, Lookuper: envconfig.MapLookuper(tc.env)}); err != nil {
				t.Fatalf("ProcessWith: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load() differs from envconfig (-envconfig +Load):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Load() (-want +got):\n%s", diff)
			}
		})
	}
}

type section struct {
	N int `env:"N, default=1"`
}

func (s *section) Validate() error {
	if s.N < 0 {
		return fmt.Errorf("N must be >= 0, got %d", s.N)
	}
	return nil
}

type ValueSection struct {
	M int `env:"M"`
}

func (s ValueSection) Validate() error {
	if s.M > 10 {
		return errors.Join(fmt.Errorf("M must be <= 10, got %d", s.M), errors.New("M is also odd"))
	}
	return nil
}

type forwarding struct {
	A   section `env:", prefix=A_"`
	Ptr *section
	Nil *ValueSection `env:", prefix=NIL_, noinit"`
	ValueSection
}

// Validate forwards to A, as a hand-written parent might; Load must not
// report A's problem twice.
func (f *forwarding) Validate() error {
	return errors.Join(f.A.Validate(), errors.New("parent rule"))
}

func TestLoadValidatesNestedStructs(t *testing.T) {
	t.Parallel()
	var cfg forwarding
	err := config.Load(t.Context(), &cfg, envconfig.MapLookuper(map[string]string{"A_N": "-1", "N": "-2", "M": "11"}))
	want := []string{
		"N must be >= 0, got -1",
		"N must be >= 0, got -2",
		"M must be <= 10, got 11",
		"M is also odd",
		"parent rule",
	}
	if diff := cmp.Diff(want, strings.Split(fmt.Sprint(err), "\n")); diff != "" {
		t.Errorf("Load() error lines (-want +got):\n%s", diff)
	}
	if cfg.Nil != nil {
		t.Errorf("noinit section allocated: %+v", cfg.Nil)
	}
}
