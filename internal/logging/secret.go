package logging

import (
	"fmt"
	"log/slog"
	"strconv"
)

// Redacted is what a Secret prints as.
const Redacted = "[REDACTED]"

// Secret holds a credential (a store's API token, a client secret) so that it
// cannot leak into logs, span attributes or error strings by accident: every
// way Go formats or encodes a value (fmt with any verb, slog, encoding/json,
// encoding/text) yields [REDACTED]. Reveal returns the value, and should be
// called only where the credential is handed to the API that needs it.
//
// go-envconfig decodes a Secret field like a string:
//
//	Token logging.Secret `env:"BIGCOMMERCE_TOKEN, required"`
//
// Limits: fmt prints unexported struct fields by reflection, without calling
// their methods, so a Secret in an unexported field of a struct printed with
// %v is NOT redacted; keep Secret fields exported, or don't print the
// struct. Converting with string(s) bypasses the redaction as Reveal does.
type Secret string

var (
	_ fmt.Stringer   = Secret("")
	_ fmt.GoStringer = Secret("")
	_ fmt.Formatter  = Secret("")
	_ slog.LogValuer = Secret("")
)

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns [REDACTED].
func (Secret) String() string { return Redacted }

// GoString returns [REDACTED], for %#v.
func (Secret) GoString() string { return Redacted }

// Format writes [REDACTED] for every verb, so that no verb (%x, %q, %d …)
// reaches the underlying string. %q quotes it.
func (Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = f.Write([]byte(strconv.Quote(Redacted)))
		return
	}
	_, _ = f.Write([]byte(Redacted))
}

// LogValue returns [REDACTED], so slog never sees the value.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON returns "[REDACTED]" as a JSON string.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(Redacted)), nil }

// MarshalText returns [REDACTED].
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
