package logging

import (
	"fmt"
	"log/slog"
	"strings"
)

// ParseLevel parses debug, info, warn (or warning) and error, in any case and
// ignoring surrounding spaces. It is stricter than slog.Level's own parser
// (no "INFO+2") so that a typo in LOG_LEVEL fails the deploy rather than
// logging at a surprising level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
}

// Level is a slog.Level that go-envconfig (through UnmarshalText) and other
// text decoders parse with ParseLevel. Its zero value is info, so a field
// like
//
//	LogLevel logging.Level `env:"LOG_LEVEL, default=info"`
//
// is info when unset. It implements slog.Leveler, so it can be passed to New
// directly.
type Level slog.Level

// Level returns l as a slog.Level.
func (l Level) Level() slog.Level { return slog.Level(l) }

// String returns the level in lower case (debug, info, warn, error), the
// form ParseLevel accepts.
func (l Level) String() string { return strings.ToLower(slog.Level(l).String()) }

// UnmarshalText parses text with ParseLevel.
func (l *Level) UnmarshalText(text []byte) error {
	v, err := ParseLevel(string(text))
	if err != nil {
		return err
	}
	*l = Level(v)
	return nil
}

// MarshalText returns String, so a Level round-trips through UnmarshalText.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }
