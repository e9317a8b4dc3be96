package stores

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"bcstream/internal/logging"
)

// TokenSource supplies one store's API token.
//
// Token is called before every API request, concurrently, so it must be
// safe for concurrent use and cheap: a source that is slow to read caches.
// Its errors name where the token comes from, never the token.
//
// A new kind of source (Secret Manager: "token_secret:
// projects/…/secrets/…/versions/latest") is a new TokenSource plus a row in
// tokenKinds; callers, who only see this interface, do not change.
type TokenSource interface {
	Token(ctx context.Context) (logging.Secret, error)
	// String says where the token comes from, for logs ("env
	// BC_TOKEN_ABC123", "file /secrets/q9z8y7/token"); never the token.
	String() string
}

// envToken is a token from an environment variable, read once at load:
// a process's environment does not change.
type envToken struct {
	name  string
	value logging.Secret
}

func newEnvToken(name string, o *loadOptions) (TokenSource, error) {
	if !validEnvName(name) {
		return nil, fmt.Errorf("token_env %q: not an environment variable name", name)
	}
	v, ok := o.env(name)
	if !ok {
		return nil, fmt.Errorf("token_env: environment variable %s is not set", name)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, fmt.Errorf("token_env: environment variable %s is empty", name)
	}
	return &envToken{name: name, value: logging.Secret(v)}, nil
}

func (t *envToken) Token(context.Context) (logging.Secret, error) { return t.value, nil }
func (t *envToken) String() string                                { return "env " + t.name }

// GoString keeps %#v from printing the unexported value field, which fmt
// would render without calling its redacting methods.
func (t *envToken) GoString() string { return t.String() }

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// FileTokenTTL is how long a token read from a file is reused before the
// file is read again.
//
// Tokens are rotated by replacing a mounted secret (Kubernetes and Cloud
// Run secret volumes swap the file in place), so the file must be re-read;
// but not before every request, since reading a mounted secret is not free
// on every platform. A minute picks up a rotation well within the client's
// circuit cooldown (5 min): a store whose old token is revoked recovers at
// the next re-probe, which reads the new file.
const FileTokenTTL = time.Minute

// fileToken is a token read from a file (a mounted secret), cached for
// FileTokenTTL. Surrounding whitespace (the trailing newline of `echo >`)
// is trimmed.
type fileToken struct {
	path string
	ttl  time.Duration
	now  func() time.Time

	mu     sync.Mutex
	value  logging.Secret
	readAt time.Time
}

func newFileToken(path string, o *loadOptions) (TokenSource, error) {
	t := &fileToken{path: path, ttl: o.ttl, now: o.now}
	// Read now: a missing mount is a startup error, not a failure on the
	// first event for the store.
	if _, err := t.Token(context.Background()); err != nil {
		return nil, fmt.Errorf("token_file: %w", err)
	}
	return t, nil
}

func (t *fileToken) Token(context.Context) (logging.Secret, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.value != "" && now.Sub(t.readAt) < t.ttl {
		return t.value, nil
	}
	b, err := os.ReadFile(t.path)
	if err != nil {
		// The *PathError names the file only.
		return "", fmt.Errorf("read token: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("read token: %s is empty", t.path)
	}
	if strings.ContainsAny(v, "\r\n") {
		return "", errors.New("read token: " + t.path + " has more than one line")
	}
	t.value, t.readAt = logging.Secret(v), now
	return t.value, nil
}

func (t *fileToken) String() string   { return "file " + t.path }
func (t *fileToken) GoString() string { return t.String() }
