package logging_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"bcstream/internal/logging"
)

const token = "tok-s3cr3t"

type storeCreds struct {
	StoreHash string
	Token     logging.Secret
}

func TestSecretRedacts(t *testing.T) {
	t.Parallel()
	s := logging.Secret(token)
	creds := storeCreds{StoreHash: "abc", Token: s}

	var jsonBuf, textBuf bytes.Buffer
	logging.New(&jsonBuf, nil).Info("m", "token", s, "creds", creds, slog.Group("g", "t", s))
	slog.New(slog.NewTextHandler(&textBuf, nil)).Info("m", "token", s, "creds", creds)
	js, _ := json.Marshal(creds)
	text, _ := s.MarshalText()

	cases := []struct {
		name string
		got  string
	}{
		{"%v", fmt.Sprintf("%v", s)},
		{"%s", fmt.Sprintf("%s", s)},
		{"%+v", fmt.Sprintf("%+v", s)},
		{"%#v", fmt.Sprintf("%#v", s)},
		{"%q", fmt.Sprintf("%q", s)},
		{"%x", fmt.Sprintf("%x", s)},
		{"%X", fmt.Sprintf("%X", s)},
		{"%10.3s", fmt.Sprintf("%10.3s", s)},
		{"%d", fmt.Sprintf("%d", s)},
		{"pointer %v", fmt.Sprintf("%v", &s)},
		{"Sprint", fmt.Sprint(s)},
		{"Sprintln", fmt.Sprintln(s)},
		{"String", s.String()},
		{"struct %+v", fmt.Sprintf("%+v", creds)},
		{"struct %#v", fmt.Sprintf("%#v", creds)},
		{"slice %v", fmt.Sprintf("%v", []logging.Secret{s})},
		{"map %v", fmt.Sprintf("%v", map[string]logging.Secret{"k": s})},
		{"errors.New(Sprintf)", errors.New(fmt.Sprintf("call failed with %v", s)).Error()}, //nolint:staticcheck // the pattern under test
		{"fmt.Errorf", fmt.Errorf("call failed with token %s", s).Error()},
		{"json", string(js)},
		{"MarshalText", string(text)},
		{"slog JSON", jsonBuf.String()},
		{"slog text", textBuf.String()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if strings.Contains(tc.got, token) || strings.Contains(tc.got, fmt.Sprintf("%x", token)) {
				t.Errorf("leaked the secret: %s", tc.got)
			}
			if !strings.Contains(tc.got, "REDACTED") {
				t.Errorf("no [REDACTED] in %q", tc.got)
			}
		})
	}
	if got := s.Reveal(); got != token {
		t.Errorf("Reveal() = %q, want %q", got, token)
	}
}

func TestSecretFromEnvconfig(t *testing.T) {
	t.Parallel()
	var cfg struct {
		Token logging.Secret `env:"TOKEN, required"`
		Level logging.Level  `env:"LOG_LEVEL, default=info"`
	}
	err := envconfig.ProcessWith(t.Context(), &envconfig.Config{
		Target:   &cfg,
		Lookuper: envconfig.MapLookuper(map[string]string{"TOKEN": token, "LOG_LEVEL": "Warning"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Token.Reveal() != token || cfg.Level.Level() != slog.LevelWarn {
		t.Errorf("decoded %q, %v", cfg.Token.Reveal(), cfg.Level)
	}
	if s := fmt.Sprintf("%+v", cfg); strings.Contains(s, token) {
		t.Errorf("config printed the secret: %s", s)
	}
}
